"""The console's reading of what it finds, without AWS: a target's state by the function's rules, decision lines
into timelines, durations, and colour only for a person at a terminal."""

from __future__ import annotations

import io
import json

import pytest

from tools.console.function_logs import parse_line
from tools.console.history import assemble
from tools.console.lambda_source import GuardRules
from tools.console.state_items import TargetItem
from tools.console.status import judge
from tools.console.terminal import Terminal
from tools.console.times import in_words, parse_duration

RULES = GuardRules(cooldown_seconds=900, max_attempts=3, window_seconds=21600, heal_seconds=86400)
NOW = 1_800_000_000


def line(decision, alert_id="m:1", execution_id="", **fields):
    record = {"decision": decision, "alert_id": alert_id, "execution_id": execution_id, "request_id": "r", **fields}
    record["timestamp"] = "2027-01-15 08:00:00,000+0000"
    return parse_line(json.dumps(record), 0)


def test_an_open_circuit_outranks_the_cooldown_as_the_functions_verdicts_do():
    item = TargetItem("i-1", "m:1", cooldown_until=NOW + 60, attempts=(0, 0, NOW - 10), circuit_open_since=NOW - 5)

    assert judge(item, "i-1", RULES, NOW).state == "circuit open"


def test_the_attempt_cap_counts_only_starts_inside_the_window():
    inside = TargetItem("i-1", "m:1", cooldown_until=NOW - 1, attempts=(NOW - 21599, NOW - 100, NOW - 50))
    one_left = TargetItem("i-1", "m:1", cooldown_until=NOW - 1, attempts=(NOW - 21600, NOW - 100, NOW - 50))

    assert (judge(inside, "i-1", RULES, NOW).state, judge(inside, "i-1", RULES, NOW).attempts_in_window) == (
        "exhausted",
        3,
    )
    assert (judge(one_left, "i-1", RULES, NOW).state, judge(one_left, "i-1", RULES, NOW).attempts_in_window) == (
        "idle",
        2,
    )


def test_a_circuit_healthy_for_the_heal_time_is_shown_as_healed():
    item = TargetItem(
        "i-1", "m:1", attempts=(0, 0, NOW - 90000), circuit_open_since=NOW - 89000, healthy_since=NOW - 86400
    )

    status = judge(item, "i-1", RULES, NOW)

    assert (status.state, status.circuit_healed) == ("circuit open", True)


def test_a_resolution_verifies_the_start_of_another_alert_through_its_execution():
    lines = [
        line("received", "m:1"),
        line("started", "m:1", "e-1", target="i-1"),
        line("received", "m:2"),
        line("verified", "m:2", "e-1", target="i-1"),
        line("recovered", "m:2", message_id="sns-1"),
        line("rejected", "", reason="unauthorized"),
    ]

    timelines, unattributed = assemble(lines, [])

    assert [timeline.alert_id for timeline in timelines] == ["m:1", "m:2"]
    assert timelines[0].verification == {"i-1": "verified"}
    assert [note.message_id for note in timelines[1].notifications] == ["sns-1"]
    assert [entry.decision for entry in unattributed] == ["rejected"]


def test_a_start_without_a_verdict_takes_the_state_item_while_it_holds_that_alert():
    lines = [line("started", "m:1", "e-1", target="i-1"), line("started", "m:2", "e-2", target="i-2")]
    items = [TargetItem("i-1", "m:1", not_fixed_key="m:1"), TargetItem("i-2", "m:9")]

    first, second = assemble(lines, items)[0]

    assert first.verification == {"i-1": "not fixed"}
    assert second.verification == {"i-2": "unknown"}  # its item has moved on to a later alert


def test_the_runtimes_own_lines_are_not_decisions():
    assert parse_line("START RequestId: 1 Version: $LATEST", 0) is None
    assert parse_line(json.dumps({"level": "INFO", "message": "cold start"}), 0) is None


@pytest.mark.parametrize(("text", "seconds"), [("90m", 5400), ("24h", 86400), ("7d", 604800), ("45", 45)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0h", "yesterday", "-3h"])
def test_what_is_not_a_duration_is_refused(text):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_durations_in_words():
    assert [in_words(seconds) for seconds in (42, 900, 3900, 21600, 259200)] == ["42s", "15m", "1h 5m", "6h", "3d"]


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_colour_and_progress_only_for_a_terminal(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    piped = Terminal(io.StringIO(), io.StringIO())
    watched_err = FakeTerminal()
    watched = Terminal(FakeTerminal(), watched_err)

    piped.progress("reading")
    watched.progress("reading")

    assert piped.paint("circuit open", "red") == "circuit open"
    assert watched.paint("circuit open", "red") == "\x1b[31mcircuit open\x1b[0m"
    assert "reading" in watched_err.getvalue()
    assert piped.err.getvalue() == ""


def test_no_color_turns_colour_off(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    assert Terminal(FakeTerminal(), FakeTerminal()).paint("idle", "green") == "idle"
