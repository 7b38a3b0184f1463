"""The webhook function's decision lines from CloudWatch Logs: one JSON line per decision (app.py's `_log`), with
`decision`, `alert_id`, `execution_id`, `target`, `reason` and `request_id`, among others."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tools.console.aws import Aws

# Powertools' default time format, e.g. 2026-11-02 03:04:05,678+0000.
_POWERTOOLS_TIME = "%Y-%m-%d %H:%M:%S,%f%z"


@dataclass(frozen=True)
class DecisionLine:
    """One decision the function logged; `at` is the function's own clock (the line's timestamp)."""

    at: float
    decision: str
    alert_id: str
    execution_id: str
    request_id: str
    fields: dict[str, Any]

    def field(self, name: str) -> str:
        value = self.fields.get(name)
        return "" if value is None else str(value)


def parse_line(message: str, ingested_ms: int) -> DecisionLine | None:
    """A decision line from a log event's message; None for the runtime's own lines (START, END, REPORT, ...)."""
    try:
        record = json.loads(message)
    except ValueError:
        return None
    if not isinstance(record, dict) or not record.get("decision"):
        return None
    return DecisionLine(
        at=_line_time(record.get("timestamp"), ingested_ms),
        decision=str(record["decision"]),
        alert_id=str(record.get("alert_id") or ""),
        execution_id=str(record.get("execution_id") or ""),
        request_id=str(record.get("request_id") or record.get("function_request_id") or ""),
        fields=record,
    )


def read_decisions(aws: Aws, since_epoch: float) -> list[DecisionLine]:
    """Every decision line ingested since `since_epoch` (CloudWatch's time; the twin also stamps lines in real
    time), in the order CloudWatch returns them."""
    group = aws.deployment.log_group
    lines: list[DecisionLine] = []
    with aws.about(f"the function's log group {group}"):
        pages = aws.client("logs").get_paginator("filter_log_events")
        for page in pages.paginate(logGroupName=group, startTime=int(since_epoch * 1000)):
            for event in page.get("events", []):
                line = parse_line(str(event.get("message", "")), int(event.get("timestamp", 0)))
                if line is not None:
                    lines.append(line)
    return lines


def _line_time(value: Any, ingested_ms: int) -> float:
    if isinstance(value, str):
        for parse in (lambda text: datetime.strptime(text, _POWERTOOLS_TIME), datetime.fromisoformat):
            try:
                moment = parse(value)
            except ValueError:
                continue
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return ingested_ms / 1000
