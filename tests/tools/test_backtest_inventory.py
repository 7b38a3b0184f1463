"""The product-side backtest: the monitor and the guard exactly as the deployment inventory and the roles define them,
replayed over generated access logs."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.sumo_query.samples import START_MS, combined_log_line
from tools.access_log import main as access_log_main
from tools.backtest_inventory import REPO_ROOT, Deployment, main, settings_from_inventory
from tools.inventory_vars import InventoryError

LOCAL_INVENTORY = REPO_ROOT / "inventory" / "local"
QUERY_MODULE = (
    REPO_ROOT / "collections/ansible_collections/autoremediation/sumo_aws/plugins/module_utils/sumologic_query.py"
)
MINUTE = 60_000


def sumologic_query() -> Any:
    """The collection's query module, loaded from its file as a reader of the role would."""
    spec = importlib.util.spec_from_file_location("sumologic_query_under_test", QUERY_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_log(path: Path, minutes: int, slow_at_seconds: list[float] = (), fast_per_minute: int = 2) -> Path:  # type: ignore[assignment]
    """`fast_per_minute` 120 ms /api/data calls each minute, plus one 3.5 s call at each offset in `slow_at_seconds`."""
    calls = [(START_MS + int(second * 1000), 3500) for second in slow_at_seconds]
    for minute in range(minutes):
        step = MINUTE // max(fast_per_minute, 1)
        calls.extend((START_MS + minute * MINUTE + index * step, 120) for index in range(fast_per_minute))
    path.write_text("\n".join(combined_log_line(at, "/api/data?id=7", ms) for at, ms in sorted(calls)) + "\n")
    return path


def backtest(capsys: pytest.CaptureFixture[str], log: Path, *arguments: str) -> dict[str, Any]:
    assert main([str(log), *arguments, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def triggers(report: dict[str, Any]) -> list[tuple[int, str]]:
    """(minute after START, trigger type) of each transition."""
    return [((event["at_ms"] - START_MS) // MINUTE, event["trigger"]) for event in report["events"]]


def inventory_copy(tmp_path: Path, overrides: str) -> Path:
    """inventory/local copied, with `overrides` (YAML) in a group_vars/all file sorted after the others."""
    inventory = tmp_path / "inventory"
    shutil.copytree(LOCAL_INVENTORY, inventory)
    (inventory / "group_vars" / "all" / "zz_tuning.yml").write_text("---\n" + overrides)
    return inventory


def six_slow_calls_in_ten_minutes() -> list[float]:
    return [10, 100, 200, 300, 400, 590]


# --- the inventory's defaults ----------------------------------------------------------------------------------------


def test_the_inventory_monitor_is_the_roles_query_and_trigger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = backtest(capsys, write_log(tmp_path / "access.log", 12), "--inventory", str(LOCAL_INVENTORY))
    assert report["query"] == sumologic_query().render_monitor_query({"source_category": "prod/api"})
    assert report["trigger"] == {
        "threshold": 5,
        "threshold_type": "GreaterThan",
        "time_range_seconds": 600,
        "field": "slow_calls",
        "missing_data_time_range_seconds": 600,
        "evaluation_delay_seconds": 0,
    }


def test_six_slow_calls_within_ten_minutes_fire_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes())
    report = backtest(capsys, log, "--inventory", str(LOCAL_INVENTORY))
    # At 10:10 the window [10:00, 10:10) holds all six; at 10:11 the first has left it.
    assert triggers(report) == [(10, "Critical"), (11, "ResolvedCritical")]
    assert report["events"][0]["value"] == 6
    assert report["remediation"]["allowed"] == 1


def test_five_slow_calls_within_ten_minutes_never_fire(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes()[:5])
    report = backtest(capsys, log, "--inventory", str(LOCAL_INVENTORY))
    assert report["events"] == []
    assert report["remediation"]["requests"] == 0


def test_a_thousand_fast_calls_never_fire(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "access.log", 10, fast_per_minute=100)
    report = backtest(capsys, log, "--inventory", str(LOCAL_INVENTORY))
    assert report["lines"] == 1000
    assert report["events"] == []


def test_silence_past_the_missing_data_window_is_a_remediation_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "access.log"
    lines = [combined_log_line(START_MS + minute * MINUTE, "/api/data", 120) for minute in (0, 1, 30)]
    log.write_text("\n".join(lines) + "\n")
    report = backtest(capsys, log, "--inventory", str(LOCAL_INVENTORY))
    # The last call before the gap is at 10:01; the 10-minute window is empty from 10:12 until the call at 10:30.
    assert triggers(report) == [(12, "MissingData"), (31, "ResolvedMissingData")]
    assert report["remediation"]["requests"] == 1


# --- tuning through the inventory ------------------------------------------------------------------------------------


def test_a_higher_slow_call_count_in_the_inventory_stops_six_calls_firing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_slow_call_count: 6\n")
    log = write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes())
    report = backtest(capsys, log, "--inventory", str(inventory))
    assert report["trigger"]["threshold"] == 6
    assert report["events"] == []


def test_a_lower_latency_threshold_in_the_inventory_counts_more_calls_as_slow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 0.1 s: every 120 ms call is slow, so 2 calls a minute pass 5 within the third minute.
    inventory = inventory_copy(tmp_path, "sumo_monitoring_latency_threshold_seconds: 0.1\n")
    report = backtest(capsys, write_log(tmp_path / "access.log", 12), "--inventory", str(inventory))
    assert "| where response_time > 100\n" in report["query"]
    assert triggers(report) == [(3, "Critical")]


def test_inventory_values_may_refer_to_other_variables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = inventory_copy(
        tmp_path,
        "team_slow_call_budget: 2\n"
        'sumo_monitoring_slow_call_count: "{{ team_slow_call_budget }}"\n'
        'sumo_monitoring_source_category: "{{ team_env }}/api"\n'
        "team_env: staging\n",
    )
    log = write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes()[:3])
    report = backtest(capsys, log, "--inventory", str(inventory), "--source-category", "staging/api")
    assert report["query"].startswith('_sourceCategory=staging/api "/api/data"')
    assert report["trigger"]["threshold"] == 2
    assert triggers(report)[0] == (4, "Critical")  # the third slow call is at 10:03:20


def test_volume_mode_counts_every_call_against_the_volume_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_mode: volume\nsumo_monitoring_volume_threshold: 30\n")
    report = backtest(capsys, write_log(tmp_path / "access.log", 30, fast_per_minute=4), "--inventory", str(inventory))
    assert report["query"] == '_sourceCategory=prod/api "/api/data"\n| count'
    assert (report["trigger"]["field"], report["trigger"]["threshold"]) == ("_count", 30)
    assert triggers(report) == [(8, "Critical")]  # 32 calls in [10:00, 10:08)


def test_missing_data_off_in_the_inventory_drops_that_trigger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_missing_data: false\nsumo_monitoring_evaluation_delay: 5m\n")
    report = backtest(capsys, write_log(tmp_path / "access.log", 5), "--inventory", str(inventory))
    assert report["trigger"]["missing_data_time_range_seconds"] is None
    assert report["trigger"]["evaluation_delay_seconds"] == 300


def test_extra_vars_win_over_the_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes())
    arguments = ["--inventory", str(LOCAL_INVENTORY), "-e", "sumo_monitoring_slow_call_count=6"]
    report = backtest(capsys, log, *arguments, "-e", "sumo_monitoring_time_range=15m")
    assert (report["trigger"]["threshold"], report["trigger"]["time_range_seconds"]) == (6, 900)
    assert report["events"] == []


def test_flags_win_over_the_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes())
    report = backtest(capsys, log, "--inventory", str(LOCAL_INVENTORY), "--threshold", "6", "--cooldown-seconds", "60")
    assert report["trigger"]["threshold"] == 6
    assert report["guard"]["cooldown_seconds"] == 60
    assert report["events"] == []


