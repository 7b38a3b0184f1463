"""Backtest the slow-call monitor and the remediation guard over a log file: when the monitor would have fired and
resolved, and what the Lambda's closed loop would have done with each firing and each resolution.

    python -m tools.backtest access.log --query '...' --threshold 5 --threshold-type GreaterThan \\
        --time-range -10m --field slow_calls --source-category prod/api --cooldown-seconds 900 --max-attempts 3
    python -m tools.backtest access.log --settings monitor.yml [--threshold 8] [--json]

Settings: each flag has a key of the same name in the `--settings` YAML file (SETTING_KEYS: query, threshold,
threshold_type, time_range, field, missing_data_time_range, evaluation_delay, source_category, cooldown_seconds,
max_attempts, window_seconds, verify_seconds, relapse_seconds, max_relapses, circuit_heal_seconds); flags win.
tools/backtest_inventory.py derives them from the deployment with Ansible and passes them to `run_cli`.

This module holds no rule of its own. The monitor is replayed by the local Sumo's evaluation (emulator.sumo.replay,
which calls the twin's modules for message times, windows, trigger checks and alert transitions). The guard is the
Lambda's own model (lambda/remediation_webhook/guard_model.py): each firing the Lambda remediates on
(remediation_webhook.payload.kind_of) is an alert for one target, keyed as the Lambda keys alerts (the monitor and the
start of the window that fired), each resolution is a resolution of that monitor, and `replay_closed_loop` decides
them in time order with the verification timer of each start: started, refused as a duplicate, by the cooldown, by
the attempt cap or by an open circuit; each start verified by a resolution or judged NOT FIXED by its timer.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from emulator.sumo.query import QueryError, compile_query
from emulator.sumo.query.values import to_number
from emulator.sumo.replay import (
    MinuteBuckets,
    MonitorEvent,
    ReplayError,
    TriggerSettings,
    bucket_lines,
    duration_seconds,
    replay_monitor,
)
from emulator.sumo.timefmt import is_duration
from emulator.sumo.trigger_check import THRESHOLD_TYPES
from emulator.sumo.windows import MINUTE_MS, effective_delay_seconds, passes_over

LAMBDA_SOURCE = Path(__file__).resolve().parents[1] / "lambda"
if str(LAMBDA_SOURCE) not in sys.path:
    sys.path.append(str(LAMBDA_SOURCE))

from remediation_webhook.guard_model import (  # noqa: E402 (the Lambda's source, added above)
    GuardRules,
    LoopEvent,
    Verdict,
    replay_closed_loop,
)
from remediation_webhook.payload import AlertKind, kind_of  # noqa: E402

_DURATION_FLAGS = ("--time-range", "--missing-data-time-range", "--evaluation-delay")

SETTING_KEYS = (
    "query",
    "threshold",
    "threshold_type",
    "time_range",
    "field",
    "missing_data_time_range",
    "evaluation_delay",
    "source_category",
    "cooldown_seconds",
    "max_attempts",
    "window_seconds",
    "verify_seconds",
    "relapse_seconds",
    "max_relapses",
    "circuit_heal_seconds",
)
# The one target and monitor every replayed firing is for.
BACKTEST_TARGET = "backtest-instance"
BACKTEST_MONITOR_ID = "backtest"
OUTCOMES = {
    Verdict.START: "allowed",
    Verdict.DUPLICATE: "duplicate",
    Verdict.COOLDOWN: "suppressed",
    Verdict.EXHAUSTED: "refused",
    Verdict.CIRCUIT_OPEN: "circuit open",
    Verdict.RELAPSING: "circuit open",  # the relapse that opens the circuit (and escalates) is refused by it too
}
# Why the fleet brake never engages in a replay (lambda/remediation_webhook/fleet.py).
FLEET_BRAKE_NOTE = "the backtest replays one target and one monitor, and an alert naming one instance never brakes"


class BacktestError(ReplayError):
    """Settings or input the backtest cannot work with; the message names the value and what was expected."""


@dataclass(frozen=True)
class GuardSettings:
    """The Lambda's guard settings; `max_attempts` None means no cap. The ranges are the guard model's, and for the
    closed loop's settings those the Lambda's configuration accepts (lambda/remediation_webhook/config.py), whose
    defaults these are."""

    cooldown_seconds: int = 0
    max_attempts: int | None = None
    window_seconds: int = 3600
    verify_seconds: int = 1020
    relapse_seconds: int = 86400
    max_relapses: int = 2
    circuit_heal_seconds: int = 86400

    def __post_init__(self) -> None:
        _check_range("verify_seconds", self.verify_seconds, 60, 86400)
        _check_range("relapse_seconds", self.relapse_seconds, 0)
        _check_range("max_relapses", self.max_relapses, 0, 100)
        _check_range("circuit_heal_seconds", self.circuit_heal_seconds, 0)
        self.rules(firings=1)

    def rules(self, firings: int) -> GuardRules:
        """The guard model's rules; with no cap, one attempt per firing, so the cap never refuses."""
        max_attempts = max(1, firings) if self.max_attempts is None else self.max_attempts
        try:
            return GuardRules(
                self.cooldown_seconds,
                max_attempts,
                self.window_seconds,
                self.relapse_seconds,
                self.max_relapses,
                self.circuit_heal_seconds,
            )
        except ValueError as error:
            raise BacktestError(f"remediation guard: {error}") from None


