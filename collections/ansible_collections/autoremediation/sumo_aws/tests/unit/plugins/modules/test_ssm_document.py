"""ssm_document: its contract with Ansible, and what it does (or predicts in check mode) to a document in moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from ansible_collections.autoremediation.sumo_aws.plugins.modules import ssm_document
from ansible_collections.autoremediation.sumo_aws.plugins.modules.ssm_document import (
    ARGUMENT_SPEC,
    DocumentError,
    DocumentManager,
    ensure_absent,
    ensure_present,
)

from .aws_fakes import FakeModule, moto_clients

RUNBOOK = """\
schemaVersion: "0.3"
description: Reboot one instance.
parameters:
  InstanceId:
    type: String
mainSteps:
  - name: reboot
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: RebootInstances, InstanceIds: ["{{ InstanceId }}"]}
"""
NAME = "test-remediate-instance"


@pytest.fixture
def aws() -> Iterator[Any]:
    """moto-backed clients for one test."""
    yield from moto_clients()


def manager(client: Any, check_mode: bool = False, **params: Any) -> DocumentManager:
    module = FakeModule(ARGUMENT_SPEC, check_mode=check_mode, name=NAME, **params)
    return DocumentManager(module, client("ssm"))


def test_module_contract() -> None:
    documentation = yaml.safe_load(ssm_document.DOCUMENTATION)
    assert documentation["attributes"]["check_mode"]["support"] == "full"
    assert documentation["attributes"]["diff_mode"]["support"] == "full"
    assert ssm_document.MUTUALLY_EXCLUSIVE == [["content", "content_path"]]
    assert ssm_document.REQUIRED_IF == [["state", "present", ["content", "content_path"], True]]
    assert {name: ARGUMENT_SPEC[name].get("default") for name in ("state", "document_type", "document_format")} == {
        "state": "present",
        "document_type": "Automation",
        "document_format": "YAML",
    }
    assert ARGUMENT_SPEC["set_default"]["default"] is True
    assert set(documentation["options"]) == set(ARGUMENT_SPEC)


def test_creating_in_check_mode_predicts_version_1_and_creates_nothing(aws: Any) -> None:
    result = ensure_present(manager(aws, check_mode=True, content=RUNBOOK))

    assert result["changed"] is True
    assert result["diff"]["after"]["default_version"] == "1"
    assert aws("ssm").list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"] == []


def test_creating_makes_an_active_version_1_with_tags(aws: Any) -> None:
    result = ensure_present(manager(aws, content=RUNBOOK, tags={"team": "ops"}))

    assert result["changed"] is True
    assert result["version_created"] == "1"
    assert result["document"]["default_version"] == "1"
    assert result["document"]["status"] == "Active"
    assert result["document"]["tags"] == {"team": "ops"}


def test_same_content_reformatted_changes_nothing(aws: Any) -> None:
    ensure_present(manager(aws, content=RUNBOOK))
    reformatted = yaml.safe_dump(yaml.safe_load(RUNBOOK), default_flow_style=False, indent=4)

    result = ensure_present(manager(aws, content=reformatted))

    assert result["changed"] is False
    assert result["version_created"] is None


def test_changed_content_adds_version_2_and_makes_it_default(aws: Any) -> None:
    ensure_present(manager(aws, content=RUNBOOK))

    result = ensure_present(manager(aws, content=RUNBOOK.replace("Reboot one", "Reboot the")))

    assert result["changed"] is True
    assert result["version_created"] == "2"
    assert aws("ssm").describe_document(Name=NAME)["Document"]["DefaultVersion"] == "2"


def test_changed_content_in_check_mode_predicts_version_2_and_changes_nothing(aws: Any) -> None:
    ensure_present(manager(aws, content=RUNBOOK))

    result = ensure_present(manager(aws, check_mode=True, content=RUNBOOK.replace("Reboot one", "Reboot the")))

    assert result["changed"] is True
    assert result["diff"]["before"]["default_version"] == "1"
    assert result["diff"]["after"]["default_version"] == "2"
    assert aws("ssm").describe_document(Name=NAME)["Document"]["LatestVersion"] == "1"


def test_new_version_is_kept_off_default_when_set_default_is_false(aws: Any) -> None:
    ensure_present(manager(aws, content=RUNBOOK))

    ensure_present(manager(aws, content=RUNBOOK.replace("Reboot one", "Reboot the"), set_default=False))

    described = aws("ssm").describe_document(Name=NAME)["Document"]
    assert (described["LatestVersion"], described["DefaultVersion"]) == ("2", "1")


def test_content_path_is_read_from_the_controller(aws: Any, tmp_path: Any) -> None:
    path = tmp_path / "runbook.yaml"
    path.write_text(RUNBOOK)

    result = ensure_present(manager(aws, content_path=str(path)))

    assert result["document"]["schema_version"] == "0.3"


def test_content_without_schema_version_is_refused_naming_it(aws: Any) -> None:
    with pytest.raises(DocumentError, match="schemaVersion"):
        ensure_present(manager(aws, content="description: no schema\n"))


def test_deleting_in_check_mode_predicts_and_keeps_the_document(aws: Any) -> None:
    ensure_present(manager(aws, content=RUNBOOK))

    result = ensure_absent(manager(aws, check_mode=True, state="absent"))

    assert result["changed"] is True
    assert result["diff"]["after"] == {}
    assert aws("ssm").describe_document(Name=NAME)["Document"]["Name"] == NAME


def test_deleting_removes_the_document_and_a_second_delete_changes_nothing(aws: Any) -> None:
    ensure_present(manager(aws, content=RUNBOOK))

    assert ensure_absent(manager(aws, state="absent"))["changed"] is True
    assert ensure_absent(manager(aws, state="absent"))["changed"] is False


class SettlingClient:
    """The SSM client, except that DescribeDocument reports `status` for the first `times` calls (moto is instant)."""

    def __init__(self, client: Any, status: str, times: int) -> None:
        self._client, self._status, self._left = client, status, times
        self.describes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def describe_document(self, **kwargs: Any) -> dict[str, Any]:
        self.describes += 1
        answer = self._client.describe_document(**kwargs)
        if self._left > 0:
            self._left -= 1
            answer["Document"] = {**answer["Document"], "Status": self._status}
        return answer


def settling_manager(aws: Any, status: str, times: int, **params: Any) -> tuple[DocumentManager, SettlingClient]:
    client = SettlingClient(aws("ssm"), status, times)
    module = FakeModule(ARGUMENT_SPEC, name=NAME, **params)
    return DocumentManager(module, client), client


@pytest.mark.parametrize("status", ["Creating", "Updating"])
def test_a_document_found_settling_is_waited_out_before_its_new_version(
    aws: Any, monkeypatch: pytest.MonkeyPatch, status: str
) -> None:
    monkeypatch.setattr(ssm_document, "POLL_SECONDS", 0.0)
    ensure_present(manager(aws, content=RUNBOOK))
    settling, client = settling_manager(aws, status, times=3, content=RUNBOOK.replace("Reboot", "Restart"))

    result = ensure_present(settling)

    assert client.describes >= 4  # three that were still settling, then the one that let the change go ahead
    assert result["version_created"] == "2"
    assert result["document"]["status"] == "Active"


def test_a_document_that_stays_updating_past_wait_timeout_fails_and_changes_nothing(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssm_document, "POLL_SECONDS", 0.0)
    ensure_present(manager(aws, content=RUNBOOK))
    settling, _client = settling_manager(
        aws, "Updating", times=10_000, wait_timeout=0, content=RUNBOOK.replace("Reboot", "Restart")
    )

    with pytest.raises(DocumentError, match=r"still Updating after 0 s \(wait_timeout\); nothing was changed"):
        ensure_present(settling)
    assert aws("ssm").describe_document(Name=NAME)["Document"]["LatestVersion"] == "1"


def test_deleting_waits_out_a_document_still_creating(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ssm_document, "POLL_SECONDS", 0.0)
    ensure_present(manager(aws, content=RUNBOOK))
    settling, client = settling_manager(aws, "Creating", times=2, state="absent")

    assert ensure_absent(settling)["changed"] is True
    assert client.describes == 3
    assert aws("ssm").list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"] == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_deployed_document_of_another_type_is_refused_naming_both_types(aws: Any, check_mode: bool) -> None:
    ensure_present(manager(aws, content=RUNBOOK, document_type="Automation"))

    with pytest.raises(DocumentError, match="has the type Automation in AWS, not Command") as refused:
        ensure_present(manager(aws, check_mode=check_mode, content=RUNBOOK, document_type="Command"))
    assert "state=absent" in str(refused.value)
    assert aws("ssm").describe_document(Name=NAME)["Document"]["LatestVersion"] == "1"


def test_the_wait_and_the_type_rule_are_documented() -> None:
    documentation = yaml.safe_load(ssm_document.DOCUMENTATION)
    assert all(isinstance(line, str) for line in documentation["description"]), "a ': ' made a line a mapping"
    assert "Creating" in " ".join(documentation["options"]["wait_timeout"]["description"])
    assert "cannot change" in " ".join(documentation["options"]["document_type"]["description"])
    returned = yaml.safe_load(ssm_document.RETURN)
    assert "wait_timeout" in returned["document"]["contains"]["status"]["description"]


INSTANCE_TYPE = "/AWS::EC2::Instance"


def test_a_target_type_is_created_with_the_document_and_a_second_run_changes_nothing(aws: Any) -> None:
    created = ensure_present(manager(aws, content=RUNBOOK, target_type=INSTANCE_TYPE))
    again = ensure_present(manager(aws, content=RUNBOOK, target_type=INSTANCE_TYPE))

    assert created["document"]["target_type"] == INSTANCE_TYPE
    assert aws("ssm").describe_document(Name=NAME)["Document"]["TargetType"] == INSTANCE_TYPE
    assert (again["changed"], again["version_created"]) == (False, None)


def test_a_document_without_a_target_type_gets_one_in_a_new_version(aws: Any) -> None:
    ensure_present(manager(aws, content=RUNBOOK))

    result = ensure_present(manager(aws, content=RUNBOOK, target_type=INSTANCE_TYPE))

    assert result["changed"] is True
    assert (result["diff"]["before"]["target_type"], result["diff"]["after"]["target_type"]) == (None, INSTANCE_TYPE)
    assert aws("ssm").describe_document(Name=NAME)["Document"]["TargetType"] == INSTANCE_TYPE


def test_new_content_keeps_the_target_type_when_none_is_given(aws: Any) -> None:
    ensure_present(manager(aws, content=RUNBOOK, target_type=INSTANCE_TYPE))

    ensure_present(manager(aws, content=RUNBOOK.replace("Reboot one", "Reboot the")))

    described = aws("ssm").describe_document(Name=NAME)["Document"]
    assert (described["DefaultVersion"], described["TargetType"]) == ("2", INSTANCE_TYPE)


@pytest.mark.parametrize("target_type", ["AWS::EC2::Instance", "/AWS::EC2::Instance;drop", "/" + "x" * 200])
def test_a_malformed_target_type_is_refused_naming_it(aws: Any, target_type: str) -> None:
    with pytest.raises(DocumentError, match="target_type must be / or a resource type"):
        ensure_present(manager(aws, content=RUNBOOK, target_type=target_type))
