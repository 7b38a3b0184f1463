"""The sumo_monitoring role against a local Sumo Logic: what it deploys, that a second run changes nothing, what
check and diff mode show, bad inventories stopped before any change, and teardown in the right order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.sumo.local_sumo import LocalSumo
from tests.sumo.playbook_runner import PlaybookRun, run_playbook

pytestmark = pytest.mark.slow

SECRET = "role-test-webhook-secret-0123456789"
WEBHOOK_URL = "http://127.0.0.1:9/lambda-url/"
FOLDER = "/Monitor/Role Test"
LAMBDA_KEYS = [
    "Id",
    "Name",
    "TriggerType",
    "TriggerTimeStart",
    "TriggerTimeEnd",
    "TriggerValue",
    "NumQueryResults",
    "ResultsJson",
    "AlertResponseUrl",
    "QueryUrl",
]
EXPECTED_QUERY = "\n".join(
    (
        '_sourceCategory=prod/api "/api/data"',
        r'| parse regex "\"(?:GET|POST|PUT|DELETE|PATCH) (?<path>/api/data)[^\"]*\" (?<status>\d{3}) '
        r'.*response_time=(?<response_time>[0-9.]+)ms"',
        "| num(response_time)",
        "| where response_time > 3000",
        "| count as slow_calls",
    )
)
ROLE = [{"name": "Apply the role", "ansible.builtin.include_role": {"name": "sumo_monitoring"}}]


def _variables(sumo: LocalSumo, **overrides: Any) -> dict[str, Any]:
    return {
        **sumo.api_settings(),
        "sumo_monitoring_webhook_url": WEBHOOK_URL,
        "sumo_monitoring_webhook_secret": SECRET,
        "sumo_monitoring_folder": FOLDER,
        **overrides,
    }


def _module_result(run: PlaybookRun, module: str) -> dict[str, Any]:
    """The result of the role's task that ran `module` (sumologic_connection or sumologic_monitor)."""
    matches = [
        task["hosts"]["localhost"]
        for task in run.tasks
        if task["hosts"]["localhost"].get("action") == f"autoremediation.sumo_aws.{module}"
    ]
    assert len(matches) == 1, [task["task"]["name"] for task in run.tasks]
    return matches[0]