def _check_range(name: str, value: int, minimum: int, maximum: int | None = None) -> None:
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"from {minimum} to {maximum}" if maximum is not None else f"{minimum} or more"
        raise BacktestError(f"remediation guard: {name} must be {bound}, as the Lambda accepts it, got {value}")


# The closed loop's defaults (GuardSettings' own, the Lambda's).
LAMBDA_DEFAULTS = GuardSettings()


@dataclass(frozen=True)
class GuardDecision:
    """What the remediation guard did with one firing."""

    at_ms: int
    trigger: str
    outcome: str  # allowed, duplicate, suppressed, refused, circuit open (OUTCOMES)
    escalated: bool
    escalation: str | None = None  # "attempt cap" or "relapsing" when this firing escalated


@dataclass(frozen=True)
class ResolutionCheck:
    """What one resolution did to the last start: verified it (`started_at_ms`) or not."""

    at_ms: int
    trigger: str
    verified: bool
    started_at_ms: int | None = None


@dataclass(frozen=True)
class TimerOutcome:
    """The verification timer of the start at `started_at_ms`, due at `at_ms`: "not fixed" (escalated, circuit
    opened), "closed" (verified or superseded by a later start), or "not judged" (due after the log's last pass)."""

    at_ms: int
    started_at_ms: int
    outcome: str


@dataclass
class GuardTally:
    requests: int = 0
    allowed: int = 0
    duplicate: int = 0
    suppressed: int = 0
    refused: int = 0
    circuit_open: int = 0  # firings suppressed by an open circuit (relapsing ones included)
    verified: int = 0  # resolutions that verified a start
    not_fixed: int = 0  # verification timers that escalated NOT FIXED
    not_judged: int = 0  # verification timers due after the log ends
    attempt_cap_escalations: int = 0
    relapse_escalations: int = 0
    escalations: int = 0  # all of them: attempt cap, relapses and NOT FIXED
    fleet_brake: int = 0  # always 0: FLEET_BRAKE_NOTE


@dataclass
class GuardReplay:
    """The closed loop over one log: each firing's decision, each resolution's check, each start's timer."""

    decisions: list[GuardDecision]
    resolutions: list[ResolutionCheck]
    timers: list[TimerOutcome]
    tally: GuardTally


def _alert_key(event: MonitorEvent) -> str:
    return f"{BACKTEST_MONITOR_ID}:{event.window_start_ms}"


def replay_guard(events: Iterable[MonitorEvent], guard: GuardSettings, last_pass_ms: int | None = None) -> GuardReplay:
    """Each firing the Lambda remediates on and each resolution, in time order, through the Lambda's closed loop.
    A verification timer due after `last_pass_ms` (the log's last evaluation; None: never) is not judged: the log
    does not say whether the alert resolved in time."""
    kinds = {AlertKind.REMEDIATE: "alert", AlertKind.RECOVERED: "resolved"}
    looped = [(event, kinds[kind]) for event in events if (kind := kind_of(event.trigger)) in kinds]
    fed = [(event.at_ms / 1000, kind, BACKTEST_TARGET, _alert_key(event)) for event, kind in looped]
    firings = sum(kind == "alert" for _, kind in looped)
    handled = replay_closed_loop(fed, guard.rules(firings), guard.verify_seconds)
    replayed = GuardReplay([], [], [], GuardTally())
    monitor_events = (event for event, _ in looped)  # one per alert and resolution handled, in the same order
    started_at_ms: int | None = None  # the last start: the one a resolution verifies
    for loop_event in handled:
        if loop_event.kind == "timer":
            replayed.timers.append(_timer_outcome(loop_event, guard.verify_seconds, last_pass_ms))
        elif loop_event.kind == "resolved":
            event = next(monitor_events)
            verified_start = started_at_ms if loop_event.verified else None
            replayed.resolutions.append(
                ResolutionCheck(event.at_ms, event.trigger, loop_event.verified, verified_start)
            )
        else:
            decision = _decision(next(monitor_events), loop_event)
            started_at_ms = decision.at_ms if decision.outcome == "allowed" else started_at_ms
            replayed.decisions.append(decision)
    replayed.tally = _tally(replayed)
    return replayed


