"""The backtest: reading timestamps, replaying a monitor minute by minute, and the remediation guard arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_second_alert_inside_cooldown_is_suppressed() -> None:
    decisions, tally = replay_guard(firings(0, 5, 16), GuardSettings(cooldown_seconds=900))
    assert [decision.outcome for decision in decisions] == ["allowed", "suppressed", "allowed"]
    assert (tally.requests, tally.allowed, tally.suppressed) == (3, 2, 1)


def test_attempts_past_the_cap_are_refused_with_one_escalation_until_the_window_frees_up() -> None:
    guard = GuardSettings(cooldown_seconds=60, max_attempts=2, window_seconds=3600)
    decisions, tally = replay_guard(firings(0, 10, 20, 30, 61), guard)
    assert [(d.outcome, d.escalated) for d in decisions] == [
        ("allowed", False),
        ("allowed", False),
        ("refused", True),
        ("refused", False),
        ("allowed", False),  # at 61 min the attempt at minute 0 has left the one-hour window
    ]
    assert (tally.allowed, tally.refused, tally.escalations) == (3, 2, 1)


def test_missing_data_firings_are_requests_and_resolutions_are_not() -> None:
    events = [*firings(0, trigger="MissingData"), *firings(3, trigger="ResolvedMissingData"), *firings(4)]
    decisions, tally = replay_guard(events, GuardSettings())
    assert [(d.trigger, d.outcome) for d in decisions] == [("MissingData", "allowed"), ("Critical", "allowed")]
    assert tally.requests == 2


def test_refusals_escalate_again_after_a_new_allowed_attempt() -> None:
    guard = GuardSettings(max_attempts=1, window_seconds=600)
    decisions, tally = replay_guard(firings(0, 1, 2, 10, 11), guard)
    assert [d.outcome for d in decisions] == ["allowed", "refused", "refused", "allowed", "refused"]
    assert tally.escalations == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"cooldown_seconds": -1},
        {"max_attempts": 0},
        {"window_seconds": 0},
    ],
)
def test_invalid_guard_settings_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(BacktestError):
        GuardSettings(**bad)


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
    assert report["remediation"] == {
        "requests": 2,
        "allowed": 1,
        "duplicate": 0,
        "suppressed": 0,
        "refused": 1,
        "escalations": 1,
    }


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
