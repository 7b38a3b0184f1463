"""One evaluation pass over the Logs monitors: run each trigger's query over its window, move alerts between
Normal, Critical, Warning and MissingData, and plan the notifications those moves call for.

Semantics (Sumo's documented behaviour where it exists, the stricter reading elsewhere):
* Window of a trigger: windows.py. Message times: message_time.py.
* LogsStaticCondition (and the deprecated StaticCondition with occurrenceType ResultCount) compares `field` in
  every result row with the threshold (any row matching fires), or the number of result rows when there is no
  `field`; the comparison and the value reported: trigger_check.py. A Resolved trigger without a field uses its
  alert trigger's field.
* LogsMissingDataCondition, resolution and notifying once per start and clear: alert_rules.py.
  When Critical fires, Warning does not fire in the same pass.
* A query the engine cannot compile or run puts a warning on the monitor (its `warnings`), is logged, and fires
  nothing; alerts already active stay as they are.
* Disabled monitors are not evaluated; their active alerts are dropped without notification.
* Alert grouping (groupNotifications, notificationGroupFields) is not modelled: one alert per monitor and kind.
* Queries run outside the backend lock; a monitor updated or deleted meanwhile is left for the next pass.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from emulator.sumo.alert_rules import Transition, clears, is_missing_data, transition
from emulator.sumo.ids import new_object_id
from emulator.sumo.library import LibraryItem
from emulator.sumo.payload import render
from emulator.sumo.query import CompiledQuery, QueryError, compile_query
from emulator.sumo.query.values import Number
from emulator.sumo.timefmt import describe_minutes, human_time, parse_duration_seconds
from emulator.sumo.trigger_check import DEFAULT_THRESHOLD_TYPE, TriggerVerdict, check_trigger, condition_wording
from emulator.sumo.webhook import PlannedDelivery
from emulator.sumo.windows import evaluation_window_ms

if TYPE_CHECKING:
    from emulator.sumo.backend import SumoBackend
    from emulator.sumo.logstore import LogStore

logger = logging.getLogger("emulator.sumo")

ALERT_KINDS = ("Critical", "Warning", "MissingData")
MAX_AGGREGATE_RESULTS = 200
MAX_RAW_RESULTS = 10
_STATIC_METHODS = ("LogsStaticCondition", "StaticCondition")
_MAX_CACHED_QUERIES = 256


@dataclass
class Alert:
    id: str
    monitor_id: str
    monitor_name: str
    trigger_type: str
    started_at_ms: int
    value: str
    window_start_ms: int
    window_end_ms: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "monitorId": self.monitor_id,
            "monitorName": self.monitor_name,
            "triggerType": self.trigger_type,
            "startedAtMs": self.started_at_ms,
            "triggerValue": self.value,
            "triggerTimeStart": self.window_start_ms,
            "triggerTimeEnd": self.window_end_ms,
        }


class AlertBook:
    """The active alerts, one per (monitor, alert kind)."""

    def __init__(self) -> None:
        self.active: dict[tuple[str, str], Alert] = {}
        self._used_ids: set[str] = set()

    def new_alert_id(self) -> str:
        alert_id = new_object_id(self._used_ids)
        self._used_ids.add(alert_id)
        return alert_id

    def find(self, monitor_id: str, kind: str) -> Alert | None:
        return self.active.get((monitor_id, kind))

    def start(self, alert: Alert) -> None:
        self.active[(alert.monitor_id, alert.trigger_type)] = alert

    def clear(self, alert: Alert) -> None:
        self.active.pop((alert.monitor_id, alert.trigger_type), None)

    def for_monitor(self, monitor_id: str) -> list[Alert]:
        return [self.active[(monitor_id, kind)] for kind in ALERT_KINDS if (monitor_id, kind) in self.active]

    def forget_monitor(self, monitor_id: str) -> None:
        for kind in ALERT_KINDS:
            self.active.pop((monitor_id, kind), None)

    def forget_missing_triggers(self, monitor: LibraryItem) -> None:
        """After an update: drop alerts whose trigger is gone, or all of them if the monitor is now disabled."""
        kinds = {trigger.get("triggerType") for trigger in monitor.settings.get("triggers", [])}
        for kind in ALERT_KINDS:
            if kind not in kinds or monitor.settings.get("isDisabled"):
                self.active.pop((monitor.id, kind), None)
        monitor.active_states = [alert.trigger_type for alert in self.for_monitor(monitor.id)]

    def to_json(self) -> list[dict[str, Any]]:
        return [alert.to_json() for alert in sorted(self.active.values(), key=lambda alert: alert.started_at_ms)]


@dataclass
class PassReport:
    evaluated_at_ms: int
    monitors_evaluated: int = 0
    fired: list[dict[str, Any]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "evaluatedAtMs": self.evaluated_at_ms,
            "monitorsEvaluated": self.monitors_evaluated,
            "fired": self.fired,
            "resolved": self.resolved,
            "warnings": self.warnings,
            "deliveries": self.deliveries,
        }


@dataclass
class TriggerOutcome:
    """What one alert kind's trigger saw in its window."""

    firing: bool
    clears: bool
    value: Number | None
    rows: list[dict[str, Any]]
    window_start_ms: int
    window_end_ms: int


