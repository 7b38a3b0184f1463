"""schedule_group: its contract with Ansible, and what it does (or predicts in check mode) to a group in moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from ansible_collections.autoremediation.sumo_aws.plugins.modules import schedule_group
from ansible_collections.autoremediation.sumo_aws.plugins.modules.schedule_group import (
    ARGUMENT_SPEC,
    ScheduleGroupError,
    ScheduleGroupManager,
    ensure_absent,
    ensure_present,
)

from .aws_fakes import REGION, FakeModule, moto_clients

NAME = "test-verification"
ARN = f"arn:aws:scheduler:{REGION}:123456789012:schedule-group/{NAME}"
TAGS = {"remediation:managed-by": "ansible", "remediation:project": "test"}


@pytest.fixture
def aws() -> Iterator[Any]:
    """moto-backed clients for one test."""
    yield from moto_clients()


def manager(client: Any, check_mode: bool = False, **params: Any) -> ScheduleGroupManager:
    module = FakeModule(ARGUMENT_SPEC, check_mode=check_mode, **{"name": NAME, **params})
    return ScheduleGroupManager(module, client("scheduler"))


def group_names(client: Any) -> list[str]:
    return sorted(group["Name"] for group in client("scheduler").list_schedule_groups()["ScheduleGroups"])


def tags_on(client: Any) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in client("scheduler").list_tags_for_resource(ResourceArn=ARN)["Tags"]}


def schedule_in_group(client: Any) -> None:
    """A one-time schedule in the group, as the webhook Lambda makes them."""
    client("scheduler").create_schedule(
        Name="verify-i-0123456789abcdef0",
        GroupName=NAME,
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={
            "Arn": f"arn:aws:lambda:{REGION}:123456789012:function:test-webhook",
            "RoleArn": "arn:aws:iam::123456789012:role/test-scheduler",
            "Input": json.dumps({"verify": "i-0123456789abcdef0"}),
        },
    )


def reporting_deleting(group_manager: ScheduleGroupManager, times: int) -> list[str | None]:
    """The injected fault: the group reads DELETING `times` times (then as moto has it), as AWS shows a group
    whose schedules it is still deleting."""
    real_describe = group_manager.describe
    reported: list[str | None] = []
    remaining = [times]

    def describe() -> dict[str, Any] | None:
        described = real_describe()
        if remaining[0] > 0:
            remaining[0] -= 1
            described = {**(described or {"Name": NAME, "Arn": ARN}), "State": "DELETING"}
        reported.append(described and described.get("State"))
        return described

    group_manager.describe = describe  # type: ignore[method-assign]
    return reported


def test_module_contract() -> None:
    documentation = yaml.safe_load(schedule_group.DOCUMENTATION)
    assert documentation["attributes"]["check_mode"]["support"] == "full"
    assert documentation["attributes"]["diff_mode"]["support"] == "full"
    assert {name: option.get("default") for name, option in ARGUMENT_SPEC.items() if "default" in option} == {
        "state": "present",
        "purge_tags": True,
        "wait_timeout": 300,
    }
    assert ARGUMENT_SPEC["name"]["required"] is True
    assert set(documentation["options"]) == set(ARGUMENT_SPEC)
    assert set(yaml.safe_load(schedule_group.RETURN)["schedule_group"]["contains"]) == {
        "name",
        "arn",
        "state",
        "creation_date",
        "last_modification_date",
        "tags",
    }


def test_creating_makes_an_active_tagged_group_and_a_second_run_changes_nothing(aws: Any) -> None:
    first = ensure_present(manager(aws, tags=TAGS))
    second = ensure_present(manager(aws, tags=TAGS))

    assert first["changed"] is True
    assert first["schedule_group"]["arn"] == ARN
    assert first["schedule_group"]["state"] == "ACTIVE"
    assert first["schedule_group"]["tags"] == TAGS
    assert first["diff"] == {"before": {}, "after": {"name": NAME, "tags": TAGS}}
    assert second["changed"] is False
    assert second["diff"]["before"] == second["diff"]["after"]
    assert group_names(aws) == ["default", NAME]
    assert tags_on(aws) == TAGS


def test_creating_in_check_mode_predicts_the_group_and_creates_nothing(aws: Any) -> None:
    result = ensure_present(manager(aws, check_mode=True, tags=TAGS))

    assert result["changed"] is True
    assert result["schedule_group"] == {}
    assert result["diff"]["after"] == {"name": NAME, "tags": TAGS}
    assert group_names(aws) == ["default"]


def test_tag_values_are_compared_as_the_strings_aws_keeps(aws: Any) -> None:
    ensure_present(manager(aws, tags={"cost-centre": 42}))

    assert ensure_present(manager(aws, tags={"cost-centre": 42}))["changed"] is False
    assert tags_on(aws) == {"cost-centre": "42"}


def test_changed_tags_are_set_and_unlisted_ones_purged(aws: Any) -> None:
    ensure_present(manager(aws, tags={**TAGS, "stale": "yes"}))

    result = ensure_present(manager(aws, tags={**TAGS, "remediation:project": "renamed"}))

    assert result["changed"] is True
    assert tags_on(aws) == {**TAGS, "remediation:project": "renamed"}
    assert result["schedule_group"]["tags"] == tags_on(aws)
    assert result["diff"]["before"]["tags"]["stale"] == "yes"


def test_purge_tags_false_keeps_the_tags_not_listed(aws: Any) -> None:
    ensure_present(manager(aws, tags={"owner": "ops"}))

    result = ensure_present(manager(aws, tags=TAGS, purge_tags=False))

    assert result["changed"] is True
    assert tags_on(aws) == {"owner": "ops", **TAGS}


def test_without_tags_the_group_keeps_the_tags_it_has(aws: Any) -> None:
    ensure_present(manager(aws, tags=TAGS))

    assert ensure_present(manager(aws))["changed"] is False
    assert tags_on(aws) == TAGS


def test_a_tag_change_in_check_mode_is_predicted_and_not_applied(aws: Any) -> None:
    ensure_present(manager(aws, tags=TAGS))

    result = ensure_present(manager(aws, check_mode=True, tags={"owner": "ops"}))

    assert result["changed"] is True
    assert result["diff"]["after"]["tags"] == {"owner": "ops"}
    assert result["schedule_group"]["tags"] == {"owner": "ops"}
    assert tags_on(aws) == TAGS


def test_absent_deletes_the_group_with_its_schedules_and_a_second_run_changes_nothing(aws: Any) -> None:
    ensure_present(manager(aws, tags=TAGS))
    schedule_in_group(aws)

    first = ensure_absent(manager(aws, state="absent"))
    second = ensure_absent(manager(aws, state="absent"))

    assert first["changed"] is True
    assert first["diff"] == {"before": {"name": NAME, "tags": TAGS}, "after": {}}
    assert group_names(aws) == ["default"]
    assert aws("scheduler").list_schedules()["Schedules"] == []
    assert second["changed"] is False


def test_absent_in_check_mode_reports_the_deletion_and_deletes_nothing(aws: Any) -> None:
    ensure_present(manager(aws))
    schedule_in_group(aws)

    result = ensure_absent(manager(aws, check_mode=True, state="absent"))

    assert result["changed"] is True
    assert group_names(aws) == ["default", NAME]
    assert len(aws("scheduler").list_schedules(GroupName=NAME)["Schedules"]) == 1


def test_absent_waits_while_aws_still_deletes_the_groups_schedules(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_present(manager(aws))
    monkeypatch.setattr(schedule_group, "POLL_SECONDS", 0.0)
    deleting = manager(aws, state="absent")
    real_delete = deleting.delete

    def delete_then_read_deleting() -> None:
        real_delete()
        reporting_deleting(deleting, 2)

    deleting.delete = delete_then_read_deleting  # type: ignore[method-assign]

    result = ensure_absent(deleting)

    assert result["changed"] is True
    assert group_names(aws) == ["default"]


def test_a_group_still_deleting_after_the_timeout_fails_saying_so(aws: Any) -> None:
    ensure_present(manager(aws))
    deleting = manager(aws, state="absent", wait_timeout=0)
    real_delete = deleting.delete

    def delete_that_stays_deleting() -> None:
        real_delete()
        reporting_deleting(deleting, 100)

    deleting.delete = delete_that_stays_deleting  # type: ignore[method-assign]

    with pytest.raises(ScheduleGroupError, match=r"still DELETING after 0 s \(wait_timeout\) after it was deleted"):
        ensure_absent(deleting)


def test_a_group_another_run_is_deleting_is_waited_for_not_deleted_again(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schedule_group, "POLL_SECONDS", 0.0)
    ensure_present(manager(aws))
    deleting = manager(aws, state="absent")
    reported = reporting_deleting(deleting, 1)
    deleting.client.delete_schedule_group(Name=NAME)  # the other run's request

    result = ensure_absent(deleting)

    assert result["changed"] is False
    assert reported == ["DELETING", None]


def test_present_waits_out_a_group_being_deleted_then_creates_it_again(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schedule_group, "POLL_SECONDS", 0.0)
    creating = manager(aws, tags=TAGS)
    reported = reporting_deleting(creating, 2)

    result = ensure_present(creating)

    assert reported[:3] == ["DELETING", "DELETING", None]
    assert result["changed"] is True
    assert result["schedule_group"]["state"] == "ACTIVE"
    assert group_names(aws) == ["default", NAME]


def test_present_in_check_mode_predicts_creating_a_group_being_deleted_without_waiting(aws: Any) -> None:
    creating = manager(aws, check_mode=True, wait_timeout=0)
    reporting_deleting(creating, 100)

    result = ensure_present(creating)

    assert result["changed"] is True
    assert result["diff"]["before"] == {}


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "slash/name"])
def test_a_malformed_name_fails_quoting_it(aws: Any, name: str) -> None:
    with pytest.raises(ScheduleGroupError, match=f"name must be 1 to 64 letters.*got {name!r}"):
        ensure_present(manager(aws, name=name))


@pytest.mark.parametrize("state", ["present", "absent"])
def test_the_default_group_is_refused(aws: Any, state: str) -> None:
    ensure = ensure_present if state == "present" else ensure_absent
    with pytest.raises(ScheduleGroupError, match="name 'default' is the group AWS keeps"):
        ensure(manager(aws, name="default", state=state))
    assert group_names(aws) == ["default"]