def _decision(event: MonitorEvent, loop_event: LoopEvent) -> GuardDecision:
    assert loop_event.verdict is not None  # an alert always has the claim's verdict
    escalation = None
    if loop_event.escalated:
        escalation = "relapsing" if loop_event.verdict is Verdict.RELAPSING else "attempt cap"
    return GuardDecision(event.at_ms, event.trigger, OUTCOMES[loop_event.verdict], loop_event.escalated, escalation)


def _timer_outcome(loop_event: LoopEvent, verify_seconds: int, last_pass_ms: int | None) -> TimerOutcome:
    due_ms = loop_event.now * 1000
    started_at_ms = due_ms - verify_seconds * 1000
    if not loop_event.escalated:
        return TimerOutcome(due_ms, started_at_ms, "closed")
    if last_pass_ms is not None and due_ms > last_pass_ms:
        return TimerOutcome(due_ms, started_at_ms, "not judged")  # the alert might have resolved after the log
    return TimerOutcome(due_ms, started_at_ms, "not fixed")


def _tally(replayed: GuardReplay) -> GuardTally:
    counted = Counter(decision.outcome for decision in replayed.decisions)
    escalated = Counter(decision.escalation for decision in replayed.decisions if decision.escalated)
    timers = Counter(timer.outcome for timer in replayed.timers)
    return GuardTally(
        requests=len(replayed.decisions),
        allowed=counted["allowed"],
        duplicate=counted["duplicate"],
        suppressed=counted["suppressed"],
        refused=counted["refused"],
        circuit_open=counted["circuit open"],
        verified=sum(check.verified for check in replayed.resolutions),
        not_fixed=timers["not fixed"],
        not_judged=timers["not judged"],
        attempt_cap_escalations=escalated["attempt cap"],
        relapse_escalations=escalated["relapsing"],
        escalations=escalated.total() + timers["not fixed"],
        fleet_brake=0,
    )


@dataclass
class BacktestResult:
    """Everything the report shows."""

    buckets: MinuteBuckets
    evaluations: int
    evaluations_without_rows: int
    events: list[MonitorEvent]
    guard: GuardReplay


def run_backtest(
    lines: Iterable[str], query_text: str, trigger: TriggerSettings, guard: GuardSettings, metadata: dict[str, str]
) -> BacktestResult:
    """Compile the query, bucket the lines by minute, replay the monitor and the guard."""
    query = compile_query(query_text)
    buckets = bucket_lines(lines, query, metadata)
    replayed = replay_monitor(buckets, query, trigger)
    last_pass_ms = None
    if buckets.first_minute is not None and buckets.last_minute is not None:
        passes = passes_over(buckets.first_minute, buckets.last_minute, trigger.evaluation_delay_seconds)
        last_pass_ms = passes[-1] * MINUTE_MS if passes else None
    looped = replay_guard(replayed.events, guard, last_pass_ms)
    return BacktestResult(buckets, replayed.passes, replayed.passes_without_rows, replayed.events, looped)


# ---------------------------------------------------------------------------------------------------------------
# Settings file and command line


def load_settings_file(path: Path) -> dict[str, Any]:
    """The settings of a YAML (or JSON) file mapping SETTING_KEYS to values; unknown keys are refused."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BacktestError(f"--settings {path}: cannot read it: {error}") from error
    except yaml.YAMLError as error:
        raise BacktestError(f"--settings {path}: not valid YAML: {error}") from error
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise BacktestError(f"--settings {path}: expected a mapping of settings, got {type(document).__name__}")
    unknown = sorted(str(key) for key in document if key not in SETTING_KEYS)
    if unknown:
        raise BacktestError(
            f"--settings {path}: unknown setting(s) {', '.join(unknown)}; expected some of {', '.join(SETTING_KEYS)}"
        )
    return document


def _setting(args: argparse.Namespace, base: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A flag wins over the base settings (a settings file, or what a caller derived); then the default."""
    flag_value = getattr(args, key, None)
    if flag_value is not None:
        return flag_value
    value = base.get(key)
    return default if value is None else value