def test_a_group_vars_all_file_is_read_when_there_is_no_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "group_vars" / "all.yml").write_text("---\nsumo_monitoring_time_range: 5m\n")
    report = backtest(capsys, write_log(tmp_path / "access.log", 3), "--inventory", str(inventory))
    assert report["trigger"]["time_range_seconds"] == 300


# --- the remediation guard --------------------------------------------------------------------------------------------


def test_cooldown_and_attempt_cap_use_the_lambdas_deployed_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Six slow calls in one minute at minutes 0, 12, 30, 50, 70 and 90: Critical one minute later each time.
    bursts = [minute * 60 + second for minute in (0, 12, 30, 50, 70, 90) for second in range(0, 60, 10)]
    log = write_log(tmp_path / "access.log", 105, bursts)
    report = backtest(capsys, log, "--inventory", str(LOCAL_INVENTORY))
    assert report["guard"] == {"cooldown_seconds": 900, "max_attempts": 3, "window_seconds": 21600}
    outcomes = [
        ((event["at_ms"] - START_MS) // MINUTE, event["remediation"], event["escalated"])
        for event in report["events"]
        if "remediation" in event
    ]
    assert outcomes == [
        (1, "allowed", False),
        (13, "suppressed", False),  # 12 minutes after the last start: inside the 15-minute cooldown
        (31, "allowed", False),
        (51, "allowed", False),
        (71, "refused", True),  # a fourth start within 6 hours: over the cap of 3, escalated once
        (91, "refused", False),
    ]
    assert report["remediation"] == {"requests": 6, "allowed": 3, "suppressed": 1, "refused": 2, "escalations": 1}


def test_guard_values_from_the_inventory_change_the_arithmetic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = inventory_copy(tmp_path, "remediation_lambda_cooldown_seconds: 0\nremediation_lambda_max_attempts: 5\n")
    bursts = [minute * 60 + second for minute in (0, 12, 30, 50, 70, 90) for second in range(0, 60, 10)]
    report = backtest(capsys, write_log(tmp_path / "access.log", 105, bursts), "--inventory", str(inventory))
    assert report["remediation"] == {"requests": 6, "allowed": 5, "suppressed": 0, "refused": 1, "escalations": 1}


# --- what cannot be read ----------------------------------------------------------------------------------------------


def test_a_lookup_in_a_needed_variable_asks_for_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_time_range: \"{{ lookup('env', 'WINDOW') }}\"\n")
    log = write_log(tmp_path / "access.log", 3)
    assert main([str(log), "--inventory", str(inventory)]) == 2
    error = capsys.readouterr().err
    assert "sumo_monitoring_time_range uses an Ansible lookup, lookup('env', ...)" in error
    assert "pass --time-range or -e sumo_monitoring_time_range=VALUE" in error
    assert main([str(log), "--inventory", str(inventory), "--time-range", "10m"]) == 0


