"""The two modules run by ansible-playbook against a local Sumo Logic: create, no-op, update, delete, check and diff
mode, secrets kept out of output, bad input refused before any change, and every request valid per the spec."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emulator.sumo.spec import official_spec_path, validate_request
from tests.sumo.local_sumo import LocalSumo
from tests.sumo.playbook_runner import PlaybookRun, run_playbook, step_marker
from tools.sumo_spec import REFERENCE_SPEC

sys.path.append(str(Path(__file__).resolve().parents[2] / "collections"))

from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_query import (
    render_monitor_query,
)

SECRET = "s3cr3t-webhook-token-0123456789"
ROTATED_SECRET = "r0tated-webhook-token-9876543210"
PAYLOAD = '{"Id":"{{Id}}","Name":"{{Name}}","TriggerType":"{{TriggerType}}"}'
# A latency query rendered by the collection, with a simpler regex than the default so the tests need no path.
QUERY_SETTINGS = {"source_category": "prod/api", "latency_regex": "response_time=(?<response_time>[0-9.]+)ms"}
QUERY = render_monitor_query(QUERY_SETTINGS)
CHANGED_QUERY = render_monitor_query({**QUERY_SETTINGS, "latency_threshold_seconds": 4})
pytestmark = pytest.mark.slow

API = {
    "endpoint": "{{ sumo_api_endpoint }}",
    "access_id": "{{ sumo_access_id }}",
    "access_key": "{{ sumo_access_key }}",
}


def _connection_task(task_name: str, **args: Any) -> dict[str, Any]:
    module_args = {
        "name": "modules-test hook",
        "url": "http://127.0.0.1:9/hook",
        "headers": {"Authorization": f"Bearer {SECRET}"},
        # The playbook is written by yaml.safe_dump, so the braces need protecting from Jinja here.
        "default_payload": "{% raw %}" + PAYLOAD + "{% endraw %}",
        **API,
        **args,
    }
    return {"name": task_name, "autoremediation.sumo_aws.sumologic_connection": module_args, "register": "result"}


def _monitor_task(task_name: str, **args: Any) -> dict[str, Any]:
    module_args = {
        "name": "modules-test monitor",
        "folder": "/Monitor/Modules Test/Nested",
        "query": QUERY,
        "trigger_field": "slow_calls",
        "threshold": 5,
        "time_range": "10m",
        "missing_data": True,
        "connection_name": "modules-test hook",
        **API,
        **args,
    }
    return {"name": task_name, "autoremediation.sumo_aws.sumologic_monitor": module_args, "register": "result"}


def _paths(entries: list[dict[str, Any]]) -> list[str]:
    return [f"{entry['method']} {entry['path']}" for entry in entries]


@dataclass
class StepView:
    """One scenario of a shared run: its task results by name, and the run's output."""

    run: PlaybookRun
    results: dict[str, dict[str, Any]]

    def result(self, task_name: str) -> dict[str, Any]:
        return self.results[task_name]

    @property
    def stdout(self) -> str:
        return self.run.stdout

    @property
    def stderr(self) -> str:
        return self.run.stderr


Scenario = tuple[str, list[dict[str, Any]], dict[str, Any]]


def run_scenarios(sumo: LocalSumo, tmp_path: Path, scenarios: list[Scenario], **options: Any) -> dict[str, Any]:
    """Run the scenarios in order in one ansible-playbook; each keeps its results and the requests it caused."""
    tasks: list[dict[str, Any]] = []
    for key, scenario_tasks, task_options in scenarios:
        tasks.append(step_marker(key))
        tasks.extend({**task, **task_options} for task in scenario_tasks)
    run = run_playbook(tmp_path, tasks, variables=sumo.api_settings(), **options)
    return {
        key: {"run": StepView(run, step.results), "requests": sumo.requests_between(step.start, step.end)}
        for key, step in run.steps().items()
    }


CHECK = {"check_mode": True}
CHECK_DIFF = {"check_mode": True, "diff": True}
ROTATED = {"headers": {"Authorization": f"Bearer {ROTATED_SECRET}"}, "description": "now with a description"}


