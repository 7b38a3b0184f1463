"""sumologic_monitor: its contract with Ansible, the body it builds, and how it decides that nothing changed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.autoremediation.sumo_aws.plugins.modules import sumologic_monitor
from ansible_collections.autoremediation.sumo_aws.plugins.modules.sumologic_monitor import (
    build_module,
    comparable,
    desired_monitor,
    validate_name_and_folder,
)

QUERY = '_sourceCategory=prod/api "/api/data"\n| count as slow_calls'
CONNECTION = {"deployment": "us2", "access_id": "suABC", "access_key": "not-a-real-key"}


def _params(**overrides: Any) -> dict[str, Any]:
    """Module params as Ansible would fill them: the defaults plus the given values."""
    spec = sumologic_monitor.argument_spec()
    params = {name: option.get("default") for name, option in spec.items()}
    params.update(name="api-data slow calls", folder="/Monitor/Remediation", query=QUERY, threshold=5.0)
    params.update(trigger_field="slow_calls", **CONNECTION)
    params.update(overrides)
    return params


def _module_failure(args: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> str:
    with patch_module_args(args), pytest.raises(SystemExit):
        build_module()
    return json.loads(capsys.readouterr().out)["msg"]


def test_module_supports_check_mode_and_keeps_the_access_key_out_of_logs() -> None:
    with patch_module_args({"name": "m", "state": "absent", **CONNECTION}):
        module = build_module()
    assert module.supports_check_mode
    assert sumologic_monitor.argument_spec()["access_key"]["no_log"] is True
    assert "not-a-real-key" in module.no_log_values


def test_credentials_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMO_ACCESS_ID", "from-env-id")
    monkeypatch.setenv("SUMO_ACCESS_KEY", "from-env-key")
    with patch_module_args({"name": "m", "state": "absent", "deployment": "us1"}):
        module = build_module()
    assert (module.params["access_id"], module.params["access_key"]) == ("from-env-id", "from-env-key")


def test_deployment_and_endpoint_are_mutually_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    args = {"name": "m", "state": "absent", **CONNECTION, "endpoint": "http://127.0.0.1:4567/api"}
    assert "mutually exclusive: deployment|endpoint" in _module_failure(args, capsys)


def test_connection_id_and_name_are_mutually_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    args = {"name": "m", "query": QUERY, "threshold": 5, "connection_id": "1", "connection_name": "c", **CONNECTION}
    assert "mutually exclusive: connection_id|connection_name" in _module_failure(args, capsys)


def test_unknown_deployment_is_refused_with_the_valid_names(capsys: pytest.CaptureFixture[str]) -> None:
    message = _module_failure({"name": "m", "state": "absent", **CONNECTION, "deployment": "mars"}, capsys)
    assert "deployment" in message and "us1" in message and "mars" in message and "jp" in message


def test_present_needs_a_query_and_a_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    assert "query, threshold" in _module_failure({"name": "m", **CONNECTION}, capsys)


def test_a_name_with_a_slash_is_rejected() -> None:
    with pytest.raises(ValueError, match="contain no '/'") as raised:
        validate_name_and_folder(_params(name="api/data"))
    assert "'api/data'" in str(raised.value)


def test_folder_must_sit_under_the_monitor_root() -> None:
    with pytest.raises(ValueError, match="folder must be /Monitor"):
        validate_name_and_folder(_params(folder="/Library/Remediation"))


def test_nested_folder_is_split_into_segments() -> None:
    assert validate_name_and_folder(_params(folder="/Monitor/Team/Remediation/")) == ["Team", "Remediation"]


def test_critical_and_resolved_share_the_time_range_and_resolve_on_the_opposite() -> None:
    body = desired_monitor(_params(), "00000000000000C1")
    critical, resolved = body["triggers"]
    assert critical == {
        "detectionMethod": "LogsStaticCondition",
        "triggerType": "Critical",
        "timeRange": "-10m",
        "threshold": 5.0,
        "thresholdType": "GreaterThan",
        "field": "slow_calls",
    }
    assert resolved == {**critical, "triggerType": "ResolvedCritical", "thresholdType": "LessThanOrEqual"}


def test_explicit_resolution_threshold_and_type_win() -> None:
    body = desired_monitor(_params(resolution_threshold=2, resolution_threshold_type="LessThan"), None)
    assert body["triggers"][1]["threshold"] == 2 and body["triggers"][1]["thresholdType"] == "LessThan"


def test_missing_data_adds_its_pair_and_its_notifications() -> None:
    body = desired_monitor(_params(missing_data=True, missing_data_time_range="15m"), "00000000000000C1")
    assert [t["triggerType"] for t in body["triggers"]] == [
        "Critical",
        "ResolvedCritical",
        "MissingData",
        "ResolvedMissingData",
    ]
    assert body["triggers"][2] == {
        "detectionMethod": "LogsMissingDataCondition",
        "triggerType": "MissingData",
        "timeRange": "-15m",
    }
    assert body["notifications"] == [
        {
            "notification": {"connectionType": "Webhook", "connectionId": "00000000000000C1"},
            "runForTriggerTypes": ["Critical", "ResolvedCritical", "MissingData", "ResolvedMissingData"],
        }
    ]


def test_without_a_connection_there_is_no_notification() -> None:
    assert desired_monitor(_params(), None)["notifications"] == []


def test_time_range_outside_sumos_windows_is_rejected_with_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="time_range must be one of 5m, 10m, 15m, 30m, 1h, 3h, 6h, 12h, 24h") as raised:
        desired_monitor(_params(time_range="7m"), None)
    assert "'7m'" in str(raised.value)


def test_payload_override_that_is_not_json_is_named() -> None:
    with pytest.raises(ValueError, match="payload_override is not a valid JSON template"):
        desired_monitor(_params(payload_override='{"a": {{Name}"}'), "00000000000000C1")


def test_evaluation_delay_must_be_a_duration() -> None:
    with pytest.raises(ValueError, match="evaluation_delay must be a duration"):
        desired_monitor(_params(evaluation_delay="soon"), None)


def _as_sumo_returns_it(body: dict[str, Any]) -> dict[str, Any]:
    """A monitor the way Sumo answers a GET: read-only fields added, numbers as floats, extra trigger fields."""
    returned = json.loads(json.dumps(body))
    returned.update(
        id="0000000000ABC123",
        version=3,
        type="MonitorsLibraryMonitorResponse",
        contentType="Monitor",
        createdAt="2026-11-27T10:00:00.000Z",
        createdBy="0000000000000001",
        modifiedAt="2026-11-27T10:00:00.000Z",
        modifiedBy="0000000000000001",
        parentId="0000000000000F01",
        isSystem=False,
        isMutable=True,
        status=["Normal"],
        warnings=None,
    )
    for trigger in returned["triggers"]:
        trigger.update(occurrenceType="", triggerSource="", resolutionWindow=None)
    returned["triggers"].reverse()
    return returned


def test_a_monitor_as_sumo_returns_it_compares_equal_to_the_wanted_one() -> None:
    wanted = desired_monitor(_params(missing_data=True, threshold=5), "00000000000000C1")
    assert comparable(_as_sumo_returns_it(wanted), False, False) == comparable(wanted, False, False)


def test_time_range_spelled_positive_or_in_hours_is_no_change() -> None:
    wanted = desired_monitor(_params(time_range="1h"), None)
    current = _as_sumo_returns_it(wanted)
    for trigger in current["triggers"]:
        trigger["timeRange"] = "60m"
    assert comparable(current, False, False) == comparable(wanted, False, False)


def test_a_changed_threshold_is_a_change() -> None:
    current = _as_sumo_returns_it(desired_monitor(_params(), None))
    assert comparable(current, False, False) != comparable(desired_monitor(_params(threshold=6), None), False, False)


def test_a_changed_query_is_a_change_and_shows_in_the_diff_view() -> None:
    current = _as_sumo_returns_it(desired_monitor(_params(), None))
    changed = comparable(desired_monitor(_params(query=QUERY.replace("prod", "stage")), None), False, False)
    assert comparable(current, False, False)["query"] != changed["query"]
    assert changed["query"].startswith("_sourceCategory=stage/api")


def test_tags_are_compared_only_when_managed() -> None:
    current = _as_sumo_returns_it(desired_monitor(_params(), None))
    wanted = desired_monitor(_params(tags={"team": "sre"}), None)
    assert comparable(current, False, False) == comparable(wanted, False, False)
    assert comparable(current, True, False) != comparable(wanted, True, False)
