"""The product-side backtest: the monitor and the guard as Ansible resolves them from the deployment inventory and the
roles (one ansible-playbook run of playbooks/backtest_settings.yml), replayed over generated access logs."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.sumo.samples import START_MS, combined_log_line
from tools import backtest_inventory
from tools.ansible_settings import ansible_playbook
from tools.backtest import SETTING_KEYS, build_parser, parse_arguments, run_cli
from tools.backtest_inventory import (
    LAMBDA_ROLE,
    REPO_ROOT,
    Deployment,
    MonitorRole,
    collection_module,
    main,
    render_request,
    setting,
    settings_from_inventory,
)

LOCAL_INVENTORY = REPO_ROOT / "inventory" / "local"
QUERY_MODULE = (
    REPO_ROOT / "collections/ansible_collections/autoremediation/sumo_aws/plugins/module_utils/sumologic_query.py"
)
MINUTE = 60_000
ROLE_DEFAULTS = {
    "threshold": 5.0,
    "threshold_type": "GreaterThan",
    "time_range": "10m",
    "field": "slow_calls",
    "missing_data_time_range": "10m",
    "evaluation_delay": "2m",
    "source_category": "prod/api",
    "cooldown_seconds": 900,
    "max_attempts": 3,
    "window_seconds": 21600,
    "verify_seconds": 1020,  # the monitor's 10m range + its 2m delay + 300 s
    "relapse_seconds": 86400,
    "max_relapses": 2,
    "circuit_heal_seconds": 86400,
}
CLOSED_LOOP_KEYS = ("verify_seconds", "relapse_seconds", "max_relapses", "circuit_heal_seconds")


def sumologic_query() -> Any:
    """The collection's query module, loaded from its file as a reader of the role would."""
    spec = importlib.util.spec_from_file_location("sumologic_query_under_test", QUERY_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_log(path: Path, minutes: int, slow_at_seconds: tuple[float, ...] = (), fast_per_minute: int = 2) -> Path:
    """`fast_per_minute` 120 ms /api/data calls each minute, plus one 3.5 s call at each offset in `slow_at_seconds`."""
    calls = [(START_MS + int(second * 1000), 3500) for second in slow_at_seconds]
    for minute in range(minutes):
        step = MINUTE // max(fast_per_minute, 1)
        calls.extend((START_MS + minute * MINUTE + index * step, 120) for index in range(fast_per_minute))
    path.write_text("\n".join(combined_log_line(at, "/api/data?id=7", ms) for at, ms in sorted(calls)) + "\n")
    return path


def backtest(capsys: pytest.CaptureFixture[str], log: Path, *arguments: str) -> dict[str, Any]:
    """The JSON report of the command line (one ansible-playbook run)."""
    assert main([str(log), *arguments, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def refused(capsys: pytest.CaptureFixture[str], log: Path, *arguments: str) -> str:
    """The error of a command line that must fail: exit 2, a message, no traceback."""
    assert main([str(log), *arguments]) == 2
    error = capsys.readouterr().err
    assert error.startswith("backtest_inventory: ") and "Traceback" not in error
    return error


def triggers(report: dict[str, Any]) -> list[tuple[int, str]]:
    """(minute after START, trigger type) of each transition."""
    return [((event["at_ms"] - START_MS) // MINUTE, event["trigger"]) for event in report["events"]]


def inventory_copy(tmp_path: Path, overrides: str) -> Path:
    """inventory/local copied, with `overrides` (YAML) in a group_vars/all file sorted after the others."""
    inventory = tmp_path / "inventory"
    shutil.copytree(LOCAL_INVENTORY, inventory)
    (inventory / "group_vars" / "all" / "zz_tuning.yml").write_text("---\n" + overrides)
    return inventory


def bare_inventory(tmp_path: Path) -> Path:
    """An inventory with localhost and no variables at all."""
    inventory = tmp_path / "bare"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text((LOCAL_INVENTORY / "hosts.yml").read_text())
    return inventory


def six_slow_calls_in_ten_minutes() -> tuple[float, ...]:
    return (10, 100, 200, 300, 400, 590)


@pytest.fixture(scope="module")
def local_settings() -> dict[str, Any]:
    """inventory/local as Ansible resolves it, once for the replay tests."""
    base, warnings = settings_from_inventory(Deployment(LOCAL_INVENTORY), [], given_by_flags=set())
    assert warnings == []
    return base


def replay(capsys: pytest.CaptureFixture[str], base: dict[str, Any], log: Path, *flags: str) -> dict[str, Any]:
    """The generic backtest's JSON report over `log` with `base` settings (no Ansible run)."""
    assert run_cli(parse_arguments(build_parser(), [str(log), *flags, "--json"]), base) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


# --- the deployment, resolved by Ansible ------------------------------------------------------------------------------


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
        "evaluation_delay_seconds": 120,
    }
    assert report["guard"] == {
        "cooldown_seconds": 900,
        "max_attempts": 3,
        "window_seconds": 21600,
        "verify_seconds": 1020,
        "relapse_seconds": 86400,
        "max_relapses": 2,
        "circuit_heal_seconds": 86400,
    }


def test_role_defaults_apply_when_the_inventory_sets_nothing(tmp_path: Path) -> None:
    base, _ = settings_from_inventory(Deployment(bare_inventory(tmp_path)), [], given_by_flags=set())
    assert base["query"] == sumologic_query().render_monitor_query({"source_category": "prod/api"})
    assert {key: value for key, value in base.items() if key != "query"} == ROLE_DEFAULTS


def test_group_vars_and_host_vars_are_read_and_host_vars_win(tmp_path: Path) -> None:
    inventory = bare_inventory(tmp_path)
    (inventory / "group_vars").mkdir()
    (inventory / "group_vars" / "all.yml").write_text(
        "---\nsumo_monitoring_slow_call_count: 6\nremediation_lambda_max_attempts: 9\nsumo_monitoring_time_range: 5m\n"
    )
    (inventory / "host_vars").mkdir()
    (inventory / "host_vars" / "localhost.yml").write_text("---\nremediation_lambda_max_attempts: 2\n")
    base, _ = settings_from_inventory(Deployment(inventory), [], given_by_flags=set())
    assert (base["threshold"], base["time_range"], base["max_attempts"]) == (6, "5m", 2)


def test_extra_vars_win_over_the_inventory_in_every_form_ansible_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_slow_call_count: 9\nsumo_monitoring_time_range: 5m\n")
    (tmp_path / "guard.yml").write_text("---\nremediation_lambda_cooldown_seconds: 60\n")
    log = write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes())
    arguments = ["--inventory", str(inventory), "-e", "sumo_monitoring_slow_call_count=6"]
    arguments += ["-e", '{"sumo_monitoring_time_range": "15m"}', "-e", f"@{tmp_path / 'guard.yml'}"]
    report = backtest(capsys, log, *arguments)
    assert (report["trigger"]["threshold"], report["trigger"]["time_range_seconds"]) == (6, 900)
    assert report["guard"]["cooldown_seconds"] == 60
    assert report["events"] == []


def test_a_lookup_is_resolved_by_ansible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKTEST_TEST_WINDOW", "30m")
    inventory = inventory_copy(
        tmp_path, "sumo_monitoring_time_range: \"{{ lookup('ansible.builtin.env', 'BACKTEST_TEST_WINDOW') }}\"\n"
    )
    base, _ = settings_from_inventory(Deployment(inventory), [], given_by_flags=set())
    assert base["time_range"] == "30m"


def test_inventory_values_may_refer_to_other_variables(tmp_path: Path) -> None:
    inventory = inventory_copy(
        tmp_path,
        "team_slow_call_budget: 2\n"
        'sumo_monitoring_slow_call_count: "{{ team_slow_call_budget | int + 1 }}"\n'
        'sumo_monitoring_source_category: "{{ team_env }}/api"\n'
        "team_env: staging\n",
    )
    base, _ = settings_from_inventory(Deployment(inventory), [], given_by_flags=set())
    assert base["query"].startswith('_sourceCategory=staging/api "/api/data"')
    assert (base["threshold"], base["source_category"]) == (3, "staging/api")


def test_volume_mode_and_no_missing_data_come_from_the_roles_expressions(tmp_path: Path) -> None:
    inventory = inventory_copy(
        tmp_path,
        "sumo_monitoring_mode: volume\nsumo_monitoring_volume_threshold: 30\n"
        "sumo_monitoring_missing_data: false\nsumo_monitoring_evaluation_delay: 5m\n",
    )
    base, _ = settings_from_inventory(Deployment(inventory), [], given_by_flags=set())
    assert base["query"] == '_sourceCategory=prod/api "/api/data"\n| count'
    assert (base["field"], base["threshold"]) == ("_count", 30)
    assert (base["missing_data_time_range"], base["evaluation_delay"]) == (None, "5m")


def _encrypt(tmp_path: Path, name: str, value: str, password: str) -> tuple[str, Path]:
    """`name: !vault |...` as ansible-vault encrypt_string writes it, and the password file."""
    password_file = tmp_path / f"vault-pass-{password}"
    password_file.write_text(password + "\n")
    vault = str(Path(ansible_playbook()).with_name("ansible-vault"))
    encrypted = subprocess.run(
        [vault, "encrypt_string", "--vault-password-file", str(password_file), "--name", name, value],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return encrypted, password_file


def test_a_vault_encrypted_inventory_value_is_decrypted_with_the_password_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    encrypted, password_file = _encrypt(tmp_path, "sumo_monitoring_slow_call_count", "7", "right-password")
    inventory = inventory_copy(tmp_path, encrypted)
    log = write_log(tmp_path / "access.log", 3)
    report = backtest(capsys, log, "--inventory", str(inventory), "--vault-password-file", str(password_file))
    assert report["trigger"]["threshold"] == 7
    _, wrong = _encrypt(tmp_path, "unused", "x", "wrong-password")
    error = refused(capsys, log, "--inventory", str(inventory), "--vault-password-file", str(wrong))
    assert "sumo_monitoring_slow_call_count" in error and "Decryption failed" in error
    assert "a flag gives the setting instead: --threshold" in error


def test_a_vault_encrypted_vars_file_needs_the_right_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_time_range: 5m\n")
    _, password_file = _encrypt(tmp_path, "unused", "x", "right-password")
    vault = str(Path(ansible_playbook()).with_name("ansible-vault"))
    vars_file = inventory / "group_vars" / "all" / "zz_tuning.yml"
    subprocess.run([vault, "encrypt", "--vault-password-file", str(password_file), str(vars_file)], check=True)
    _, wrong = _encrypt(tmp_path, "unused", "x", "wrong-password")
    error = refused(capsys, write_log(tmp_path / "access.log", 3), "-i", str(inventory), "--vault-id", str(wrong))
    assert "Decryption failed" in error


def test_a_setting_given_by_a_flag_is_not_rendered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = inventory_copy(tmp_path, 'remediation_lambda_max_attempts: "{{ undefined_budget }}"\n')
    log = write_log(tmp_path / "access.log", 3)
    error = refused(capsys, log, "--inventory", str(inventory))
    assert "remediation_lambda_max_attempts" in error and "'undefined_budget' is undefined" in error
    assert "a flag gives the setting instead: --max-attempts" in error
    report = backtest(capsys, log, "--inventory", str(inventory), "--max-attempts", "4")
    assert report["guard"]["max_attempts"] == 4


def test_names_no_role_reads_are_warned_about(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = inventory_copy(tmp_path, "remediation_cooldown_seconds: 60\n")
    assert main([str(write_log(tmp_path / "access.log", 3)), "--inventory", str(inventory)]) == 0
    error = capsys.readouterr().err
    assert "remediation_cooldown_seconds is set in the deployment but read by no role and ignored" in error
    assert "use remediation_lambda_cooldown_seconds" in error


# --- what Ansible refuses ---------------------------------------------------------------------------------------------


def test_a_missing_inventory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    error = refused(capsys, write_log(tmp_path / "access.log", 3), "--inventory", str(tmp_path / "no-such"))
    assert f"--inventory {tmp_path / 'no-such'}: no such inventory file or directory" in error


def test_values_the_roles_argument_specs_refuse_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_time_range: 7m\n")
    error = refused(
        capsys,
        write_log(tmp_path / "access.log", 3),
        "-i",
        str(inventory),
        "-e",
        "sumo_monitoring_slow_call_count=many",
    )
    assert "sumo_monitoring_slow_call_count: argument 'sumo_monitoring_slow_call_count' is of type str" in error
    assert "unable to convert to int" in error
    assert "value of sumo_monitoring_time_range must be one of: 5m, 10m, 15m" in error and "got: 7m" in error


def test_a_query_setting_the_collection_refuses_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_latency_regex: 'took=(?<ms>\\d+)'\n")
    error = refused(capsys, write_log(tmp_path / "access.log", 3), "--inventory", str(inventory))
    assert "latency_regex must capture the latency as (?<response_time>...)" in error
    assert "--query" in error


# --- what to render: the role's own expressions (no Ansible run) ------------------------------------------------------


def test_the_rendered_templates_are_the_monitor_tasks_arguments() -> None:
    role = MonitorRole.read(REPO_ROOT / "roles" / "sumo_monitoring")
    task = yaml.safe_load((REPO_ROOT / "roles/sumo_monitoring/tasks/monitor.yml").read_text())[0]
    request = render_request(role, SETTING_KEYS)
    arguments = task["autoremediation.sumo_aws.sumologic_monitor"]
    for name in ("query", "trigger_field", "threshold", "time_range", "missing_data", "evaluation_delay"):
        assert request.monitor[name] == arguments[name]
    assert "__sumo_monitoring_query" in request.facts
    # What rendering reads, through the role's vars (the threshold and the query settings).
    assert {"sumo_monitoring_slow_call_count", "sumo_monitoring_latency_regex"} <= set(request.monitor_checked)
    assert "sumo_monitoring_webhook_secret" not in request.monitor_checked
    assert request.guard_checked == sorted(
        [
            "remediation_lambda_cooldown_seconds",
            "remediation_lambda_max_attempts",
            "remediation_lambda_attempt_window_seconds",
            "remediation_lambda_verify_seconds",
            "remediation_lambda_relapse_seconds",
            "remediation_lambda_max_relapses",
            "remediation_lambda_circuit_heal_seconds",
        ]
    )


def test_settings_given_by_flags_are_left_out_of_the_request() -> None:
    role = MonitorRole.read(REPO_ROOT / "roles" / "sumo_monitoring")
    request = render_request(role, ["threshold", "cooldown_seconds"])
    assert set(request.monitor) == {"threshold"}
    assert set(request.guard) == {"remediation_lambda_cooldown_seconds"}
    assert "sumo_monitoring_time_range" not in request.monitor_checked


@pytest.mark.parametrize(
    ("rendered", "expected"),
    [
        ({"missing_data": "false", "missing_data_time_range": "30m", "time_range": "10m"}, None),
        ({"missing_data": True, "missing_data_time_range": "30m", "time_range": "10m"}, "30m"),
        ({"missing_data": "yes", "missing_data_time_range": "", "time_range": "15m"}, "15m"),
    ],
)
def test_missing_data_follows_the_monitor_tasks_switch(rendered: dict[str, Any], expected: str | None) -> None:
    assert setting("missing_data_time_range", rendered) == expected


def test_an_argument_the_task_leaves_out_takes_the_modules_default() -> None:
    spec = collection_module("plugins.modules.sumologic_monitor").argument_spec()
    assert setting("threshold_type", {}) == spec["threshold_type"]["default"] == "GreaterThan"
    assert setting("threshold_type", {"threshold_type": "LessThan"}) == "LessThan"


# --- replays of the resolved inventory/local (no further Ansible run) -------------------------------------------------


def test_six_slow_calls_within_ten_minutes_fire_once(
    local_settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = replay(capsys, local_settings, write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes()))
    # The role's 2-minute delay: the pass at 10:12 sees [10:00, 10:10), all six; at 10:13 the first has left it.
    assert triggers(report) == [(12, "Critical"), (13, "ResolvedCritical")]
    assert report["events"][0]["value"] == 6
    assert report["remediation"]["allowed"] == 1


def test_five_slow_calls_within_ten_minutes_never_fire(
    local_settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes()[:5])
    report = replay(capsys, local_settings, log)
    assert report["events"] == []
    assert report["remediation"]["requests"] == 0


def test_silence_past_the_missing_data_window_is_a_remediation_request(
    local_settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "access.log"
    lines = [combined_log_line(START_MS + minute * MINUTE, "/api/data", 120) for minute in (0, 1, 30)]
    log.write_text("\n".join(lines) + "\n")
    report = replay(capsys, local_settings, log)
    # The last call before the gap is at 10:01; the 10-minute window is empty from the pass at 10:14 (two minutes
    # behind) until the call at 10:30 is seen, at 10:33.
    assert triggers(report) == [(14, "MissingData"), (33, "ResolvedMissingData")]
    assert report["remediation"]["requests"] == 1


# Six slow calls in one minute at minutes 0, 12, 30, 50, 70 and 90: Critical three minutes later each time (the minute,
# then the 2-minute delay), resolved ten minutes after that.
SIX_BURSTS = tuple(minute * 60 + second for minute in (0, 12, 30, 50, 70, 90) for second in range(0, 60, 10))


def remediations(report: dict[str, Any]) -> list[tuple[int, str, str | None]]:
    return [
        ((event["at_ms"] - START_MS) // MINUTE, event["remediation"], event["escalation"])
        for event in report["events"]
        if "remediation" in event
    ]


def test_cooldown_and_attempt_cap_use_the_lambdas_deployed_values(
    local_settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --relapse-seconds 0: no start is a relapse, so the cooldown and the cap decide alone.
    log = write_log(tmp_path / "access.log", 105, SIX_BURSTS)
    report = replay(capsys, local_settings, log, "--relapse-seconds", "0")
    assert remediations(report) == [
        (3, "allowed", None),
        (15, "suppressed", None),  # 12 minutes after the last start: inside the 15-minute cooldown
        (33, "allowed", None),
        (53, "allowed", None),
        (73, "refused", "attempt cap"),  # a fourth start within 6 hours: over the cap of 3, escalated once
        (93, "refused", None),
    ]
    assert report["remediation"] == {
        "requests": 6,
        "allowed": 3,
        "duplicate": 0,
        "suppressed": 1,
        "refused": 2,
        "circuit_open": 0,
        "verified": 3,  # each start's alert resolved ten minutes later, inside the 17 minutes
        "not_fixed": 0,
        "not_judged": 0,
        "attempt_cap_escalations": 1,
        "relapse_escalations": 0,
        "escalations": 1,
        "fleet_brake": 0,
    }


def test_the_deployed_relapse_limit_opens_the_circuit_before_the_cap_refuses(
    local_settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = replay(capsys, local_settings, write_log(tmp_path / "access.log", 105, SIX_BURSTS))
    # The starts at 33 and 53 each came within a day of the fix before: two relapses, the role's limit.
    assert remediations(report) == [
        (3, "allowed", None),
        (15, "suppressed", None),
        (33, "allowed", None),
        (53, "allowed", None),
        (73, "circuit open", "relapsing"),
        (93, "circuit open", None),
    ]
    tally = report["remediation"]
    assert (tally["verified"], tally["circuit_open"], tally["relapse_escalations"], tally["escalations"]) == (
        3,
        2,
        1,
        1,
    )


def test_the_closed_loop_variables_are_read_from_the_inventory(tmp_path: Path) -> None:
    inventory = inventory_copy(
        tmp_path,
        "remediation_lambda_relapse_seconds: 3600\nremediation_lambda_max_relapses: 1\n"
        "remediation_lambda_circuit_heal_seconds: 600\n",
    )
    base, _ = settings_from_inventory(Deployment(inventory), [], given_by_flags=set())
    assert {key: base[key] for key in CLOSED_LOOP_KEYS} == {
        "verify_seconds": 1020,
        "relapse_seconds": 3600,
        "max_relapses": 1,
        "circuit_heal_seconds": 600,
    }


def test_the_verification_window_follows_the_monitors_range_and_delay(tmp_path: Path) -> None:
    inventory = inventory_copy(tmp_path, "sumo_monitoring_time_range: 15m\nsumo_monitoring_evaluation_delay: 5m\n")
    base, _ = settings_from_inventory(Deployment(inventory), [], given_by_flags=set())
    assert base["verify_seconds"] == 900 + 300 + 300  # the range, the delay, the role's margin
    inventory = inventory_copy(tmp_path / "set", "remediation_lambda_verify_seconds: 1800\n")
    base, _ = settings_from_inventory(Deployment(inventory), [], given_by_flags=set())
    assert base["verify_seconds"] == 1800


def test_a_closed_loop_variable_the_role_does_not_define_takes_the_lambdas_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    defined = backtest_inventory._role_defaults(LAMBDA_ROLE) - {"remediation_lambda_max_relapses"}
    monkeypatch.setattr(backtest_inventory, "_role_defaults", lambda role: defined)
    inventory = inventory_copy(tmp_path, "remediation_lambda_max_relapses: 7\n")  # read by no role: ignored
    base, _ = settings_from_inventory(Deployment(inventory), [], given_by_flags=set())
    assert "max_relapses" not in base
    report = replay(capsys, base, write_log(tmp_path / "access.log", 3))
    assert report["guard"]["max_relapses"] == 2


def test_closed_loop_names_without_the_roles_prefix_are_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = inventory_copy(tmp_path, "remediation_verify_seconds: 600\n")
    assert main([str(write_log(tmp_path / "access.log", 3)), "--inventory", str(inventory), "--json"]) == 0
    captured = capsys.readouterr()
    assert "remediation_verify_seconds is set in the deployment but read by no role and ignored" in captured.err
    assert "use remediation_lambda_verify_seconds" in captured.err
    assert json.loads(captured.out)["guard"]["verify_seconds"] == 1020


def test_flags_win_over_the_inventory(
    local_settings: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = write_log(tmp_path / "access.log", 25, six_slow_calls_in_ten_minutes())
    report = replay(capsys, local_settings, log, "--threshold", "6", "--cooldown-seconds", "60")
    assert (report["trigger"]["threshold"], report["guard"]["cooldown_seconds"]) == (6, 60)
    assert report["events"] == []