class QueryCache:
    """Compiled queries by text (compile errors are cached too, so a broken monitor is not recompiled each pass)."""

    def __init__(self) -> None:
        self._compiled: dict[str, CompiledQuery | QueryError] = {}

    def get(self, text: str) -> CompiledQuery:
        if text not in self._compiled:
            if len(self._compiled) >= _MAX_CACHED_QUERIES:
                self._compiled.clear()
            try:
                self._compiled[text] = compile_query(text)
            except QueryError as error:
                self._compiled[text] = error
        result = self._compiled[text]
        if isinstance(result, QueryError):
            raise result
        return result


_query_cache = QueryCache()


def _verdict(trigger: dict[str, Any], rows: list[dict[str, Any]], every_row: bool) -> TriggerVerdict:
    return check_trigger(
        rows,
        trigger.get("thresholdType", DEFAULT_THRESHOLD_TYPE),
        float(trigger.get("threshold", 0.0)),
        trigger.get("field"),
        every_row=every_row,
    )


def trigger_condition_text(trigger: dict[str, Any]) -> str:
    """{{TriggerCondition}}, e.g. "slow_calls is Greater than 5.0 in the last 10 minutes"."""
    window = describe_minutes(parse_duration_seconds(trigger["timeRange"])) if trigger.get("timeRange") else "window"
    if trigger.get("triggerType") in ("MissingData", "ResolvedMissingData"):
        return f"Missing data in the last {window}"
    wording = condition_wording(trigger.get("thresholdType", DEFAULT_THRESHOLD_TYPE))
    subject = trigger.get("field") or "ResultCount"
    return f"{subject} is {wording} {float(trigger.get('threshold', 0.0))} in the last {window}"