def test_a_value_the_roles_argument_spec_refuses_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_time_range: 7m\n")
    assert main([str(write_log(tmp_path / "access.log", 3)), "--inventory", str(inventory)]) == 2
    error = capsys.readouterr().err
    assert "sumo_monitoring_time_range must be one of 5m, 10m, 15m" in error
    assert "got '7m' from " in error and "zz_tuning.yml" in error


def test_a_query_setting_the_collection_refuses_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_latency_regex: 'took=(?<ms>\\d+)'\n")
    assert main([str(write_log(tmp_path / "access.log", 3)), "--inventory", str(inventory)]) == 2
    assert "latency_regex must capture the latency as (?<response_time>...)" in capsys.readouterr().err


def test_names_no_role_reads_are_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = inventory_copy(tmp_path, "remediation_cooldown_seconds: 60\n")
    assert main([str(write_log(tmp_path / "access.log", 3)), "--inventory", str(inventory)]) == 0
    error = capsys.readouterr().err
    assert "remediation_cooldown_seconds" in error
    assert "is read by no role and ignored; use remediation_lambda_cooldown_seconds" in error


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--inventory", "no/such/inventory"], "expected an inventory directory"),
        (["--inventory", str(LOCAL_INVENTORY), "-e", "slow calls=6"], "-e expects NAME=VALUE"),
        (["--inventory", str(LOCAL_INVENTORY), "-e", "sumo_monitoring_slow_call_count=many"], "must be of type int"),
    ],
)
def test_bad_inventory_arguments_are_refused_with_a_reason(
    tmp_path: Path, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(write_log(tmp_path / "access.log", 3)), *arguments]) == 2
    assert message in capsys.readouterr().err


