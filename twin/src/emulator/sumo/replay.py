"""Replay a Logs monitor over a log file, minute by minute, with the local Sumo's own rules: when it would have fired
and resolved. A library: the product's backtest (tools/backtest.py in the repository that ships this twin) adds its
settings, report and remediation guard on top.

    query = compile_query(text)
    buckets = bucket_lines(lines, query, {"_sourceCategory": "prod/api"})
    replayed = replay_monitor(buckets, query, TriggerSettings(threshold=5, threshold_type="GreaterThan"))
    replayed.passes, replayed.events, replayed.passes_without_rows

The monitor is judged by the rules the live evaluation uses, which this module calls and does not restate: message
times (message_time.py; lines without one are skipped and counted), the window of each pass with the evaluation delay
and the passes replayed (windows.py), the trigger comparison and the value reported (trigger_check.py), the
missing-data and resolution rules (alert_rules.py) and durations (timefmt.py). Critical has no separate Resolved
condition here: it clears when its condition no longer holds. Each minute is summarized once and windows combine the
summaries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from emulator.sumo.alert_rules import MissingDataReading, Transition, clears, is_missing_data, transition
from emulator.sumo.message_time import MessageTimeReader
from emulator.sumo.query import CompiledQuery, Message, Summary
from emulator.sumo.query.values import Number
from emulator.sumo.timefmt import is_duration, is_whole_minutes, parse_minutes_seconds
from emulator.sumo.trigger_check import THRESHOLD_TYPES, TriggerVerdict, check_trigger
from emulator.sumo.windows import MINUTE_MS, evaluation_window_ms, passes_over


class ReplayError(ValueError):
    """Settings or input the replay cannot work with; the message names the value and what was expected."""


def duration_seconds(text: object, what: str, allow_zero: bool = False) -> int:
    """Seconds in "-10m", "1h", "23h60m" (the sign is ignored); whole minutes only, as monitors run each minute."""
    if not is_duration(text):
        raise ReplayError(f"{what} must be a duration like -10m, 15m or 1h, got {text!r}")
    try:
        return parse_minutes_seconds(str(text), allow_zero=allow_zero)
    except ValueError as error:
        raise ReplayError(f"{what}: {error}") from None


@dataclass(frozen=True)
class TriggerSettings:
    """The monitor's Critical trigger (and optional MissingData trigger), as LogsStaticCondition holds them."""

    threshold: float
    threshold_type: str = "GreaterThanOrEqual"
    time_range_seconds: int = 900
    field: str | None = None
    missing_data_time_range_seconds: int | None = None
    evaluation_delay_seconds: int = 0

    def __post_init__(self) -> None:
        if self.threshold_type not in THRESHOLD_TYPES:
            raise ReplayError(
                f"threshold type must be one of {', '.join(THRESHOLD_TYPES)}, got {self.threshold_type!r}"
            )
        if not is_whole_minutes(self.evaluation_delay_seconds):
            raise ReplayError(
                f"evaluation delay must be a whole number of minutes, got {self.evaluation_delay_seconds} seconds"
            )