def _writes(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{entry['method']} {entry['path'].split('?')[0]}" for entry in entries if entry["method"] != "GET"]


@pytest.fixture(scope="module")
def role_runs(local_sumo: LocalSumo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    runs: dict[str, Any] = {}

    def step(key: str, variables: dict[str, Any], **options: Any) -> None:
        before = len(local_sumo.requests())
        run = run_playbook(tmp_path_factory.mktemp(key), ROLE, variables=variables, **options)
        assert run.returncode == 0 or key.startswith("bad_"), f"{key}:\n{run.stdout}\n{run.stderr}"
        runs[key] = {"run": run, "requests": local_sumo.requests_since(before)}

    step("check_first", _variables(local_sumo), check=True, diff=True)
    step("check_first_text", _variables(local_sumo), check=True, diff=True, human=True)
    step("deploy", _variables(local_sumo))
    runs["stored_connections"] = [
        local_sumo.twin.backend.connections.to_json(item) for item in local_sumo.twin.backend.connections.list()
    ]
    step("deploy_again", _variables(local_sumo))
    raised = _variables(local_sumo, sumo_monitoring_slow_call_count=6)
    step("check_threshold_text", raised, check=True, diff=True, human=True)
    step("bad_no_webhook", _variables(local_sumo, sumo_monitoring_webhook_url=""))
    step("bad_mode", _variables(local_sumo, sumo_monitoring_mode="p95"))
    step("bad_both_locations", _variables(local_sumo, sumo_deployment="us2"))
    step("teardown", _variables(local_sumo, sumo_monitoring_state="absent"))
    step("teardown_again", _variables(local_sumo, sumo_monitoring_state="absent"))
    return runs


def test_check_mode_first_run_predicts_both_objects_and_writes_nothing(role_runs: dict[str, Any]) -> None:
    step = role_runs["check_first"]
    assert _module_result(step["run"], "sumologic_connection")["changed"] is True
    monitor = _module_result(step["run"], "sumologic_monitor")
    assert monitor["changed"] is True
    assert EXPECTED_QUERY in monitor["diff"]["after"].replace("\n  ", "\n")
    assert _writes(step["requests"]) == []


def test_check_mode_diff_shows_the_rendered_query_and_never_the_secret(role_runs: dict[str, Any]) -> None:
    output = role_runs["check_first_text"]["run"].stdout
    assert "+  | where response_time > 3000" in output
    assert "+  | count as slow_calls" in output
    assert SECRET not in output


def test_deploy_creates_the_connection_then_the_monitor(role_runs: dict[str, Any]) -> None:
    assert _writes(role_runs["deploy"]["requests"]) == [
        "POST /api/v1/connections",
        "POST /api/v1/monitors",  # the folder
        "POST /api/v1/monitors",  # the monitor
    ]


def test_connection_sends_the_secret_as_a_bearer_token_and_the_lambda_payload(role_runs: dict[str, Any]) -> None:
    connection = _module_result(role_runs["deploy"]["run"], "sumologic_connection")["connection"]
    assert connection["url"] == WEBHOOK_URL
    assert connection["headers"] == [{"name": "Authorization", "value": "********"}]
    payload = json.loads(connection["defaultPayload"])
    assert list(payload) == LAMBDA_KEYS
    assert all(payload[key] == "{{" + key + "}}" for key in LAMBDA_KEYS)
    assert connection["resolutionPayload"] == connection["defaultPayload"]
    stored = next(item for item in role_runs["stored_connections"] if item["id"] == connection["id"])
    assert stored["name"] == "ec2-autoremediation webhook"


def test_monitor_counts_slow_calls_and_fires_above_five_in_ten_minutes(role_runs: dict[str, Any]) -> None:
    result = _module_result(role_runs["deploy"]["run"], "sumologic_monitor")
    monitor = result["monitor"]
    assert result["path"] == f"{FOLDER}/api-data slow calls"
    assert monitor["queries"] == [{"rowId": "A", "query": EXPECTED_QUERY}]
    triggers = {trigger["triggerType"]: trigger for trigger in monitor["triggers"]}
    assert set(triggers) == {"Critical", "ResolvedCritical", "MissingData", "ResolvedMissingData"}
    assert (triggers["Critical"]["thresholdType"], triggers["Critical"]["threshold"]) == ("GreaterThan", 5)
    assert (triggers["ResolvedCritical"]["thresholdType"], triggers["ResolvedCritical"]["threshold"]) == (
        "LessThanOrEqual",
        5,
    )
    assert {triggers[kind]["timeRange"] for kind in triggers} == {"-10m"}
    assert triggers["Critical"]["field"] == "slow_calls"
    connection_id = _module_result(role_runs["deploy"]["run"], "sumologic_connection")["id"]
    assert [item["notification"]["connectionId"] for item in monitor["notifications"]] == [connection_id]


def test_second_run_changes_nothing(role_runs: dict[str, Any]) -> None:
    step = role_runs["deploy_again"]
    assert all(not task["hosts"]["localhost"].get("changed") for task in step["run"].tasks)
    assert _writes(step["requests"]) == []


def test_threshold_change_in_check_mode_shows_only_the_thresholds_and_writes_nothing(role_runs: dict[str, Any]) -> None:
    step = role_runs["check_threshold_text"]
    output = step["run"].stdout
    assert "-    threshold: 5" in output and "+    threshold: 6" in output
    assert "response_time > 3000" not in "\n".join(line for line in output.splitlines() if line[:1] in "+-")
    assert SECRET not in output
    assert _writes(step["requests"]) == []


def test_missing_webhook_url_stops_the_role_before_any_call(role_runs: dict[str, Any]) -> None:
    step = role_runs["bad_no_webhook"]
    assert step["run"].returncode != 0
    assert "sumo_monitoring_webhook_url must be the Lambda Function URL" in step["run"].stdout
    assert step["requests"] == []


def test_unknown_mode_is_refused_by_the_argument_spec_before_any_call(role_runs: dict[str, Any]) -> None:
    step = role_runs["bad_mode"]
    assert step["run"].returncode != 0
    assert "sumo_monitoring_mode" in step["run"].stdout and "p95" in step["run"].stdout
    assert step["requests"] == []


def test_deployment_and_endpoint_together_are_refused_before_any_call(role_runs: dict[str, Any]) -> None:
    step = role_runs["bad_both_locations"]
    assert step["run"].returncode != 0
    assert "Give sumo_deployment" in step["run"].stdout
    assert step["requests"] == []


def test_teardown_deletes_the_monitor_then_the_connection(role_runs: dict[str, Any]) -> None:
    assert _writes(role_runs["teardown"]["requests"]) == [
        f"DELETE /api/v1/monitors/{_module_result(role_runs['deploy']['run'], 'sumologic_monitor')['id']}",
        f"DELETE /api/v1/connections/{_module_result(role_runs['deploy']['run'], 'sumologic_connection')['id']}",
    ]
    assert _writes(role_runs["teardown_again"]["requests"]) == []


def test_role_output_never_carries_the_secret(role_runs: dict[str, Any]) -> None:
    for key, step in role_runs.items():
        if isinstance(step, dict) and "run" in step:
            assert SECRET not in step["run"].stdout + step["run"].stderr, key
