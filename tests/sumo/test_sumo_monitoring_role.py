"""The sumo_monitoring role against a local Sumo Logic: what it deploys, that a second run changes nothing, what
check and diff mode show, bad inventories stopped before any change, and teardown in the right order."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.sumo.local_sumo import LocalSumo
from tests.sumo.playbook_runner import Step, run_playbook, step_marker

sys.path.append(str(Path(__file__).resolve().parents[2] / "collections"))

from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_query import (
    render_monitor_query,
)

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
# What the role must deploy with its defaults: the collection's renderer, whose exact shape its unit tests pin.
EXPECTED_QUERY = render_monitor_query({"source_category": "prod/api"})


def _role(variables: dict[str, Any], **apply: Any) -> dict[str, Any]:
    task: dict[str, Any] = {"name": "Apply the role", "ansible.builtin.include_role": {"name": "sumo_monitoring"}}
    task["vars"] = variables
    if apply:
        task["ansible.builtin.include_role"]["apply"] = apply
    return task


def _refused_role(variables: dict[str, Any]) -> dict[str, Any]:
    """The role in a block whose rescue records the failure, so later scenarios still run."""
    rescue = {"name": "Note the refusal", "ansible.builtin.debug": {"msg": "refused"}}
    return {"name": "Apply the role expecting a refusal", "block": [_role(variables)], "rescue": [rescue]}


WEBHOOK = {
    "sumo_monitoring_webhook_url": WEBHOOK_URL,
    "sumo_monitoring_webhook_secret": SECRET,
    "sumo_monitoring_folder": FOLDER,
}


def _module_result(step: Step, module: str) -> dict[str, Any]:
    """The result of the role's task that ran `module` (sumologic_connection or sumologic_monitor) in a scenario."""
    matches = [
        result for result in step.results.values() if result.get("action") == f"autoremediation.sumo_aws.{module}"
    ]
    assert len(matches) == 1, list(step.results)
    return matches[0]


def _failure_messages(step: Step) -> str:
    return "\n".join(str(result.get("msg")) for result in step.results.values() if result.get("failed"))


