"""The backtest: reading timestamps, replaying a monitor minute by minute, and the remediation guard arithmetic."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from emulator.sumo.message_time import MessageTimeReader
from emulator.sumo.query import compile_query
from emulator.sumo.replay import MonitorEvent, ReplayError, TriggerSettings
from tests.sumo.samples import (
    API_METADATA,
    DEFAULT_LATENCY_QUERY,
    START_MS,
    VOLUME_QUERY,
    combined_log_line,
    json_log_line,
    record,
)
from tools.backtest import BacktestError, GuardSettings, main, replay_guard, run_backtest

MINUTE = 60_000
# Log monitors run two minutes behind, whatever their evaluationDelay below that (emulator.sumo.windows; ledger
# "Evaluation delay"): every pass below comes DELAY minutes after the minute its window ends at.
DELAY = 2
LATENCY_TRIGGER = TriggerSettings(threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="slow_calls")


def access_log(minutes: int, slow_per_minute: dict[int, int], calls_per_minute: int = 20) -> list[str]:
    """`calls_per_minute` /api/data calls each minute, of which `slow_per_minute[m]` take 3.5 s."""
    lines = []
    for minute in range(minutes):
        for call in range(calls_per_minute):
            response_ms = 3500 if call < slow_per_minute.get(minute, 0) else 100
            lines.append(combined_log_line(START_MS + minute * MINUTE + call * 2000, "/api/data?id=3", response_ms))
    return lines


def at(minute: int) -> int:
    return START_MS + minute * MINUTE


def transitions(result: object) -> list[tuple[int, str]]:
    return [((event.at_ms - START_MS) // MINUTE, event.trigger) for event in result.events]  # type: ignore[attr-defined]


# --- timestamps -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('10.0.0.1 - - [27/Nov/2026:10:00:00 +0000] "GET /api/data HTTP/1.1" 200 5', START_MS),
        ('10.0.0.1 - - [27/Nov/2026:11:00:00 +0100] "GET / HTTP/1.1" 200 5', START_MS),
        ("2026-11-27T10:00:00Z level=info msg=ok", START_MS),
        ("2026-11-27T10:00:00.250+00:00 msg", START_MS + 250),
        ("2026-11-27T10:00:00 no offset means UTC", START_MS),
        ('{"ts":"2026-11-27T10:00:00Z","path":"/api/data"}', START_MS),
        ('{"timestamp": 1795773600, "path": "/"}', 1795773600_000),
        ('{"@timestamp": 1795773600123}', 1795773600123),
        ("no time here", None),
        ('{"ts": true}', None),
        ("[32/Nov/2026:10:00:00 +0000] impossible day", None),
    ],
)
def test_timestamp_rule(line: str, expected: int | None) -> None:
    assert MessageTimeReader()(line) == expected


# --- monitor replay ---------------------------------------------------------------------------------------------


def test_latency_monitor_fires_when_the_sixth_slow_call_enters_the_window_and_resolves_when_they_leave() -> None:
    lines = access_log(40, {10: 3, 11: 3, 12: 3})
    result = run_backtest(lines, DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, GuardSettings(), API_METADATA)
    # At 10:14 the window [10:02, 10:12) holds minutes 10 and 11: 6 slow calls > 5.
    # At 10:24 the window [10:12, 10:22) holds only minute 12: 3 slow calls.
    assert transitions(result) == [(12 + DELAY, "Critical"), (22 + DELAY, "ResolvedCritical")]
    assert result.events[0].value == 6
    assert result.evaluations == 40


def test_five_slow_calls_in_ten_minutes_never_fire() -> None:
    lines = access_log(30, {5: 5})
    result = run_backtest(lines, DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, GuardSettings(), API_METADATA)
    assert result.events == []


def test_json_lines_replay_like_access_lines() -> None:
    lines = [json_log_line(at(minute) + 1000 * call, "/api/data", 4000) for minute in (3, 4) for call in range(3)]
    lines.append(json_log_line(at(20), "/api/data", 100))
    query = (
        '_sourceCategory=prod/api "/api/data" | json field=_raw "path", "duration_ms" as path, ms'
        ' | where path = "/api/data" | num(ms) | where ms > 3000 | count as slow_calls'
    )
    result = run_backtest(lines, query, LATENCY_TRIGGER, GuardSettings(), API_METADATA)
    assert transitions(result) == [(5 + DELAY, "Critical"), (14 + DELAY, "ResolvedCritical")]


def test_row_count_trigger_without_field_on_a_volume_query() -> None:
    # Volume falls silent for minutes 10..19: "fewer than 1 row in 5 minutes" fires at 15 and resolves at 21, each
    # DELAY later.
    lines = [combined_log_line(at(m), "/api/data", 50) for m in range(30) if not 10 <= m < 20]
    trigger = TriggerSettings(threshold=1, threshold_type="LessThan", time_range_seconds=300)
    result = run_backtest(lines, VOLUME_QUERY, trigger, GuardSettings(), API_METADATA)
    assert transitions(result) == [(15 + DELAY, "Critical"), (21 + DELAY, "ResolvedCritical")]


def test_missing_data_fires_after_a_silent_window_and_resolves_on_the_next_message() -> None:
    lines = [combined_log_line(at(m), "/api/data", 50) for m in range(30) if not 10 <= m < 20]
    trigger = TriggerSettings(
        threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="slow_calls",
        missing_data_time_range_seconds=300,
    )  # fmt: skip
    result = run_backtest(lines, DEFAULT_LATENCY_QUERY, trigger, GuardSettings(), API_METADATA)
    assert transitions(result) == [(15 + DELAY, "MissingData"), (21 + DELAY, "ResolvedMissingData")]


def test_lines_outside_the_scope_count_as_missing_data() -> None:
    lines = [combined_log_line(at(m), "/api/data", 50) for m in range(10)]
    trigger = TriggerSettings(threshold=1, time_range_seconds=300, missing_data_time_range_seconds=300)
    other_category = dict(API_METADATA, _sourceCategory="prod/web")
    result = run_backtest(lines, VOLUME_QUERY, trigger, GuardSettings(), other_category)
    assert transitions(result) == [(1 + DELAY, "MissingData")]


def test_unknown_trigger_field_is_reported() -> None:
    trigger = TriggerSettings(threshold=5, time_range_seconds=600, field="slow")  # slow_calls is the name
    with pytest.raises(ReplayError, match="'slow' is not in the query's results"):
        run_backtest(access_log(3, {0: 1}), DEFAULT_LATENCY_QUERY, trigger, GuardSettings(), API_METADATA)


def test_window_summaries_give_the_same_rows_as_running_the_query_over_the_window() -> None:
    query = compile_query('"/api/data" | parse "response_time=*ms" as ms | pct(ms, 90) as p90, count by _sourceHost')
    records = [record(line, START_MS + index * 7_000) for index, line in enumerate(access_log(12, {3: 5, 7: 9}))]
    by_minute: dict[int, list] = {}
    for item in records:
        by_minute.setdefault(item.timestamp_ms // MINUTE, []).append(item)
    summaries = {minute: query.summarize(items) for minute, items in by_minute.items()}
    minutes = sorted(summaries)
    for start in range(len(minutes) - 5):
        window = minutes[start : start + 5]
        expected = query.run([item for minute in window for item in by_minute[minute]])
        assert query.finish([summaries[minute] for minute in window]) == expected


# --- remediation guard -------------------------------------------------------------------------------------------


def firings(*minutes: int, trigger: str = "Critical") -> list[MonitorEvent]:
    return [MonitorEvent(at(minute), trigger, 6, "", at(minute) - 10 * MINUTE) for minute in minutes]


def resolutions(*minutes: int, trigger: str = "ResolvedCritical") -> list[MonitorEvent]:
    return firings(*minutes, trigger=trigger)


def in_time_order(*groups: list[MonitorEvent]) -> list[MonitorEvent]:
    return sorted((event for group in groups for event in group), key=lambda event: event.at_ms)


def test_second_alert_inside_cooldown_is_suppressed() -> None:
    replayed = replay_guard(in_time_order(firings(0, 5, 16), resolutions(3, 19)), GuardSettings(cooldown_seconds=900))
    assert [decision.outcome for decision in replayed.decisions] == ["allowed", "suppressed", "allowed"]
    assert (replayed.tally.requests, replayed.tally.allowed, replayed.tally.suppressed) == (3, 2, 1)


def test_attempts_past_the_cap_are_refused_with_one_escalation_until_the_window_frees_up() -> None:
    guard = GuardSettings(cooldown_seconds=60, max_attempts=2, window_seconds=3600)
    replayed = replay_guard(in_time_order(firings(0, 10, 20, 30, 61), resolutions(3, 13, 64)), guard)
    assert [(d.outcome, d.escalation) for d in replayed.decisions] == [
        ("allowed", None),
        ("allowed", None),
        ("refused", "attempt cap"),
        ("refused", None),
        ("allowed", None),  # at 61 min the attempt at minute 0 has left the one-hour window
    ]
    tally = replayed.tally
    assert (tally.allowed, tally.refused, tally.attempt_cap_escalations, tally.escalations) == (3, 2, 1, 1)
    assert (tally.verified, tally.not_fixed) == (3, 0)


def test_missing_data_firings_are_requests_and_their_resolutions_verify_them() -> None:
    events = [*firings(0, trigger="MissingData"), *resolutions(3, trigger="ResolvedMissingData"), *firings(4)]
    replayed = replay_guard(events, GuardSettings())
    assert [(d.trigger, d.outcome) for d in replayed.decisions] == [("MissingData", "allowed"), ("Critical", "allowed")]
    assert [(check.trigger, check.verified, check.started_at_ms) for check in replayed.resolutions] == [
        ("ResolvedMissingData", True, at(0))
    ]
    # The Critical of minute 4 never resolves: its timer, 1020 s (17 min) later, finds it not fixed.
    assert [(timer.at_ms, timer.outcome) for timer in replayed.timers] == [(at(17), "closed"), (at(21), "not fixed")]
    assert (replayed.tally.requests, replayed.tally.verified, replayed.tally.not_fixed) == (2, 1, 1)


def test_refusals_escalate_again_after_a_new_allowed_attempt() -> None:
    guard = GuardSettings(max_attempts=1, window_seconds=600)
    replayed = replay_guard(in_time_order(firings(0, 1, 2, 10, 11), resolutions(3, 14)), guard)
    assert [d.outcome for d in replayed.decisions] == ["allowed", "refused", "refused", "allowed", "refused"]
    assert (replayed.tally.attempt_cap_escalations, replayed.tally.escalations) == (2, 2)


def test_an_alert_that_stays_open_past_its_verification_is_not_fixed_and_opens_the_circuit() -> None:
    # One slow call a minute from 10:10 to 10:50: more than 5 in a window from 10:18 until 10:58. Then two bursts.
    slow = {minute: 1 for minute in range(10, 51)} | {70: 6, 90: 6}
    result = run_backtest(access_log(110, slow), DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, GuardSettings(), API_METADATA)
    assert transitions(result) == [
        (18, "Critical"),
        (58, "ResolvedCritical"),
        (73, "Critical"),
        (83, "ResolvedCritical"),
        (93, "Critical"),
        (103, "ResolvedCritical"),
    ]
    looped = result.guard
    assert [((d.at_ms - START_MS) // MINUTE, d.outcome) for d in looped.decisions] == [
        (18, "allowed"),
        (73, "circuit open"),
        (93, "circuit open"),
    ]
    # 1020 s after the 10:18 start the alert is still open: NOT FIXED at 10:35, once.
    assert [((t.at_ms - START_MS) // MINUTE, t.outcome) for t in looped.timers] == [(35, "not fixed")]
    assert [check.verified for check in looped.resolutions] == [False, False, False]
    tally = looped.tally
    assert (tally.requests, tally.allowed, tally.circuit_open, tally.not_fixed, tally.verified) == (3, 1, 2, 1, 0)
    assert (tally.escalations, tally.relapse_escalations, tally.attempt_cap_escalations, tally.fleet_brake) == (
        1,
        0,
        0,
        0,
    )


def test_an_open_circuit_closes_for_the_alert_after_the_healing_time() -> None:
    slow = {minute: 1 for minute in range(10, 51)} | {100: 6}
    guard = GuardSettings(circuit_heal_seconds=1800)
    result = run_backtest(access_log(120, slow), DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, guard, API_METADATA)
    # Resolved at 10:58, after the NOT FIXED of 10:35: healthy 45 minutes when the burst of 11:40 fires, at 11:43.
    assert [d.outcome for d in result.guard.decisions] == ["allowed", "allowed"]
    assert (result.guard.tally.not_fixed, result.guard.tally.verified) == (1, 1)


def test_short_slow_bursts_that_clear_are_each_verified() -> None:
    # Six slow calls in one minute: Critical 3 minutes later, resolved 10 minutes after that, inside the 17 minutes.
    log = access_log(110, {10: 6, 40: 6, 70: 6})
    result = run_backtest(log, DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, GuardSettings(), API_METADATA)
    assert transitions(result) == [
        (13, "Critical"),
        (23, "ResolvedCritical"),
        (43, "Critical"),
        (53, "ResolvedCritical"),
        (73, "Critical"),
        (83, "ResolvedCritical"),
    ]
    looped = result.guard
    assert [d.outcome for d in looped.decisions] == ["allowed", "allowed", "allowed"]
    assert [(check.verified, check.started_at_ms) for check in looped.resolutions] == [
        (True, at(13)),
        (True, at(43)),
        (True, at(73)),
    ]
    assert [timer.outcome for timer in looped.timers] == ["closed", "closed", "closed"]
    assert (looped.tally.verified, looped.tally.not_fixed, looped.tally.escalations) == (3, 0, 0)


@pytest.mark.parametrize(
    ("guard", "outcomes", "relapse_escalations"),
    [
        # The second and third starts relapse (each within a day of the fix before); the fourth alert opens it.
        (GuardSettings(), ["allowed"] * 3 + ["circuit open"] * 2, 1),
        (GuardSettings(max_relapses=1), ["allowed"] * 2 + ["circuit open"] * 3, 1),
        (GuardSettings(max_relapses=0), ["allowed"] + ["circuit open"] * 4, 1),
        # Alerts 30 minutes apart are no relapse when a relapse is an alert within 10 minutes of the fix.
        (GuardSettings(relapse_seconds=600), ["allowed"] * 5, 0),
    ],
    ids=["default", "max_relapses=1", "max_relapses=0", "relapse_seconds=600"],
)
def test_relapses_open_the_circuit_after_the_configured_number(
    guard: GuardSettings, outcomes: list[str], relapse_escalations: int
) -> None:
    log = access_log(160, {10: 6, 40: 6, 70: 6, 100: 6, 130: 6})
    result = run_backtest(log, DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, guard, API_METADATA)
    looped = result.guard
    assert [d.outcome for d in looped.decisions] == outcomes
    # Only the alert that opens the circuit escalates; the ones after it are suppressed quietly.
    assert [d.escalation for d in looped.decisions if d.escalated] == ["relapsing"] * relapse_escalations
    tally = looped.tally
    assert (tally.allowed, tally.circuit_open) == (outcomes.count("allowed"), outcomes.count("circuit open"))
    assert (tally.relapse_escalations, tally.escalations, tally.not_fixed) == (relapse_escalations,) * 2 + (0,)
    assert tally.verified == outcomes.count("allowed")


def test_a_start_whose_verification_falls_after_the_log_ends_is_not_judged() -> None:
    # The burst at 10:25 fires at 10:28; the last pass is at 10:32, before its timer at 10:45.
    result = run_backtest(
        access_log(30, {25: 6}), DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, GuardSettings(), API_METADATA
    )
    assert [(timer.at_ms, timer.outcome) for timer in result.guard.timers] == [(at(45), "not judged")]
    assert (result.guard.tally.not_fixed, result.guard.tally.not_judged, result.guard.tally.escalations) == (0, 1, 0)
    # Ten minutes more log: the alert resolves at 10:38, so the timer after the log's end has nothing to judge.
    result = run_backtest(
        access_log(40, {25: 6}), DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, GuardSettings(), API_METADATA
    )
    assert [(timer.at_ms, timer.outcome) for timer in result.guard.timers] == [(at(45), "closed")]
    assert (result.guard.tally.verified, result.guard.tally.not_judged) == (1, 0)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"cooldown_seconds": -1}, "cooldown_seconds must be 0 or more, got -1"),
        ({"max_attempts": 0}, "max_attempts must be 1 or more, got 0"),
        ({"window_seconds": 0}, "window_seconds must be 1 or more, got 0"),
        ({"verify_seconds": 59}, "verify_seconds must be from 60 to 86400, as the Lambda accepts it, got 59"),
        ({"verify_seconds": 86401}, "verify_seconds must be from 60 to 86400, as the Lambda accepts it, got 86401"),
        ({"relapse_seconds": -1}, "relapse_seconds must be 0 or more, as the Lambda accepts it, got -1"),
        ({"max_relapses": -1}, "max_relapses must be from 0 to 100, as the Lambda accepts it, got -1"),
        ({"max_relapses": 101}, "max_relapses must be from 0 to 100, as the Lambda accepts it, got 101"),
        ({"circuit_heal_seconds": -1}, "circuit_heal_seconds must be 0 or more, as the Lambda accepts it, got -1"),
    ],
)
def test_invalid_guard_settings_are_refused(bad: dict[str, int], message: str) -> None:
    with pytest.raises(BacktestError, match=f"^remediation guard: {re.escape(message)}$"):
        GuardSettings(**bad)


LAMBDA_ENVIRONMENT = {
    "REMEDIATION_SECRET_PARAMETER": "secret", "REMEDIATION_SWITCH_PARAMETER": "switch",
    "REMEDIATION_STATE_TABLE": "table", "REMEDIATION_DOCUMENT_NAME": "document", "REMEDIATION_TOPIC_ARN": "topic",
    "REMEDIATION_AUTOMATION_ROLE_ARN": "role", "REMEDIATION_TARGET_INSTANCE_IDS": "i-0123456789abcdef0",
}  # fmt: skip
CLOSED_LOOP_VARIABLES = {
    "verify_seconds": "REMEDIATION_VERIFY_SECONDS",
    "relapse_seconds": "REMEDIATION_RELAPSE_SECONDS",
    "max_relapses": "REMEDIATION_MAX_RELAPSES",
    "circuit_heal_seconds": "REMEDIATION_CIRCUIT_HEAL_SECONDS",
}


def lambda_settings(**variables: str) -> Any:
    # tools.backtest put the Lambda's source on sys.path when this module imported it.
    from remediation_webhook.config import Settings

    return Settings.from_environ({**LAMBDA_ENVIRONMENT, **variables})


def test_the_closed_loop_defaults_are_the_lambdas() -> None:
    deployed, backtested = lambda_settings(), GuardSettings()
    assert {key: getattr(backtested, key) for key in CLOSED_LOOP_VARIABLES} == {
        key: getattr(deployed, key) for key in CLOSED_LOOP_VARIABLES
    }
    assert (backtested.verify_seconds, backtested.max_relapses) == (1020, 2)


@pytest.mark.parametrize(
    ("key", "value"),
    [(key, value) for key in CLOSED_LOOP_VARIABLES for value in (-1, 0, 59, 60, 100, 101, 86400, 86401)],
)
def test_the_backtest_accepts_a_closed_loop_setting_exactly_when_the_lambda_does(key: str, value: int) -> None:
    from remediation_webhook.config import ConfigError

    try:
        lambda_settings(**{CLOSED_LOOP_VARIABLES[key]: str(value)})
        deployable = True
    except ConfigError:
        deployable = False
    try:
        GuardSettings(**{key: value})
        accepted = True
    except BacktestError:
        accepted = False
    assert accepted == deployable


# --- command line --------------------------------------------------------------------------------------------------


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "access.log"
    path.write_text("\n".join([*access_log(30, {10: 3, 11: 3, 12: 3, 25: 6}), "not a log line"]) + "\n")
    return path


def test_command_line_prints_a_json_report(log_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([
        "--log", str(log_file), "--query", DEFAULT_LATENCY_QUERY, "--threshold", "5",
        "--threshold-type", "GreaterThan", "--time-range", "-10m", "--field", "slow_calls",
        "--source-category", "prod/api", "--cooldown-seconds", "600", "--max-attempts", "1", "--json",
    ])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lines"] == 601
    assert report["lines_without_timestamp"] == 1
    assert [(event["at"], event["trigger"]) for event in report["events"]] == [
        ("2026-11-27T10:14:00Z", "Critical"),  # each two minutes after its window (DELAY)
        ("2026-11-27T10:24:00Z", "ResolvedCritical"),
        ("2026-11-27T10:28:00Z", "Critical"),
    ]
    assert [event.get("verified") for event in report["events"]] == [None, True, None]
    assert report["events"][1]["verified_start"] == "2026-11-27T10:14:00Z"
    assert [(event.get("remediation"), event.get("escalation")) for event in report["events"]] == [
        ("allowed", None),
        (None, None),
        ("refused", "attempt cap"),
    ]
    # The 10:14 start's timer (10:31) finds it verified; the log's last pass is at 10:32.
    assert report["timers"] == [
        {"at": "2026-11-27T10:31:00Z", "at_ms": at(31), "started_at": "2026-11-27T10:14:00Z", "outcome": "closed"}
    ]
    assert report["remediation"] == {
        "requests": 2,
        "allowed": 1,
        "duplicate": 0,
        "suppressed": 0,
        "refused": 1,
        "circuit_open": 0,
        "verified": 1,
        "not_fixed": 0,
        "not_judged": 0,
        "attempt_cap_escalations": 1,
        "relapse_escalations": 0,
        "escalations": 1,
        "fleet_brake": 0,
    }
    assert "one target and one monitor" in report["fleet_brake_note"]


def test_command_line_reads_a_settings_file(log_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "monitor.yml"
    settings.write_text(
        f"---\nquery: {json.dumps(DEFAULT_LATENCY_QUERY)}\nthreshold: 5\nthreshold_type: GreaterThan\n"
        'time_range: "-10m"\nfield: slow_calls\nsource_category: prod/api\n'
        "cooldown_seconds: 900\nmax_attempts: 3\nwindow_seconds: 3600\n"
    )
    assert main([str(log_file), "--settings", str(settings)]) == 0
    text = capsys.readouterr().out
    assert "2026-11-27T10:14:00Z  Critical" in text
    assert "Remediation requests 2: allowed 1, duplicates 0, suppressed by cooldown 1, refused by the cap 0" in text


def test_flags_win_over_the_settings_file(log_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = tmp_path / "monitor.yml"
    settings.write_text(
        f"---\nquery: {json.dumps(DEFAULT_LATENCY_QUERY)}\nthreshold: 100\n"
        "time_range: 10m\nfield: slow_calls\nsource_category: prod/api\n"
    )
    # GreaterThanOrEqual (the default type) 6: minute 25's six slow calls fire again.
    assert main([str(log_file), "--settings", str(settings), "--threshold", "6", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [event["trigger"] for event in report["events"]] == ["Critical", "ResolvedCritical", "Critical"]


def test_a_settings_file_with_an_unknown_key_is_refused_with_the_known_ones(
    log_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "monitor.yml"
    settings.write_text("---\nsumo_monitor_threshold: 5\n")
    assert main([str(log_file), "--settings", str(settings)]) == 2
    error = capsys.readouterr().err
    assert "unknown setting(s) sumo_monitor_threshold" in error
    assert "expected some of query, threshold" in error


LATENCY_FLAGS = ["--query", DEFAULT_LATENCY_QUERY, "--threshold", "5", "--threshold-type", "GreaterThan",
                 "--time-range", "10m", "--field", "slow_calls", "--source-category", "prod/api"]  # fmt: skip


def test_the_text_report_shows_not_fixed_the_open_circuit_and_the_fleet_brake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "access.log"
    log.write_text("\n".join(access_log(110, {minute: 1 for minute in range(10, 51)} | {70: 6, 90: 6})) + "\n")
    assert main([str(log), *LATENCY_FLAGS]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[lines.index("Remediation guard: cooldown 0s, no cap.") :] == [
        "Remediation guard: cooldown 0s, no cap.",
        "Closed loop: a start is verified when the alert resolves within 1020s, else NOT FIXED opens the circuit; "
        "after 2 relapses in a row (alerts within 86400s of a verified fix) the next one opens it too; an open circuit "
        "closes after 86400s healthy.",
        "",
        "2026-11-27T10:18:00Z  Critical             slow_calls=6 (1 row)  -> remediation allowed",
        "2026-11-27T10:35:00Z  NOT FIXED            the remediation started 2026-11-27T10:18:00Z not verified within "
        "1020s: escalated, circuit open",
        "2026-11-27T10:58:00Z  ResolvedCritical     slow_calls=5 (1 row)",
        "2026-11-27T11:13:00Z  Critical             slow_calls=6 (1 row)  -> remediation circuit open",
        "2026-11-27T11:23:00Z  ResolvedCritical     slow_calls=0 (1 row)",
        "2026-11-27T11:33:00Z  Critical             slow_calls=6 (1 row)  -> remediation circuit open",
        "2026-11-27T11:43:00Z  ResolvedCritical     slow_calls=0 (1 row)",
        "",
        "Summary: Critical 3, ResolvedCritical 3, MissingData 0, ResolvedMissingData 0",
        "Remediation requests 3: allowed 1, duplicates 0, suppressed by cooldown 0, refused by the cap 0, "
        "suppressed by the open circuit 2.",
        "Verification: verified 0, not fixed 1.",
        "Escalations 1: attempt cap 0, relapses 0, not fixed 1.",
        "Fleet brake 0: the backtest replays one target and one monitor, and an alert naming one instance never "
        "brakes.",
    ]


def test_the_closed_loop_settings_come_from_the_settings_file_and_flags_win(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "monitor.yml"
    settings.write_text("---\nverify_seconds: 900\nrelapse_seconds: 3600\nmax_relapses: 4\ncircuit_heal_seconds: 60\n")
    log = tmp_path / "access.log"
    log.write_text("\n".join(access_log(160, {10: 6, 40: 6, 70: 6, 100: 6, 130: 6})) + "\n")
    assert main([str(log), *LATENCY_FLAGS, "--settings", str(settings), "--max-relapses", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {key: report["guard"][key] for key in CLOSED_LOOP_VARIABLES} == {
        "verify_seconds": 900,
        "relapse_seconds": 3600,
        "max_relapses": 1,
        "circuit_heal_seconds": 60,
    }
    # The second start is one relapse (within an hour of the first fix), allowed; the third alert opens the circuit
    # and escalates; it heals 60 s after the resolution at 11:23, so 11:43 starts; 12:13 relapses again.
    assert [event["remediation"] for event in report["events"] if "remediation" in event] == [
        "allowed",
        "allowed",
        "circuit open",
        "allowed",
        "circuit open",
    ]
    assert (report["remediation"]["relapse_escalations"], report["remediation"]["verified"]) == (2, 3)


def test_the_log_file_is_given_once(log_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--query", "x | count", "--threshold", "1", "--time-range", "5m"])
    assert "give the log file once" in capsys.readouterr().err


def test_an_evaluation_delay_shifts_every_window_into_the_past() -> None:
    trigger = TriggerSettings(
        threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="slow_calls",
        evaluation_delay_seconds=300,
    )  # fmt: skip
    result = run_backtest(access_log(15, {2: 6}), DEFAULT_LATENCY_QUERY, trigger, GuardSettings(), API_METADATA)
    # With no delay it would be Critical at 3, resolved at 13; a 5-minute delay replaces the 2-minute floor.
    assert transitions(result) == [(8, "Critical"), (18, "ResolvedCritical")]
    assert result.evaluations == 15


@pytest.mark.parametrize("configured_seconds", [0, 60, 120])
def test_an_evaluation_delay_under_two_minutes_still_runs_two_minutes_behind(configured_seconds: int) -> None:
    """Ledger: "Evaluation delay"."""
    trigger = TriggerSettings(
        threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="slow_calls",
        evaluation_delay_seconds=configured_seconds,
    )  # fmt: skip
    result = run_backtest(access_log(15, {2: 6}), DEFAULT_LATENCY_QUERY, trigger, GuardSettings(), API_METADATA)
    assert transitions(result) == [(3 + DELAY, "Critical"), (13 + DELAY, "ResolvedCritical")]


def test_the_report_counts_the_passes_whose_query_returned_no_row() -> None:
    """Ledger: "Missing data". Healthy traffic returns a row in every pass; only windows without any call do not."""
    result = run_backtest(access_log(30, {}), DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, GuardSettings(), API_METADATA)
    assert (result.evaluations, result.evaluations_without_rows, result.events) == (30, 0, [])
    silent = [combined_log_line(at(m), "/api/data", 50) for m in range(30) if not 10 <= m < 22]
    result = run_backtest(silent, DEFAULT_LATENCY_QUERY, LATENCY_TRIGGER, GuardSettings(), API_METADATA)
    # Minutes 10..21 are silent: the 10-minute windows [10, 20), [11, 21) and [12, 22) hold no call.
    assert result.evaluations_without_rows == 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--query", "x | transpose", "--threshold", "1", "--time-range", "5m"], "`transpose`"),
        (["--query", "x | count", "--threshold", "many", "--time-range", "5m"], "numeric threshold"),
        (["--query", "x | count", "--threshold", "1", "--time-range", "90s"], "whole number of minutes"),
        (["--query", "x | count", "--threshold", "1"], "time range is needed"),
        (["--threshold", "1", "--time-range", "5m"], "query is needed"),
        (
            ["--query", "x", "--threshold", "1", "--time-range", "5m", "--max-attempts", "0"],
            "max_attempts must be 1 or more",
        ),
        (["--query", "x", "--threshold", "1", "--time-range", "5m", "--evaluation-delay", "30s"], "evaluation delay"),
        (["--query", "x", "--threshold", "1", "--time-range", "5m", "--cooldown-seconds", "soon"], "cooldown seconds"),
        (
            ["--query", "x", "--threshold", "1", "--time-range", "5m", "--verify-seconds", "soon"],
            "verify_seconds must be a whole number, got 'soon'",
        ),
        (
            ["--query", "x", "--threshold", "1", "--time-range", "5m", "--verify-seconds", "30"],
            "verify_seconds must be from 60 to 86400, as the Lambda accepts it, got 30",
        ),
        (
            ["--query", "x", "--threshold", "1", "--time-range", "5m", "--max-relapses", "101"],
            "max_relapses must be from 0 to 100, as the Lambda accepts it, got 101",
        ),
        (
            ["--query", "x", "--threshold", "1", "--time-range", "5m", "--relapse-seconds", "-5"],
            "relapse_seconds must be 0 or more, as the Lambda accepts it, got -5",
        ),
        (
            ["--query", "x", "--threshold", "1", "--time-range", "5m", "--circuit-heal-seconds", "1.5"],
            "circuit_heal_seconds must be a whole number, got '1.5'",
        ),
    ],
)
def test_command_line_rejects_bad_settings_with_a_reason(
    log_file: Path, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--log", str(log_file), *arguments]) == 2
    assert message in capsys.readouterr().err


def test_trigger_field_is_matched_case_insensitively() -> None:
    trigger = TriggerSettings(threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="Slow_Calls")
    result = run_backtest(access_log(15, {2: 6}), DEFAULT_LATENCY_QUERY, trigger, GuardSettings(), API_METADATA)
    assert transitions(result) == [(3 + DELAY, "Critical"), (13 + DELAY, "ResolvedCritical")]
