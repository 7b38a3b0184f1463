"""The backtest, the live twin's evaluator and a bare floor, side by side on the same 1,000,000 access-log lines.

* backtest: emulator.sumo.backtest end to end over the file (per-minute summaries, one pass per minute).
* live evaluator: the lines ingested into the twin's LogStore minute by minute as its clock passes them, with an
  evaluation pass of the local Sumo's backend after each minute; its alerts must be the backtest's.
* floor: one Python pass that reads the file, reads each line's time and applies the query's regex: what any
  replay of this log in Python has to pay.

The headline figures are the process's CPU time (the machine may be shared; wall-clock figures are printed too).
The floor and the backtest are timed alternately, `--rounds` times, and each keeps its least CPU time: on a shared
machine that is the run least disturbed by other work, for both alike. The live evaluator is timed once.
Target: backtest / floor <= 2.0.

    python -m bench.bench_sumo_one_evaluator [--lines 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bench_sumo_query import DEFAULT_LATENCY_QUERY, METADATA, generate_lines
from emulator.service_contract import TwinSettings
from emulator.sumo.backend import SumoBackend
from emulator.sumo.library import ROOT_ID
from emulator.sumo.message_time import MessageTimeReader
from emulator.sumo.windows import MINUTE_MS
from tools.backtest import GuardSettings, TriggerSettings, run_backtest

LINES = 1_000_000
ROUNDS = 3
TARGET_RATIO = 2.0
# The query's parse regex in Python's spelling ((?P<name>...) for Sumo's (?<name>...)).
LATENCY_REGEX = re.compile(
    r'"(?:GET|POST|PUT|DELETE|PATCH) (?P<path>/api/data)[^"]*" (?P<status>\d{3}) '
    r".*response_time=(?P<response_time>[0-9.]+)(?P<unit>ms|s)?"
)
TRIGGER = TriggerSettings(threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="slow_calls")


@dataclass
class Timing:
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Timing]:
    timing = Timing()
    started, started_cpu = time.perf_counter(), time.process_time()
    yield timing
    timing.cpu_seconds = time.process_time() - started_cpu
    timing.wall_seconds = time.perf_counter() - started


def least_cpu(timings: list[Timing]) -> Timing:
    return min(timings, key=lambda timing: timing.cpu_seconds)


class ManualClock:
    """The twin's clock, set by the bench: the replay decides what time it is."""

    def __init__(self, now: float) -> None:
        self.seconds = now

    def now(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.seconds += max(seconds, 0.0)


def floor_pass(log_path: Path) -> int:
    """Read every line, its time and the regex match; the number of lines that matched."""
    read_time = MessageTimeReader()
    search = LATENCY_REGEX.search
    matched = 0
    with log_path.open(encoding="utf-8") as log:
        for line in log:
            read_time(line)
            if search(line) is not None:
                matched += 1
    return matched


def backtest_transitions(log_path: Path) -> list[tuple[int, str]]:
    with log_path.open(encoding="utf-8") as log:
        result = run_backtest(log, DEFAULT_LATENCY_QUERY, TRIGGER, GuardSettings(), METADATA)
    return [(event.at_ms, event.trigger) for event in result.events]


def live_monitor_body() -> dict[str, Any]:
    critical = {
        "detectionMethod": "LogsStaticCondition",
        "triggerType": "Critical",
        "timeRange": f"-{TRIGGER.time_range_seconds // 60}m",
        "threshold": TRIGGER.threshold,
        "thresholdType": TRIGGER.threshold_type,
        "field": TRIGGER.field,
    }
    resolved = {**critical, "triggerType": "ResolvedCritical", "thresholdType": "LessThanOrEqual"}
    return {
        "type": "MonitorsLibraryMonitor",
        "name": "bench latency",
        "monitorType": "Logs",
        "queries": [{"rowId": "A", "query": DEFAULT_LATENCY_QUERY}],
        "triggers": [critical, resolved],
    }


def live_transitions(log_path: Path, read_minute: Callable[[str], int]) -> list[tuple[int, str]]:
    """Ingest each minute's lines as the clock reaches its end, then run the pass at that boundary."""
    clock = ManualClock(0.0)
    backend = SumoBackend(clock, TwinSettings(sumo_port=0))
    backend.create_monitor(ROOT_ID, live_monitor_body(), "bench")
    fields = {**METADATA, "_source": "bench"}
    transitions: list[tuple[int, str]] = []

    def replay_minute(minute: int, lines: list[str]) -> None:
        clock.seconds = (minute + 1) * 60
        backend.logs.ingest("".join(lines), fields)
        report = backend.evaluate(clock.seconds)
        at_ms = (minute + 1) * MINUTE_MS
        transitions.extend((at_ms, entry["triggerType"]) for entry in (*report.fired, *report.resolved))

    pending: list[str] = []
    pending_minute: int | None = None
    with log_path.open(encoding="utf-8") as log:
        for line in log:
            minute = read_minute(line)
            if minute != pending_minute and pending_minute is not None:
                replay_minute(pending_minute, pending)
                pending = []
            pending_minute = minute
            pending.append(line)
    if pending_minute is not None:
        replay_minute(pending_minute, pending)
    return transitions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="alternate floor and backtest runs (least wins)")
    arguments = parser.parse_args()
    count = arguments.lines
    label = f"{count // 1_000_000}M" if count % 1_000_000 == 0 else str(count)
    with tempfile.TemporaryDirectory() as directory:
        log_path = Path(directory) / "access.log"
        log_path.write_text("".join(f"{raw}\n" for _, raw in generate_lines(count)), encoding="utf-8")

        floors: list[Timing] = []
        backtests: list[Timing] = []
        for _ in range(max(arguments.rounds, 1)):
            with timed() as timing:
                matched = floor_pass(log_path)
            floors.append(timing)
            with timed() as timing:
                expected = backtest_transitions(log_path)
            backtests.append(timing)
        floor, backtest = least_cpu(floors), least_cpu(backtests)
        read_time = MessageTimeReader()
        with timed() as live:
            seen = live_transitions(log_path, lambda line: (read_time(line) or 0) // MINUTE_MS)

    assert matched > 0 and expected, (matched, expected)
    assert seen == expected, f"the live evaluator and the backtest disagree: {seen[:6]} vs {expected[:6]}"
    ratio = backtest.cpu_seconds / floor.cpu_seconds
    for name, timing in (("floor", floor), ("backtest_end_to_end", backtest), ("live_evaluator", live)):
        print(f"sumo_{name}_seconds_{label}_lines: {timing.cpu_seconds:.2f} (wall {timing.wall_seconds:.2f})")
    print(f"sumo_backtest_over_floor: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"sumo_live_over_floor: {live.cpu_seconds / floor.cpu_seconds:.2f}")
    print(f"sumo_live_over_backtest: {live.cpu_seconds / backtest.cpu_seconds:.1f}")
    print(f"sumo_rounds_cpu_seconds: floor {_listed(floors)}, backtest {_listed(backtests)}")
    print(f"sumo_transitions_agreeing: {len(expected)}")


def _listed(timings: list[Timing]) -> str:
    return " ".join(f"{timing.cpu_seconds:.2f}" for timing in timings)


if __name__ == "__main__":
    main()