def _as_int(value: Any, what: str) -> int:
    number = to_number(value)
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if not isinstance(number, int) or isinstance(value, bool):
        raise BacktestError(f"{what} must be a whole number, got {value!r}")
    return number


@dataclass(frozen=True)
class BacktestSettings:
    """Everything one backtest run needs besides the log: the query, the triggers, the guard, the lines' metadata."""

    query: str
    trigger: TriggerSettings
    guard: GuardSettings
    metadata: dict[str, str]


def settings_from(args: argparse.Namespace, base: Mapping[str, Any] | None = None) -> BacktestSettings:
    """The settings from the flags, then `base` (keys as in SETTING_KEYS), then the documented defaults."""
    base = base or {}
    query = _setting(args, base, "query")
    if not isinstance(query, str) or not query.strip():
        raise BacktestError("a query is needed: --query, or `query` in the settings file")
    threshold = to_number(_setting(args, base, "threshold"))
    if threshold is None or isinstance(threshold, bool):
        raise BacktestError(
            f"a numeric threshold is needed: --threshold, or `threshold` in the settings file, got "
            f"{_setting(args, base, 'threshold')!r}"
        )
    time_range = _setting(args, base, "time_range")
    if time_range is None:
        raise BacktestError("a time range is needed: --time-range, or `time_range` in the settings file")
    missing = _setting(args, base, "missing_data_time_range")
    delay = _setting(args, base, "evaluation_delay")
    trigger = TriggerSettings(
        threshold=threshold,
        threshold_type=str(_setting(args, base, "threshold_type", "GreaterThanOrEqual")),
        time_range_seconds=duration_seconds(time_range, "time range"),
        field=_setting(args, base, "field") or None,
        missing_data_time_range_seconds=duration_seconds(missing, "missing-data time range") if missing else None,
        evaluation_delay_seconds=duration_seconds(delay, "evaluation delay", allow_zero=True) if delay else 0,
    )
    max_attempts = _setting(args, base, "max_attempts")
    guard = GuardSettings(
        cooldown_seconds=_as_int(_setting(args, base, "cooldown_seconds", 0), "cooldown seconds"),
        max_attempts=None if max_attempts is None else _as_int(max_attempts, "max attempts"),
        window_seconds=_as_int(_setting(args, base, "window_seconds", 3600), "attempt window seconds"),
        **{
            key: _as_int(_setting(args, base, key, getattr(LAMBDA_DEFAULTS, key)), key)
            for key in ("verify_seconds", "relapse_seconds", "max_relapses", "circuit_heal_seconds")
        },
    )
    metadata = {
        "_sourceCategory": str(_setting(args, base, "source_category", "")),
        "_sourceName": args.source_name or str(args.log),
        "_sourceHost": args.source_host,
        "_collector": args.collector,
    }
    return BacktestSettings(query, trigger, guard, metadata)