def _format_value(value: Number | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass
class MonitorJob:
    """One monitor's share of a pass: taken under the backend lock, its queries run outside it."""

    monitor_id: str
    version: int
    query_text: str
    windows: dict[str, tuple[int, int]]
    warnings: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    is_aggregate: bool = True
    results: dict[tuple[int, int], tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)


def collect_jobs(backend: SumoBackend, at_ms: int) -> list[MonitorJob]:
    """What to evaluate at `at_ms` (the caller holds the backend lock)."""
    jobs = []
    for monitor in backend.library.monitors():
        settings = monitor.settings
        if settings.get("isDisabled"):
            backend.alerts.forget_monitor(monitor.id)
            monitor.active_states = []
            continue
        if settings.get("monitorType") != "Logs":
            monitor.warnings = {"evaluation": "The local twin evaluates Logs monitors only."}
            continue
        delay_seconds = parse_duration_seconds(settings.get("evaluationDelay") or "0m")
        job = MonitorJob(monitor.id, monitor.version, settings["queries"][0]["query"], {})
        for trigger in settings["triggers"]:
            kind = trigger["triggerType"]
            if kind not in ALERT_KINDS:
                continue
            method = trigger.get("detectionMethod", "StaticCondition")
            if kind != "MissingData" and method not in _STATIC_METHODS:
                job.warnings[f"trigger.{kind}"] = (
                    f"The local twin does not evaluate {method} triggers; {kind} never fires."
                )
                continue
            time_range_seconds = parse_duration_seconds(trigger["timeRange"])
            job.windows[kind] = evaluation_window_ms(at_ms, time_range_seconds, delay_seconds)
        jobs.append(job)
    return jobs


def run_jobs(jobs: list[MonitorJob], logs: LogStore) -> None:
    """Run every job's query over its windows, without the backend lock (the log store has its own).
    Monitors with the same query and window share one run."""
    shared: dict[tuple[str, int, int], tuple[int, list[dict[str, Any]]]] = {}
    for job in jobs:
        try:
            compiled = _query_cache.get(job.query_text)
        except QueryError as error:
            job.error = f"The query cannot be evaluated: {error}"
            continue
        job.is_aggregate = compiled.is_aggregate
        for start_ms, end_ms in set(job.windows.values()):
            key = (job.query_text, start_ms, end_ms)
            if key not in shared:
                try:
                    summary = compiled.summarize(logs.window(start_ms, end_ms))
                    shared[key] = (summary.scope_matches, compiled.finish([summary]))
                except Exception as error:
                    job.error = f"The query failed while running: {type(error).__name__}: {error}"
                    break
            # Later stages may change rows, so each monitor gets its own copies.
            scope_matches, rows = shared[key]
            job.results[(start_ms, end_ms)] = (scope_matches, [dict(row) for row in rows])


def apply_jobs(backend: SumoBackend, jobs: list[MonitorJob], at_ms: int) -> tuple[PassReport, list[PlannedDelivery]]:
    """Move alerts by the jobs' results and plan notifications (the caller holds the backend lock). A monitor
    changed or deleted while its query ran is left for the next pass."""
    report = PassReport(evaluated_at_ms=at_ms)
    planned: list[PlannedDelivery] = []
    for job in jobs:
        monitor = backend.library.find(job.monitor_id)
        if monitor is None or monitor.version != job.version or monitor.settings.get("isDisabled"):
            continue
        report.monitors_evaluated += 1
        planned.extend(_apply_job(backend, monitor, job, at_ms, report))
    return report, planned


def _apply_job(
    backend: SumoBackend, monitor: LibraryItem, job: MonitorJob, at_ms: int, report: PassReport
) -> list[PlannedDelivery]:
    triggers = {trigger["triggerType"]: trigger for trigger in monitor.settings["triggers"]}
    warnings: dict[str, str] = {}

    previous_warnings = monitor.warnings or {}

    def warn(key: str, text: str) -> None:
        warnings[key] = text
        report.warnings.append({"monitorId": monitor.id, "warning": text})
        # Logged when it appears, not at every pass (a pass runs each virtual minute).
        if previous_warnings.get(key) != text:
            logger.warning("monitor %s (%s): %s", monitor.id, monitor.name, text)

    for key, text in job.warnings.items():
        warn(key, text)
    if job.error is not None:
        warn("query", job.error)
        monitor.warnings = warnings
        return []

    outcomes: dict[str, TriggerOutcome] = {}
    for kind, (start_ms, end_ms) in job.windows.items():
        trigger = triggers[kind]
        scope_matches, rows = job.results[(start_ms, end_ms)]
        if kind == "MissingData":
            missing = is_missing_data(len(rows), scope_matches, backend.missing_data_reading)
            outcomes[kind] = TriggerOutcome(missing, not missing, len(rows), rows, start_ms, end_ms)
            continue
        verdict = _verdict(trigger, rows, every_row=False)
        resolution = triggers.get(f"Resolved{kind}")
        resolution_verdict = None
        if not verdict.holds and resolution is not None and resolution.get("detectionMethod") in _STATIC_METHODS:
            resolution_verdict = _verdict(
                {**resolution, "field": resolution.get("field") or trigger.get("field")}, rows, every_row=True
            )
        field_name = trigger.get("field")
        if field_name and rows and verdict.value is None:
            warn(f"field.{kind}", f"No result row has a numeric field {field_name!r}; {kind} cannot fire.")
        clearing = clears(verdict, resolution_verdict)
        outcomes[kind] = TriggerOutcome(verdict.holds, clearing, verdict.value, rows, start_ms, end_ms)

    if outcomes.get("Critical") and outcomes["Critical"].firing and "Warning" in outcomes:
        outcomes["Warning"].firing = False

    planned: list[PlannedDelivery] = []
    for kind in ALERT_KINDS:
        outcome = outcomes.get(kind)
        if outcome is None:
            continue
        active = backend.alerts.find(monitor.id, kind)
        change = transition(active is not None, outcome.firing, outcome.clears)
        if change is Transition.STARTS:
            alert = Alert(
                id=backend.alerts.new_alert_id(),
                monitor_id=monitor.id,
                monitor_name=monitor.name,
                trigger_type=kind,
                started_at_ms=at_ms,
                value=_format_value(outcome.value),
                window_start_ms=outcome.window_start_ms,
                window_end_ms=outcome.window_end_ms,
            )
            backend.alerts.start(alert)
            report.fired.append(
                {"monitorId": monitor.id, "triggerType": kind, "alertId": alert.id, "value": alert.value}
            )
            logger.info("monitor %s (%s): %s alert %s started", monitor.id, monitor.name, kind, alert.id)
            planned.extend(_plan_notifications(backend, monitor, job, kind, triggers[kind], alert, outcome, at_ms))
        elif change is Transition.CLEARS and active is not None:
            backend.alerts.clear(active)
            resolved_type = f"Resolved{kind}"
            report.resolved.append({"monitorId": monitor.id, "triggerType": resolved_type, "alertId": active.id})
            logger.info("monitor %s (%s): %s alert %s resolved", monitor.id, monitor.name, kind, active.id)
            condition = triggers.get(resolved_type) or triggers[kind]
            planned.extend(_plan_notifications(backend, monitor, job, resolved_type, condition, active, outcome, at_ms))

    monitor.warnings = warnings or None
    monitor.active_states = [alert.trigger_type for alert in backend.alerts.for_monitor(monitor.id)]
    return planned


def payload_values(
    backend: SumoBackend,
    monitor: LibraryItem,
    job: MonitorJob,
    trigger_type: str,
    trigger: dict[str, Any],
    alert: Alert,
    outcome: TriggerOutcome,
    at_ms: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The template variables of one notification, and the result rows {{ResultsJson}} shows."""
    sumo_url = backend.settings.sumo_url
    settings = monitor.settings
    query_text = settings["queries"][0]["query"]
    limit = MAX_AGGREGATE_RESULTS if job.is_aggregate else MAX_RAW_RESULTS
    rows = [] if trigger_type in ("MissingData", "ResolvedMissingData") else outcome.rows[:limit]
    start_ms, end_ms = outcome.window_start_ms, outcome.window_end_ms
    query_url = (
        f"{sumo_url}/ui/#/search/create?query={quote(query_text, safe='')}&startTime={start_ms}&endTime={end_ms}"
    )
    values: dict[str, Any] = {
        "Name": monitor.name,
        "Id": monitor.id,
        "Description": monitor.description,
        "MonitorType": settings.get("monitorType"),
        "Query": query_text,
        "QueryURL": query_url,
        "TriggerType": "Missing Data" if trigger_type == "MissingData" else trigger_type,
        "TriggerTimeStart": start_ms,
        "TriggerTimeEnd": end_ms,
        "TriggerTime": human_time(at_ms),
        "TriggerTimeRange": f"{human_time(start_ms)} to {human_time(end_ms)}",
        "TriggerCondition": trigger_condition_text(trigger),
        "TriggerValue": _format_value(outcome.value),
        "ResultsJson": json.dumps(rows, separators=(",", ":"), default=str),
        "NumQueryResults": len(outcome.rows),
        "DetectionMethod": trigger.get("detectionMethod", "StaticCondition"),
        "AlertResponseUrl": f"{sumo_url}/ui/#/alert/{alert.id}",
        "SourceURL": f"{sumo_url}/ui/#/alerts/unified-monitors/{monitor.id}",
        "Playbook": settings.get("playbook", ""),
    }
    values["AlertName"] = render(settings.get("alertName") or monitor.name, values, rows, escape=False)
    return values, rows


def _plan_notifications(
    backend: SumoBackend,
    monitor: LibraryItem,
    job: MonitorJob,
    trigger_type: str,
    trigger: dict[str, Any],
    alert: Alert,
    outcome: TriggerOutcome,
    at_ms: int,
) -> list[PlannedDelivery]:
    resolved = trigger_type.startswith("Resolved")
    values, rows = payload_values(backend, monitor, job, trigger_type, trigger, alert, outcome, at_ms)
    planned = []
    for entry in monitor.settings.get("notifications", []):
        if trigger_type not in entry["runForTriggerTypes"]:
            continue
        action = entry["notification"]
        if action.get("connectionType") == "Email":
            logger.info("monitor %s: the twin does not send e-mail (%s notification skipped)", monitor.id, trigger_type)
            continue
        connection = backend.connections.get(action["connectionId"])
        alert_template = action.get("payloadOverride") or connection.default_payload
        template = alert_template
        if resolved:
            # The resolution payload, else the alert payload (whose {{TriggerType}} then reads Resolved...).
            template = action.get("resolutionPayloadOverride") or connection.resolution_payload or alert_template
        planned.append(
            PlannedDelivery(
                monitor_id=monitor.id,
                monitor_name=monitor.name,
                alert_id=alert.id,
                trigger_type=trigger_type,
                connection_id=connection.id,
                connection_name=connection.name,
                url=connection.url,
                headers=connection.request_headers(),
                payload=render(template, values, rows),
            )
        )
    return planned
