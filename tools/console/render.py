"""The console's answers as a person reads them (the --json output is each report's as_json)."""

from __future__ import annotations

from collections.abc import Callable

from tools.console.changes import Change
from tools.console.executions import Execution
from tools.console.function_logs import DecisionLine
from tools.console.history import AlertTimeline, HistoryReport, execution_url, line_json, log_group_url
from tools.console.status import CIRCUIT_OPEN, COOLING_DOWN, EXHAUSTED, StatusReport, TargetStatus
from tools.console.times import in_words, iso

Paint = Callable[[str, str], str]
STATE_COLOURS = {CIRCUIT_OPEN: "red", EXHAUSTED: "red", COOLING_DOWN: "yellow"}
DECISION_COLOURS = {"started": "green", "verified": "green", "recovered": "green", "suppressed": "yellow"}
DECISION_COLOURS |= {"failed": "red", "not_fixed": "red", "escalated": "red", "rejected": "red", "retrying": "yellow"}
_COLUMNS = "{target:<22} {state:<14} {cooldown:<32} {attempts:<9} {circuit}"


def status_text(report: StatusReport, paint: Paint) -> str:
    switch, settings, now = report.switch, report.settings, report.now
    on = paint("ON", "green") if switch.enabled else paint("OFF", "red")
    lines = [
        f"Remediation is {on}: kill switch {switch.parameter} = {switch.value}",
        f"Guard: cooldown {in_words(settings.cooldown_seconds)}, at most {settings.max_attempts} attempts in "
        f"{in_words(settings.attempt_window_seconds)}, verified {in_words(settings.verify_seconds)} after a start, "
        f"an open circuit heals after {in_words(settings.circuit_heal_seconds)} healthy"
        + (paint(" (dry run: nothing is changed)", "yellow") if settings.dry_run else ""),
        f"Now: {iso(now)} ({report.deployment.function} in {report.deployment.where})",
        "",
        paint(
            _COLUMNS.format(
                target="TARGET", state="STATE", cooldown="COOLDOWN ENDS", attempts="ATTEMPTS", circuit="CIRCUIT"
            ),
            "bold",
        ),
    ]
    for target in report.targets:
        lines += _target_lines(target, report, paint)
    if not report.targets:
        lines.append("(no targets configured)")
    for fleet in report.fleet:
        lines.append(paint(f"fleet brake held alert {fleet.alert_key} back at {iso(fleet.escalated_at)}", "yellow"))
    return "\n".join(lines)


def _target_lines(target: TargetStatus, report: StatusReport, paint: Paint) -> list[str]:
    item, now = target.item, int(report.now)
    cooldown = "-"
    if item is not None and item.cooldown_until > now:
        cooldown = f"{iso(item.cooldown_until)} (in {in_words(item.cooldown_until - now)})"
    circuit = "closed"
    if item is not None and item.circuit_open_since is not None:
        circuit = f"open since {iso(item.circuit_open_since)}" + (", healed" if target.circuit_healed else "")
    row = _COLUMNS.format(
        target=target.target,
        state=target.state,
        cooldown=cooldown,
        attempts=f"{target.attempts_in_window}/{report.settings.max_attempts}",
        circuit=circuit,
    )
    lines = [paint(row, STATE_COLOURS.get(target.state, ""))]
    if item is None or not item.alert_key:
        return lines
    execution = target.last_execution
    started = f"last execution {_execution_summary(execution)}" if execution else "no execution found for it"
    lines.append(f"  alert {item.alert_key} decided {iso(item.decided_at)}: {started}")
    lines.append(f"  verification: {target.verification}")
    if item.escalated_until and item.escalated_until > now:
        lines.append(f"  escalated: automatic remediation resumes {iso(item.escalated_until)}")
    if item.reset_by:
        lines.append(f"  last reset by {item.reset_by} at {iso(item.reset_at)}")
    return lines


def _execution_summary(execution: Execution) -> str:
    facts = [f"outcome {execution.outcome}" if execution.outcome else "", execution.action_taken or ""]
    facts += [
        "dry run" if execution.dry_run else "",
        f"failed at {', '.join(execution.failed_steps)}" if execution.failed_steps else "",
    ]
    said = ", ".join(fact for fact in facts if fact)
    return f"{execution.execution_id} {execution.status}" + (f" ({said})" if said else "")


def history_text(report: HistoryReport, paint: Paint) -> str:
    deployment = report.deployment
    scope = f" for {report.instance}" if report.instance else ""
    url = log_group_url(deployment)
    lines = [
        f"Alerts since {iso(report.since)}{scope}: {len(report.timelines)}",
        f"Log group {deployment.log_group}" + (f" ({url})" if url else ""),
    ]
    for timeline in report.timelines:
        lines += ["", *_timeline_lines(timeline, report, paint)]
    if report.unattributed:
        lines += ["", paint("Requests that named no alert", "bold")]
        lines += [_decision_line(line, paint) for line in report.unattributed]
    return "\n".join(lines)


def _timeline_lines(timeline: AlertTimeline, report: HistoryReport, paint: Paint) -> list[str]:
    monitor, trigger = timeline.first("monitor_name"), timeline.first("trigger_type")
    about = ", ".join(part for part in (f'monitor "{monitor}"' if monitor else "", trigger) if part)
    lines = [paint(f"alert {timeline.alert_id}", "bold") + (f"  {about}" if about else "")]
    shown: set[str] = set()
    for line in timeline.lines:
        lines.append("  " + _decision_line(line, paint))
        execution_id = line.execution_id
        if execution_id and execution_id not in shown and execution_id in timeline.executions:
            shown.add(execution_id)
            lines += _execution_lines(execution_id, timeline.executions[execution_id], report)
    for target, state in timeline.verification.items():
        colour = {"verified": "green", "not fixed": "red"}.get(state, "")
        lines.append(f"  verification of {target}: " + paint(state, colour))
    return lines


def _decision_line(line: DecisionLine, paint: Paint) -> str:
    shown = line_json(line)
    decision = paint(f"{line.decision:<10}", DECISION_COLOURS.get(line.decision, ""))
    facts = [shown.get("target", ""), shown.get("reason", "")]
    facts += [f"execution {shown['execution_id']}" if "execution_id" in shown else ""]
    facts += [f"message {shown['message_id']}" if "message_id" in shown else ""]
    facts += [f"request {shown['request_id']}" if "request_id" in shown else ""]
    return f"{iso(line.at)}  {decision} " + "  ".join(fact for fact in facts if fact)


def _execution_lines(execution_id: str, execution: Execution | None, report: HistoryReport) -> list[str]:
    pad = " " * 24
    if execution is None:
        return [f"{pad}execution {execution_id}: SSM no longer has it"]
    lines = [
        f"{pad}execution {_execution_summary(execution)}, {len(execution.steps)} steps, "
        f"{iso(execution.started_at)} → {iso(execution.ended_at) or 'running'}"
    ]
    if execution.notification_message_id and execution.notification_message_id != "none":
        lines.append(f"{pad}runbook notification: message {execution.notification_message_id}")
    if execution.failure_message:
        lines.append(f"{pad}failure: {execution.failure_message}")
    url = execution_url(report.deployment, execution_id)
    if url:
        lines.append(f"{pad}{url}")
    return lines


def change_text(change: Change, paint: Paint) -> str:
    if not change.changed:
        return change.detail
    announced = f" Announced on the topic: message {change.message_id}." if change.message_id else ""
    return paint(change.detail, "bold") + announced