def _iso(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report_json(result: BacktestResult, query: str, trigger: TriggerSettings, guard: GuardSettings) -> dict[str, Any]:
    """The machine-readable report (`--json`)."""
    buckets = result.buckets
    decisions = {(decision.at_ms, decision.trigger): decision for decision in result.guard.decisions}
    resolutions = {(check.at_ms, check.trigger): check for check in result.guard.resolutions}
    events = []
    for event in result.events:
        entry: dict[str, Any] = {"at": _iso(event.at_ms), "at_ms": event.at_ms, "trigger": event.trigger,
                                 "value": event.value, "rows": event.rows, "detail": event.detail}  # fmt: skip
        decision = decisions.get((event.at_ms, event.trigger))
        if decision is not None:
            entry.update(remediation=decision.outcome, escalated=decision.escalated, escalation=decision.escalation)
        check = resolutions.get((event.at_ms, event.trigger))
        if check is not None:
            entry["verified"] = check.verified
            if check.started_at_ms is not None:
                entry["verified_start"] = _iso(check.started_at_ms)
        events.append(entry)
    timers = [{"at": _iso(timer.at_ms), "at_ms": timer.at_ms, "started_at": _iso(timer.started_at_ms),
               "outcome": timer.outcome} for timer in result.guard.timers]  # fmt: skip
    counts = {name: sum(event.trigger == name for event in result.events)
              for name in ("Critical", "ResolvedCritical", "MissingData", "ResolvedMissingData")}  # fmt: skip
    return {
        "query": query,
        "trigger": asdict(trigger),
        "guard": asdict(guard),
        "lines": buckets.lines,
        "lines_without_timestamp": buckets.lines_without_timestamp,
        "first_minute": None if buckets.first_minute is None else _iso(buckets.first_minute * MINUTE_MS),
        "last_minute": None if buckets.last_minute is None else _iso(buckets.last_minute * MINUTE_MS),
        "evaluations": result.evaluations,
        "evaluations_without_rows": result.evaluations_without_rows,
        "events": events,
        "timers": timers,
        "counts": counts,
        "remediation": asdict(result.guard.tally),
        "fleet_brake_note": FLEET_BRAKE_NOTE,
    }


def _event_line(event: dict[str, Any]) -> str:
    line = f"{event['at']}  {event['trigger']:<20} {event['detail']}"
    if not event["trigger"].endswith("MissingData"):
        line += f" ({event['rows']} row{'' if event['rows'] == 1 else 's'})"
    if "remediation" in event:
        line += f"  -> remediation {event['remediation']}"
        if event["escalated"]:
            line += f" (escalated: {event['escalation']})"
    if event.get("verified"):
        line += f"  -> verified the remediation started {event['verified_start']}"
    return line


def _timer_line(timer: dict[str, Any], verify_seconds: int) -> str | None:
    """A NOT FIXED, or a verification the log ends before; a timer that found its start verified is not shown."""
    if timer["outcome"] == "not fixed":
        detail = f"the remediation started {timer['started_at']} not verified within {verify_seconds}s"
        return f"{timer['at']}  {'NOT FIXED':<20} {detail}: escalated, circuit open"
    if timer["outcome"] == "not judged":
        detail = f"the remediation started {timer['started_at']}: its verification falls after the log ends"
        return f"{timer['at']}  {'NOT JUDGED':<20} {detail}"
    return None


def report_text(report: dict[str, Any]) -> Iterator[str]:
    """The readable timeline and summary."""
    trigger, guard = report["trigger"], report["guard"]
    judged = trigger["field"] or "row count"
    yield (
        f"Read {report['lines']} line(s), {report['lines_without_timestamp']} without a timestamp; "
        f"minutes {report['first_minute']} .. {report['last_minute']}, {report['evaluations']} evaluation(s); "
        f"the query returned no row in {report['evaluations_without_rows']} of them."
    )
    yield "Query:"
    yield from (f"    {line}" for line in report["query"].splitlines())
    delay = effective_delay_seconds(trigger["evaluation_delay_seconds"]) // 60
    yield (
        f"Critical when {judged} {trigger['threshold_type']} {trigger['threshold']:g} within "
        f"{trigger['time_range_seconds'] // 60}m, evaluated every 1m with a {delay}m delay"
        + (
            f"; MissingData after {trigger['missing_data_time_range_seconds'] // 60}m in which the query returns "
            "no row."
            if trigger["missing_data_time_range_seconds"]
            else "."
        )
    )
    cap = (
        "no cap" if guard["max_attempts"] is None else f"at most {guard['max_attempts']} per {guard['window_seconds']}s"
    )
    yield f"Remediation guard: cooldown {guard['cooldown_seconds']}s, {cap}."
    yield (
        f"Closed loop: a start is verified when the alert resolves within {guard['verify_seconds']}s, else NOT FIXED "
        f"opens the circuit; after {guard['max_relapses']} relapses in a row (alerts within "
        f"{guard['relapse_seconds']}s of a verified fix) the next one opens it too; an open circuit closes after "
        f"{guard['circuit_heal_seconds']}s healthy."
    )
    yield ""
    if not report["events"]:
        yield "The monitor never changed state."
    # Timers first within the same second, as the closed loop handles them.
    timeline = [(timer["at_ms"], 0, _timer_line(timer, guard["verify_seconds"])) for timer in report["timers"]]
    timeline += [(event["at_ms"], 1, _event_line(event)) for event in report["events"]]
    yield from (line for _, _, line in sorted(timeline, key=lambda item: item[:2]) if line is not None)
    yield ""
    counts, tally = report["counts"], report["remediation"]
    yield "Summary: " + ", ".join(f"{name} {count}" for name, count in counts.items())
    yield (
        f"Remediation requests {tally['requests']}: allowed {tally['allowed']}, duplicates {tally['duplicate']}, "
        f"suppressed by cooldown {tally['suppressed']}, refused by the cap {tally['refused']}, "
        f"suppressed by the open circuit {tally['circuit_open']}."
    )
    yield (
        f"Verification: verified {tally['verified']}, not fixed {tally['not_fixed']}"
        + (f", not judged (the log ends first) {tally['not_judged']}." if tally["not_judged"] else ".")
    )
    yield (
        f"Escalations {tally['escalations']}: attempt cap {tally['attempt_cap_escalations']}, "
        f"relapses {tally['relapse_escalations']}, not fixed {tally['not_fixed']}."
    )
    yield f"Fleet brake {tally['fleet_brake']}: {report['fleet_brake_note']}."


def build_parser(
    prog: str = "python -m tools.backtest",
    description: str = "Replay a Sumo Logic Logs monitor over a log file and show when it would have fired.",
) -> argparse.ArgumentParser:
    """The log argument and one flag per setting; a caller adds where its base settings come from."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("log", nargs="?", type=Path, help="log file, one message per line")
    parser.add_argument("--log", dest="log_option", type=Path, help="the log file, as an option")
    parser.add_argument("--query", help="the monitor query")
    parser.add_argument("--threshold", help="the Critical threshold")
    parser.add_argument("--threshold-type", choices=THRESHOLD_TYPES, help="default GreaterThanOrEqual")
    parser.add_argument("--time-range", help="the trigger window, e.g. -10m")
    parser.add_argument("--field", help="result field compared with the threshold (default: the row count)")
    parser.add_argument("--missing-data-time-range", help="enable the MissingData trigger with this window")
    parser.add_argument("--evaluation-delay", help="shift each window this far into the past, e.g. 5m (default 0m)")
    parser.add_argument("--source-category", help="_sourceCategory given to every line")
    parser.add_argument("--source-name", help="_sourceName given to every line (default: the log path)")
    parser.add_argument("--source-host", default="backtest", help="_sourceHost given to every line")
    parser.add_argument("--collector", default="backtest", help="_collector given to every line")
    parser.add_argument("--cooldown-seconds", help="remediation cooldown after an allowed attempt (default 0)")
    parser.add_argument("--max-attempts", help="remediation attempts allowed per window (default: no cap)")
    parser.add_argument("--window-seconds", help="the attempt window (default 3600)")
    parser.add_argument("--verify-seconds", help="verify each start this long after it (60 to 86400, default 1020)")
    parser.add_argument("--relapse-seconds", help="an alert this soon after a verified fix relapses (default 86400)")
    parser.add_argument("--max-relapses", help="relapses in a row before the circuit opens (0 to 100, default 2)")
    parser.add_argument("--circuit-heal-seconds", help="healthy time that closes an open circuit (default 86400)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse `argv` (default: sys.argv) and settle the log file, given as the argument or as --log."""
    args = parser.parse_args(_attach_negative_durations(sys.argv[1:] if argv is None else argv))
    if (args.log is None) == (args.log_option is None):
        parser.error("give the log file once: as the first argument or as --log")
    args.log = args.log or args.log_option
    return args


def _attach_negative_durations(argv: list[str]) -> list[str]:
    """`--time-range -10m` as `--time-range=-10m`: argparse would otherwise read `-10m` as an option."""
    joined: list[str] = []
    for argument in argv:
        if joined and joined[-1] in _DURATION_FLAGS and is_duration(argument):
            joined[-1] = f"{joined[-1]}={argument}"
        else:
            joined.append(argument)
    return joined


def run_cli(args: argparse.Namespace, base: Mapping[str, Any] | None = None, prefix: str = "backtest") -> int:
    """Settle the settings (flags over `base`), replay the log and print the report; 2 with a reason on bad input."""
    try:
        settings = settings_from(args, base)
        with args.log.open(encoding="utf-8", errors="replace") as lines:
            result = run_backtest(lines, settings.query, settings.trigger, settings.guard, settings.metadata)
    except (ReplayError, QueryError) as error:
        print(f"{prefix}: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{prefix}: cannot read {args.log}: {error}", file=sys.stderr)
        return 2
    report = report_json(result, settings.query, settings.trigger, settings.guard)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print("\n".join(report_text(report)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    parser.add_argument("--settings", type=Path, help="YAML file of settings (keys: SETTING_KEYS); flags win")
    args = parse_arguments(parser, argv)
    try:
        base = load_settings_file(args.settings) if args.settings else {}
    except BacktestError as error:
        print(f"backtest: {error}", file=sys.stderr)
        return 2
    return run_cli(args, base)


if __name__ == "__main__":
    raise SystemExit(main())