@dataclass
class MinuteBuckets:
    """The query's per-minute summaries of a log file, and what was read."""

    summaries: dict[int, list[Summary]] = field(default_factory=dict)
    lines: int = 0
    lines_without_timestamp: int = 0
    first_minute: int | None = None
    last_minute: int | None = None

    def add(self, minute: int, summary: Summary) -> None:
        """One more summary of lines in `minute` (a minute may come in several runs when lines are out of order)."""
        self.summaries.setdefault(minute, []).append(summary)
        if self.first_minute is None or minute < self.first_minute:
            self.first_minute = minute
        if self.last_minute is None or minute > self.last_minute:
            self.last_minute = minute

    def summaries_within(self, start_ms: int, end_ms: int) -> list[Summary]:
        """The summaries of the minutes in [start_ms, end_ms) (both on minute boundaries)."""
        empty: list[Summary] = []
        return [
            summary
            for minute in range(start_ms // MINUTE_MS, end_ms // MINUTE_MS)
            for summary in self.summaries.get(minute, empty)
        ]


def bucket_lines(
    lines: Iterable[str], query: CompiledQuery, metadata: dict[str, str], read_time: MessageTimeReader | None = None
) -> MinuteBuckets:
    """Summarize each minute of `lines` once (runs of lines in the same minute are summarized together). Each line
    goes to the query as a plain (timestamp_ms, raw, metadata) tuple, all sharing `metadata`, so the scope's metadata
    terms are settled once for the whole file."""
    read_time = read_time or MessageTimeReader()
    buckets = MinuteBuckets()
    pending: list[Message] = []
    pending_minute: int | None = None
    line_count = without_timestamp = 0
    for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            continue
        line_count += 1
        timestamp_ms = read_time(line)
        if timestamp_ms is None:
            without_timestamp += 1
            continue
        minute = timestamp_ms // MINUTE_MS
        if minute != pending_minute:
            if pending_minute is not None:
                buckets.add(pending_minute, query.summarize(pending))
            pending = []
            pending_minute = minute
        pending.append((timestamp_ms, line, metadata))
    if pending_minute is not None:
        buckets.add(pending_minute, query.summarize(pending))
    buckets.lines, buckets.lines_without_timestamp = line_count, without_timestamp
    return buckets


@dataclass(frozen=True)
class MonitorEvent:
    """A trigger transition at an evaluation time (epoch ms of the minute boundary)."""

    at_ms: int
    trigger: str  # Critical, ResolvedCritical, MissingData, ResolvedMissingData
    value: Number | None  # the value judged: the row count or the deciding field value
    detail: str
    window_start_ms: int  # the start of the window judged (the payload's TriggerTimeStart)
    rows: int = 0  # the query's result rows in that window


@dataclass(frozen=True)
class ReplayResult:
    """The passes replayed, the transitions, and how many passes the query returned no row in (for the Critical
    trigger's window): a query that returns no row over healthy traffic reports missing data when it is healthy."""

    passes: int
    events: list[MonitorEvent]
    passes_without_rows: int


def _judge(rows: list[dict[str, object]], trigger: TriggerSettings) -> tuple[TriggerVerdict, str]:
    """The Critical condition's verdict on `rows`, and a description of the value that decided it."""
    verdict = check_trigger(rows, trigger.threshold_type, trigger.threshold, trigger.field)
    if trigger.field is None:
        return verdict, f"{len(rows)} row(s)"
    if rows and not verdict.field_found:
        raise ReplayError(
            f"the trigger field {trigger.field!r} is not in the query's results (fields: {', '.join(rows[0])})"
        )
    return verdict, f"no {trigger.field} value" if verdict.value is None else f"{trigger.field}={verdict.value}"


def replay_monitor(
    buckets: MinuteBuckets,
    query: CompiledQuery,
    trigger: TriggerSettings,
    reading: MissingDataReading = MissingDataReading.QUERY_ROWS,
) -> ReplayResult:
    """Run the monitor's passes over the buckets' minutes (windows.passes_over): the transitions, judged by the
    live evaluation's rules (MissingData as `reading` reads it; alert_rules.py)."""
    if buckets.first_minute is None or buckets.last_minute is None:
        return ReplayResult(0, [], 0)
    delay_seconds = trigger.evaluation_delay_seconds
    events: list[MonitorEvent] = []
    critical = missing = False
    without_rows = 0
    passes = passes_over(buckets.first_minute, buckets.last_minute, delay_seconds)
    for at_minute in passes:
        at_ms = at_minute * MINUTE_MS
        window_ms = evaluation_window_ms(at_ms, trigger.time_range_seconds, delay_seconds)
        rows = query.finish(buckets.summaries_within(*window_ms))
        without_rows += not rows
        verdict, detail = _judge(rows, trigger)
        change = transition(critical, verdict.holds, clears(verdict))
        if change is not None:
            critical = change is Transition.STARTS
            trigger_type = "Critical" if critical else "ResolvedCritical"
            events.append(MonitorEvent(at_ms, trigger_type, verdict.value, detail, window_ms[0], len(rows)))
        if trigger.missing_data_time_range_seconds:
            missing_window = evaluation_window_ms(at_ms, trigger.missing_data_time_range_seconds, delay_seconds)
            summaries = buckets.summaries_within(*missing_window)
            missing_rows = len(rows) if missing_window == window_ms else len(query.finish(summaries))
            matched = sum(summary.scope_matches for summary in summaries)
            no_data = is_missing_data(missing_rows, matched, reading)
            change = transition(missing, no_data, not no_data)
            if change is not None:
                missing = change is Transition.STARTS
                trigger_type = "MissingData" if missing else "ResolvedMissingData"
                detail = f"{missing_rows} result row(s), {matched} message(s) matched the scope"
                events.append(MonitorEvent(at_ms, trigger_type, missing_rows, detail, missing_window[0], missing_rows))
    return ReplayResult(len(passes), events, without_rows)