# --- the worked example of docs/backtest.md --------------------------------------------------------------------------


def test_the_documented_worked_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate = ["--minutes", "120", "--slow", "20:3", "--slow", "21:3", "--slow", "40:4", "--slow", "45:4"]
    assert access_log_main([*generate, "--slow", "70:6", "--silent", "90-104"]) == 0
    log = tmp_path / "access.log"
    log.write_text(capsys.readouterr().out)
    report = backtest(capsys, log, "--inventory", str(LOCAL_INVENTORY))
    assert report["lines"] == 2100
    assert [
        (event["at"][11:16], event["trigger"], event["detail"], event.get("remediation")) for event in report["events"]
    ] == [
        ("10:22", "Critical", "slow_calls=6", "allowed"),
        ("10:31", "ResolvedCritical", "slow_calls=3", None),
        ("10:46", "Critical", "slow_calls=8", "allowed"),
        ("10:51", "ResolvedCritical", "slow_calls=4", None),
        ("11:11", "Critical", "slow_calls=6", "allowed"),
        ("11:21", "ResolvedCritical", "no slow_calls value", None),
        ("11:40", "MissingData", "0 message(s) matched the scope", "refused"),
        ("11:46", "ResolvedMissingData", "20 message(s) matched the scope", None),
    ]
    assert report["remediation"] == {"requests": 4, "allowed": 3, "suppressed": 0, "refused": 1, "escalations": 1}
    tuned = backtest(capsys, log, "--inventory", str(LOCAL_INVENTORY), "-e", "sumo_monitoring_slow_call_count=7")
    assert [(event["at"][11:16], event["trigger"]) for event in tuned["events"]] == [
        ("10:46", "Critical"),
        ("10:51", "ResolvedCritical"),
        ("11:40", "MissingData"),
        ("11:46", "ResolvedMissingData"),
    ]


# --- the playbook that applies the roles ------------------------------------------------------------------------------


def test_play_vars_of_the_playbook_that_applies_the_role_win_over_the_inventory(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(
        "---\n- name: AWS\n  ansible.builtin.import_playbook: playbooks/aws.yml\n"
        "- name: Sumo\n  ansible.builtin.import_playbook: playbooks/sumo.yml\n"
    )
    (tmp_path / "playbooks" / "vars").mkdir(parents=True)
    (tmp_path / "playbooks" / "aws.yml").write_text(
        "---\n- hosts: localhost\n  vars_files: [vars/guard.yml]\n  roles: [remediation_lambda]\n"
    )
    (tmp_path / "playbooks" / "vars" / "guard.yml").write_text("---\nremediation_lambda_max_attempts: 2\n")
    (tmp_path / "playbooks" / "sumo.yml").write_text(
        "---\n- hosts: localhost\n  vars:\n    sumo_monitoring_slow_call_count: 2\n"
        "  roles:\n    - role: sumo_monitoring\n"
    )
    inventory = inventory_copy(tmp_path, "sumo_monitoring_slow_call_count: 9\nremediation_lambda_max_attempts: 9\n")
    deployment = Deployment(inventory, site=tmp_path / "site.yml")
    base, resolver = settings_from_inventory(deployment, {}, given_by_flags=set())
    assert (base["threshold"], base["max_attempts"]) == (2, 2)
    assert resolver.origin("sumo_monitoring_slow_call_count") == f"{tmp_path / 'playbooks' / 'sumo.yml'} (play vars)"


def test_a_site_without_a_play_for_the_role_is_reported(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text("---\n- hosts: localhost\n  roles: [remediation_lambda]\n")
    deployment = Deployment(LOCAL_INVENTORY, site=tmp_path / "site.yml")
    with pytest.raises(InventoryError, match="expected one play applying the role sumo_monitoring, found 0"):
        settings_from_inventory(deployment, {}, given_by_flags=set())