def _writes(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{entry['method']} {entry['path'].split('?')[0]}" for entry in entries if entry["method"] != "GET"]


def _run_scenarios(sumo: LocalSumo, tmp_path: Path, scenarios: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    tasks: list[dict[str, Any]] = []
    for key, task in scenarios:
        tasks.extend([step_marker(key), task])
    run = run_playbook(tmp_path, tasks, variables=sumo.api_settings())
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
    steps: dict[str, Any] = {f"output of {scenarios[0][0]}": {"output": run.stdout + run.stderr}}
    for key, step in run.steps().items():
        steps[key] = {"step": step, "requests": sumo.requests_between(step.start, step.end)}
    return steps


@pytest.fixture(scope="module")
def role_runs(local_sumo: LocalSumo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    runs = _run_scenarios(
        local_sumo,
        tmp_path_factory.mktemp("role_deploy"),
        [
            ("check_first", _role(WEBHOOK, check_mode=True, diff=True)),
            ("deploy", _role(WEBHOOK)),
            ("deploy_again", _role(WEBHOOK)),
        ],
    )
    runs["stored_connections"] = [
        local_sumo.twin.backend.connections.to_json(item) for item in local_sumo.twin.backend.connections.list()
    ]
    before = len(local_sumo.requests())
    raised = {**WEBHOOK, "sumo_monitoring_slow_call_count": 6, "sumo_monitoring_latency_threshold_seconds": 4}
    human = run_playbook(
        tmp_path_factory.mktemp("role_diff_text"),
        [_role(raised)],
        variables=local_sumo.api_settings(),
        check=True,
        diff=True,
        human=True,
    )
    runs["check_raised_text"] = {"output": human.stdout + human.stderr, "requests": local_sumo.requests_since(before)}
    runs.update(
        _run_scenarios(
            local_sumo,
            tmp_path_factory.mktemp("role_refusals_teardown"),
            [
                ("bad_no_webhook", _refused_role({**WEBHOOK, "sumo_monitoring_webhook_url": ""})),
                ("bad_mode", _refused_role({**WEBHOOK, "sumo_monitoring_mode": "p95"})),
                ("bad_both_locations", _refused_role({**WEBHOOK, "sumo_deployment": "us2"})),
                ("teardown", _role({**WEBHOOK, "sumo_monitoring_state": "absent"})),
                ("teardown_again", _role({**WEBHOOK, "sumo_monitoring_state": "absent"})),
            ],
        )
    )
    return runs


def test_check_mode_first_run_predicts_both_objects_and_writes_nothing(role_runs: dict[str, Any]) -> None:
    step = role_runs["check_first"]
    assert _module_result(step["step"], "sumologic_connection")["changed"] is True
    monitor = _module_result(step["step"], "sumologic_monitor")
    assert monitor["changed"] is True
    assert EXPECTED_QUERY in monitor["diff"]["after"].replace("\n  ", "\n")
    assert _writes(step["requests"]) == []


def test_deploy_creates_the_connection_then_the_monitor(role_runs: dict[str, Any]) -> None:
    assert _writes(role_runs["deploy"]["requests"]) == [
        "POST /api/v1/connections",
        "POST /api/v1/monitors",  # the folder
        "POST /api/v1/monitors",  # the monitor
    ]


def test_connection_sends_the_secret_as_a_bearer_token_and_the_lambda_payload(role_runs: dict[str, Any]) -> None:
    connection = _module_result(role_runs["deploy"]["step"], "sumologic_connection")["connection"]
    assert connection["url"] == WEBHOOK_URL
    assert connection["headers"] == [{"name": "Authorization", "value": "********"}]
    payload = json.loads(connection["defaultPayload"])
    assert list(payload) == LAMBDA_KEYS
    assert all(payload[key] == "{{" + key + "}}" for key in LAMBDA_KEYS)
    assert connection["resolutionPayload"] == connection["defaultPayload"]
    stored = next(item for item in role_runs["stored_connections"] if item["id"] == connection["id"])
    assert stored["name"] == "ec2-autoremediation webhook"


def test_monitor_counts_slow_calls_and_fires_above_five_in_ten_minutes(role_runs: dict[str, Any]) -> None:
    result = _module_result(role_runs["deploy"]["step"], "sumologic_monitor")
    monitor = result["monitor"]
    assert result["path"] == f"{FOLDER}/api-data slow calls"
    assert monitor["queries"] == [{"rowId": "A", "query": EXPECTED_QUERY}]
    triggers = {trigger["triggerType"]: trigger for trigger in monitor["triggers"]}
    assert set(triggers) == {"Critical", "ResolvedCritical", "MissingData", "ResolvedMissingData"}
    assert (triggers["Critical"]["thresholdType"], triggers["Critical"]["threshold"]) == ("GreaterThan", 5)
    resolved = triggers["ResolvedCritical"]
    assert (resolved["thresholdType"], resolved["threshold"]) == ("LessThanOrEqual", 5)
    assert {triggers[kind]["timeRange"] for kind in triggers} == {"-10m"}
    assert triggers["Critical"]["field"] == "slow_calls"
    connection_id = _module_result(role_runs["deploy"]["step"], "sumologic_connection")["id"]
    assert [item["notification"]["connectionId"] for item in monitor["notifications"]] == [connection_id]


def test_second_run_changes_nothing(role_runs: dict[str, Any]) -> None:
    step = role_runs["deploy_again"]
    assert step["step"].results and not any(result.get("changed") for result in step["step"].results.values())
    assert _writes(step["requests"]) == []


def test_check_diff_shows_the_changed_query_line_and_thresholds_and_writes_nothing(role_runs: dict[str, Any]) -> None:
    output = role_runs["check_raised_text"]["output"]
    assert "-  | if(response_time > 3000, 1, 0) as is_slow" in output
    assert "+  | if(response_time > 4000, 1, 0) as is_slow" in output
    assert "-    threshold: 5" in output and "+    threshold: 6" in output
    assert SECRET not in output
    assert _writes(role_runs["check_raised_text"]["requests"]) == []


def test_missing_webhook_url_stops_the_role_before_any_call(role_runs: dict[str, Any]) -> None:
    step = role_runs["bad_no_webhook"]
    assert "sumo_monitoring_webhook_url must be the Lambda Function URL" in _failure_messages(step["step"])
    assert step["requests"] == []


def test_unknown_mode_is_refused_by_the_argument_spec_before_any_call(role_runs: dict[str, Any]) -> None:
    step = role_runs["bad_mode"]
    messages = _failure_messages(step["step"])
    assert "sumo_monitoring_mode" in messages and "p95" in messages
    assert step["requests"] == []


def test_deployment_and_endpoint_together_are_refused_before_any_call(role_runs: dict[str, Any]) -> None:
    step = role_runs["bad_both_locations"]
    assert "give sumo_deployment or sumo_api_endpoint, not both" in _failure_messages(step["step"])
    assert step["requests"] == []


def test_teardown_deletes_the_monitor_then_the_connection(role_runs: dict[str, Any]) -> None:
    monitor_id = _module_result(role_runs["deploy"]["step"], "sumologic_monitor")["id"]
    connection_id = _module_result(role_runs["deploy"]["step"], "sumologic_connection")["id"]
    assert _writes(role_runs["teardown"]["requests"]) == [
        f"DELETE /api/v1/monitors/{monitor_id}",
        f"DELETE /api/v1/connections/{connection_id}",
    ]
    assert _writes(role_runs["teardown_again"]["requests"]) == []


def test_role_output_never_carries_the_secret(role_runs: dict[str, Any]) -> None:
    outputs = [value["output"] for value in role_runs.values() if isinstance(value, dict) and "output" in value]
    assert len(outputs) == 3
    assert all(SECRET not in output for output in outputs)