@pytest.fixture(scope="module")
def lifecycle(local_sumo: LocalSumo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One pass through the life of a connection and a monitor; each step keeps its result and its requests."""
    changed_query = CHANGED_QUERY
    steps = run_scenarios(
        local_sumo,
        tmp_path_factory.mktemp("lifecycle_create"),
        [
            ("monitor_check_create", [_connection_task("connection"), _monitor_task("monitor")], CHECK),
            ("connection_create", [_connection_task("connection")], {}),
            ("connection_again", [_connection_task("connection")], {}),
            ("connection_update", [_connection_task("connection", description="now with a description")], {}),
            ("connection_rotate_unforced", [_connection_task("connection", **ROTATED)], {}),
            ("connection_rotate_forced", [_connection_task("connection", force_update_headers=True, **ROTATED)], {}),
            ("monitor_create", [_monitor_task("monitor")], {}),
            ("monitor_again", [_monitor_task("monitor")], {}),
            ("monitor_update", [_monitor_task("monitor", threshold=7)], {}),
            ("monitor_diff", [_monitor_task("monitor", query=changed_query)], CHECK_DIFF),
        ],
    )
    steps["sent_headers_after_rotation"] = [
        connection.request_headers() for connection in local_sumo.twin.backend.connections.list()
    ]
    human = run_playbook(
        tmp_path_factory.mktemp("lifecycle_diff_text"),
        [_monitor_task("monitor", query=changed_query)],
        variables=local_sumo.api_settings(),
        diff=True,
        human=True,
    )
    steps["monitor_diff_text"] = {"run": human}
    steps.update(
        run_scenarios(
            local_sumo,
            tmp_path_factory.mktemp("lifecycle_delete"),
            [
                ("monitor_check_delete", [_monitor_task("monitor", state="absent")], CHECK),
                ("monitor_delete", [_monitor_task("monitor", state="absent")], {}),
                ("monitor_delete_again", [_monitor_task("monitor", state="absent")], {}),
                ("connection_delete", [_connection_task("connection", state="absent")], {}),
            ],
        )
    )
    steps["all_requests"] = local_sumo.requests()
    return steps


def test_check_mode_predicts_creation_and_creates_nothing(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["monitor_check_create"]
    assert step["run"].result("connection")["changed"] is True
    monitor = step["run"].result("monitor")
    assert monitor["changed"] is True
    assert monitor["created_folders"] == ["/Monitor/Modules Test", "/Monitor/Modules Test/Nested"]
    assert [entry for entry in step["requests"] if entry["method"] != "GET"] == []


def test_connection_is_created_with_one_post_of_a_webhook_definition(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["connection_create"]
    result = step["run"].result("connection")
    assert result["changed"] is True and len(result["id"]) == 16
    writes = [entry for entry in step["requests"] if entry["method"] != "GET"]
    assert _paths(writes) == ["POST /api/v1/connections"]
    assert writes[0]["body"]["type"] == "WebhookDefinition"
    assert writes[0]["body"]["headers"] == [{"name": "Authorization", "value": "********"}]  # masked by the recorder


def test_connection_second_run_changes_nothing(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["connection_again"]
    assert step["run"].result("connection")["changed"] is False
    assert [entry for entry in step["requests"] if entry["method"] != "GET"] == []


def test_connection_description_change_is_one_put(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["connection_update"]
    connection_id = lifecycle["connection_create"]["run"].result("connection")["id"]
    assert step["run"].result("connection")["changed"] is True
    writes = [entry for entry in step["requests"] if entry["method"] != "GET"]
    assert _paths(writes) == [f"PUT /api/v1/connections/{connection_id}"]
    assert writes[0]["body"]["description"] == "now with a description"


def test_a_rotated_secret_alone_is_invisible_without_force_update_headers(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["connection_rotate_unforced"]
    assert step["run"].result("connection")["changed"] is False
    assert [entry for entry in step["requests"] if entry["method"] != "GET"] == []


def test_force_update_headers_sends_the_rotated_secret(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["connection_rotate_forced"]
    connection_id = lifecycle["connection_create"]["run"].result("connection")["id"]
    assert step["run"].result("connection")["changed"] is True
    assert _paths([entry for entry in step["requests"] if entry["method"] != "GET"]) == [
        f"PUT /api/v1/connections/{connection_id}"
    ]
    assert lifecycle["sent_headers_after_rotation"] == [{"Authorization": f"Bearer {ROTATED_SECRET}"}]


def test_monitor_is_created_in_new_nested_folders_and_notifies_the_connection(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["monitor_create"]
    result = step["run"].result("monitor")
    assert result["changed"] is True
    assert result["path"] == "/Monitor/Modules Test/Nested/modules-test monitor"
    writes = [entry for entry in step["requests"] if entry["method"] != "GET"]
    assert [entry["body"]["type"] for entry in writes] == [
        "MonitorsLibraryFolder",
        "MonitorsLibraryFolder",
        "MonitorsLibraryMonitor",
    ]
    monitor = result["monitor"]
    connection_id = lifecycle["connection_create"]["run"].result("connection")["id"]
    assert monitor["queries"] == [{"rowId": "A", "query": QUERY}]
    assert monitor["notifications"][0]["notification"]["connectionId"] == connection_id
    assert sorted(monitor["notifications"][0]["runForTriggerTypes"]) == sorted(
        ["Critical", "ResolvedCritical", "MissingData", "ResolvedMissingData"]
    )
    critical = next(trigger for trigger in monitor["triggers"] if trigger["triggerType"] == "Critical")
    assert critical["thresholdType"] == "GreaterThan"
    assert (critical["field"], critical["timeRange"]) == ("slow_calls", "-10m")


def test_monitor_second_run_changes_nothing(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["monitor_again"]
    assert step["run"].result("monitor")["changed"] is False
    assert [entry for entry in step["requests"] if entry["method"] != "GET"] == []


def test_monitor_threshold_change_is_exactly_one_put_carrying_the_current_version(lifecycle: dict[str, Any]) -> None:
    created = lifecycle["monitor_create"]["run"].result("monitor")["monitor"]
    step = lifecycle["monitor_update"]
    result = step["run"].result("monitor")
    writes = [entry for entry in step["requests"] if entry["method"] != "GET"]
    assert result["changed"] is True
    assert _paths(writes) == [f"PUT /api/v1/monitors/{created['id']}"]
    assert writes[0]["body"]["type"] == "MonitorsLibraryMonitorUpdate"
    assert writes[0]["body"]["version"] == created["version"]
    assert result["monitor"]["version"] == created["version"] + 1
    assert {trigger["threshold"] for trigger in result["monitor"]["triggers"] if "threshold" in trigger} == {7}


def test_diff_mode_shows_the_query_change_and_check_mode_writes_nothing(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["monitor_diff"]
    diff = step["run"].result("monitor")["diff"]
    assert "| if(response_time > 3000, 1, 0) as is_slow" in diff["before"]
    assert "| if(response_time > 4000, 1, 0) as is_slow" in diff["after"]
    assert [entry for entry in step["requests"] if entry["method"] != "GET"] == []


def test_human_diff_output_shows_changed_query_lines_and_no_secret(lifecycle: dict[str, Any]) -> None:
    output = lifecycle["monitor_diff_text"]["run"].stdout
    assert "-  | if(response_time > 3000, 1, 0) as is_slow" in output
    assert "+  | if(response_time > 4000, 1, 0) as is_slow" in output
    assert SECRET not in output


def test_no_output_anywhere_carries_the_webhook_secret(lifecycle: dict[str, Any]) -> None:
    for key, step in lifecycle.items():
        if isinstance(step, dict) and "run" in step:
            for secret in (SECRET, ROTATED_SECRET):
                assert secret not in step["run"].stdout + step["run"].stderr, key


def test_check_mode_delete_deletes_nothing(lifecycle: dict[str, Any]) -> None:
    step = lifecycle["monitor_check_delete"]
    assert step["run"].result("monitor")["changed"] is True
    assert [entry for entry in step["requests"] if entry["method"] != "GET"] == []


def test_delete_removes_the_monitor_and_a_second_delete_changes_nothing(lifecycle: dict[str, Any]) -> None:
    monitor_id = lifecycle["monitor_create"]["run"].result("monitor")["id"]
    deleted = lifecycle["monitor_delete"]
    assert deleted["run"].result("monitor")["changed"] is True
    assert _paths([entry for entry in deleted["requests"] if entry["method"] != "GET"]) == [
        f"DELETE /api/v1/monitors/{monitor_id}"
    ]
    again = lifecycle["monitor_delete_again"]
    assert again["run"].result("monitor")["changed"] is False
    assert [entry for entry in again["requests"] if entry["method"] != "GET"] == []


def test_connection_delete_names_the_connection_type(lifecycle: dict[str, Any]) -> None:
    connection_id = lifecycle["connection_create"]["run"].result("connection")["id"]
    writes = [entry for entry in lifecycle["connection_delete"]["requests"] if entry["method"] != "GET"]
    assert _paths(writes) == [f"DELETE /api/v1/connections/{connection_id}?type=WebhookConnection"]


def test_every_request_the_modules_sent_succeeded(lifecycle: dict[str, Any]) -> None:
    # The local Sumo validates each body on receipt and answers 400 to an invalid one; 404 is how a missing path
    # or folder answers. Nothing else may appear.
    assert {entry["status"] for entry in lifecycle["all_requests"]} <= {200, 204, 404}


def test_every_request_the_modules_sent_validates_against_the_official_spec(lifecycle: dict[str, Any]) -> None:
    if official_spec_path() is None:
        pytest.skip(f"Sumo Logic's OpenAPI spec is not at {REFERENCE_SPEC}, and SUMO_OPENAPI_SPEC names none")
    requests = lifecycle["all_requests"]
    assert len(requests) > 20
    problems = {
        f"{entry['method']} {entry['path']}": validate_request(entry["method"], entry["path"], entry["body"])
        for entry in requests
    }
    assert {request: found for request, found in problems.items() if found} == {}
    assert {(entry["method"], entry["path"].split("?")[0].rstrip("0123456789ABCDEF")) for entry in requests} >= {
        ("POST", "/api/v1/connections"),
        ("PUT", "/api/v1/connections/"),
        ("POST", "/api/v1/monitors"),
        ("PUT", "/api/v1/monitors/"),
        ("DELETE", "/api/v1/monitors/"),
        ("DELETE", "/api/v1/connections/"),
    }


# --- bad input: each refused with a clear message before any change --------------------------------------------


@pytest.fixture(scope="module")
def refusals(local_sumo: LocalSumo, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ignore = {"ignore_errors": True}
    unknown_deployment = _monitor_task("monitor", deployment="mars")
    del unknown_deployment["autoremediation.sumo_aws.sumologic_monitor"]["endpoint"]
    from_environment = _monitor_task("monitor", state="absent", name="never-created")
    for option in ("access_id", "access_key"):
        del from_environment["autoremediation.sumo_aws.sumologic_monitor"][option]
    credentials = {"SUMO_ACCESS_ID": local_sumo.access_id, "SUMO_ACCESS_KEY": local_sumo.access_key}
    return run_scenarios(
        local_sumo,
        tmp_path_factory.mktemp("refusals"),
        [
            ("wrong_credentials", [_monitor_task("monitor", access_key="wrong-key")], ignore),
            ("unknown_deployment", [unknown_deployment], ignore),
            ("slash_in_name", [_monitor_task("monitor", name="api/data")], ignore),
            (
                "payload_not_json",
                [_connection_task("connection", default_payload='{% raw %}{"Name": {{Name}}{% endraw %}')],
                ignore,
            ),
            ("credentials_from_environment", [from_environment], {"environment": credentials}),
            ("unknown_connection_id", [_refusal_monitor(connection_id="00000000DEADBEEF")], ignore),
            ("connection_for_mismatch", [_connection_task("connection", name="refusals hook")], {}),
            (
                "connection_type_mismatch",
                [_refusal_monitor(connection_name="refusals hook", connection_type="Slack")],
                ignore,
            ),
            (
                "port_sumo_refuses",
                [_connection_task("connection", name="odd port", url="https://hook.example:8443/")],
                ignore,
            ),
            ("cleanup", [_connection_task("connection", name="refusals hook", state="absent")], {}),
        ],
    )


def _refusal_monitor(**args: Any) -> dict[str, Any]:
    """A monitor in a folder that does not exist yet, so a late refusal would leave a folder behind."""
    task = _monitor_task("monitor", name="refused monitor", folder="/Monitor/Refusals", **args)
    del task["autoremediation.sumo_aws.sumologic_monitor"]["connection_name"]
    task["autoremediation.sumo_aws.sumologic_monitor"].update(args)
    return task


def _refusal(refusals: dict[str, Any], key: str, task_name: str) -> tuple[str, list[dict[str, Any]]]:
    result = refusals[key]["run"].result(task_name)
    assert result.get("failed") is True, result
    return result["msg"], refusals[key]["requests"]


def test_wrong_credentials_are_reported_as_rejected_and_nothing_is_written(refusals: dict[str, Any]) -> None:
    message, requests = _refusal(refusals, "wrong_credentials", "monitor")
    assert message.startswith("Sumo Logic rejected the credentials (HTTP 401 unauthorized")
    assert requests and {(entry["method"], entry["status"]) for entry in requests} == {("GET", 401)}
    assert "wrong-key" not in message


def test_unknown_deployment_lists_valid_names_and_calls_nothing(refusals: dict[str, Any]) -> None:
    message, requests = _refusal(refusals, "unknown_deployment", "monitor")
    assert "mars" in message and "us1" in message and "us2" in message and "kr" in message
    assert requests == []


def test_monitor_name_with_a_slash_is_refused_before_any_call(refusals: dict[str, Any]) -> None:
    message, requests = _refusal(refusals, "slash_in_name", "monitor")
    assert "contain no '/'" in message and "'api/data'" in message
    assert requests == []


def test_payload_that_is_not_json_is_refused_before_any_call(refusals: dict[str, Any]) -> None:
    message, requests = _refusal(refusals, "payload_not_json", "connection")
    assert message.startswith("default_payload is not a valid JSON template")
    assert requests == []


def test_credentials_can_come_from_the_environment(refusals: dict[str, Any]) -> None:
    result = refusals["credentials_from_environment"]["run"].result("monitor")
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert {entry["status"] for entry in refusals["credentials_from_environment"]["requests"]} == {404}


def test_rate_limited_calls_are_retried_until_they_pass(local_sumo: LocalSumo, tmp_path: Path) -> None:
    local_sumo.faults.rate_limit_next("POST", "/api/v1/connections", times=2)
    tasks = [_connection_task("create", name="retry-test hook"), _connection_task("delete", name="retry-test hook")]
    tasks[1]["autoremediation.sumo_aws.sumologic_connection"]["state"] = "absent"
    run = run_playbook(tmp_path, tasks, variables=local_sumo.api_settings())
    assert run.result("create")["changed"] is True, run.result("create")
    assert local_sumo.faults.injected == ["POST /api/v1/connections"] * 2
    posts = [
        entry for entry in local_sumo.requests() if entry["method"] == "POST" and "retry-test" in str(entry["body"])
    ]
    assert [entry["status"] for entry in posts] == [200]
    assert run.result("delete")["changed"] is True


def test_unknown_connection_id_is_refused_before_the_folder_is_created(refusals: dict[str, Any]) -> None:
    message, requests = _refusal(refusals, "unknown_connection_id", "monitor")
    assert message == "connection_id '00000000DEADBEEF' names no Sumo Logic webhook connection"
    assert [entry for entry in requests if entry["method"] != "GET"] == []


def test_connection_type_that_does_not_fit_the_connection_is_refused_before_any_change(
    refusals: dict[str, Any],
) -> None:
    message, requests = _refusal(refusals, "connection_type_mismatch", "monitor")
    assert "connection_type 'Slack' does not fit connection 'refusals hook'" in message
    assert "use connection_type: Webhook" in message
    assert [entry for entry in requests if entry["method"] != "GET"] == []


def test_an_error_from_sumo_shows_its_code_message_and_request_id(refusals: dict[str, Any]) -> None:
    message, requests = _refusal(refusals, "port_sumo_refuses", "connection")
    assert re.match(r"Sumo Logic API error 400 [\w.:]+: .+ \(request id [A-Z0-9-]+\) \[POST /connections\]$", message)
    assert "8443" in message
    assert [(entry["method"], entry["status"]) for entry in requests if entry["method"] != "GET"] == [("POST", 400)]
