"""Parse a Sumo Logic alert payload (its template variables) into an Alert, and say what kind of alert it is."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import Any

from .config import INSTANCE_ID_PATTERN

# The id pattern without its anchors, bounded so that it is not part of a longer word.
_INSTANCE_ID_IN_TEXT = re.compile(
    rf"(?<![0-9A-Za-z-]){INSTANCE_ID_PATTERN.removeprefix('^').removesuffix('$')}(?![0-9A-Za-z])"
)
_MONITOR_ID = re.compile(r"^[0-9A-Za-z_.-]{1,64}$")  # Sumo ids are 16 hex digits; the runbook takes 128
_MAX_TEXT = 1024
_MAX_SCAN_DEPTH = 8


class PayloadError(ValueError):
    """A payload field that could not be read; `field` names it as the Sumo template spells it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class AlertKind(enum.Enum):
    REMEDIATE = "remediate"
    RECOVERED = "recovered"
    IGNORED = "ignored"


# Sumo renders "Missing Data" with a space and ResolvedMissingData without; compare with spaces and case removed.
_KIND_BY_TRIGGER = {
    "critical": AlertKind.REMEDIATE,
    "missingdata": AlertKind.REMEDIATE,
    "resolvedcritical": AlertKind.RECOVERED,
    "resolvedmissingdata": AlertKind.RECOVERED,
}


@dataclass(frozen=True)
class Alert:
    monitor_id: str
    name: str
    trigger_type: str
    trigger_time_start: int
    trigger_time_end: int | None
    trigger_value: str
    num_query_results: int | None
    results: Any
    alert_response_url: str
    query_url: str

    @property
    def alert_key(self) -> str:
        """One alert, however often Sumo delivers it: the monitor and the start of the window that fired."""
        return f"{self.monitor_id}:{self.trigger_time_start}"

    def instance_ids_in_results(self) -> frozenset[str]:
        """Every instance id that appears in any string of ResultsJson (e.g. an ``instanceid`` column)."""
        found: set[str] = set()
        _collect_instance_ids(self.results, found, 0)
        return frozenset(found)


def kind_of(trigger_type: str) -> AlertKind:
    return _KIND_BY_TRIGGER.get(re.sub(r"\s+", "", trigger_type).lower(), AlertKind.IGNORED)


def decode_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object with keys looked up case-insensitively (Sumo's variables are case-insensitive)."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise PayloadError("body", "body must be a JSON object encoded as UTF-8") from None
    if not isinstance(document, dict):
        raise PayloadError("body", f"body must be a JSON object, got {type(document).__name__}")
    fields: dict[str, Any] = {}
    for key, value in document.items():
        fields.setdefault(key.lower(), value)
    return fields


def trigger_type_of(fields: dict[str, Any]) -> str:
    return _text(fields, "TriggerType", required=True, limit=64)


def parse_alert(fields: dict[str, Any]) -> Alert:
    """Validate every field an actionable alert needs; the first wrong one raises PayloadError naming it."""
    monitor_id = _text(fields, "Id", required=True, limit=64)
    if not _MONITOR_ID.match(monitor_id):
        raise PayloadError("Id", f"Id must be a Sumo monitor id like 00000000000468D5, got {monitor_id[:64]!r}")
    return Alert(
        monitor_id=monitor_id,
        name=_text(fields, "Name", required=False, limit=256),
        trigger_type=trigger_type_of(fields),
        trigger_time_start=_epoch_millis(fields, "TriggerTimeStart", required=True),
        trigger_time_end=_epoch_millis(fields, "TriggerTimeEnd", required=False),
        trigger_value=_scalar_text(fields, "TriggerValue"),
        num_query_results=_count(fields, "NumQueryResults"),
        results=_results(fields),
        alert_response_url=_text(fields, "AlertResponseUrl", required=False, limit=2048),
        query_url=_text(fields, "QueryUrl", required=False, limit=2048),
    )


def _text(fields: dict[str, Any], name: str, required: bool, limit: int = _MAX_TEXT) -> str:
    value = fields.get(name.lower())
    if value is None or value == "":
        if required:
            raise PayloadError(name, f"{name} is required, got {value!r}")
        return ""
    if not isinstance(value, str):
        raise PayloadError(name, f"{name} must be a string, got {type(value).__name__}")
    if len(value) > limit or any(ord(char) < 32 for char in value):
        raise PayloadError(name, f"{name} must be at most {limit} printable characters, got {len(value)} characters")
    return value.strip()


def _epoch_millis(fields: dict[str, Any], name: str, required: bool) -> int | None:
    value = fields.get(name.lower())
    if value is None or value == "":
        if required:
            raise PayloadError(name, f"{name} is required (epoch milliseconds), got {value!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit() or len(str(value)) > 15:
        raise PayloadError(name, f"{name} must be epoch milliseconds like 1626189692042, got {str(value)[:32]!r}")
    return int(value)


def _count(fields: dict[str, Any], name: str) -> int | None:
    value = fields.get(name.lower())
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit() or len(str(value)) > 9:
        raise PayloadError(name, f"{name} must be a non-negative integer, got {str(value)[:32]!r}")
    return int(value)


def _scalar_text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name.lower())
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError(name, f"{name} must be a number or a string, got {type(value).__name__}")
    text = str(value).strip()
    if len(text) > 128 or any(ord(char) < 32 for char in text):
        raise PayloadError(name, f"{name} must be at most 128 printable characters, got {len(text)} characters")
    return text


def _results(fields: dict[str, Any]) -> Any:
    value = fields.get("resultsjson")
    if value is None or value == "":
        return None
    if isinstance(value, list | dict):  # a template that embeds {{ResultsJson}} unquoted
        return value
    if not isinstance(value, str):
        raise PayloadError("ResultsJson", f"ResultsJson must be a JSON string, got {type(value).__name__}")
    try:
        parsed = json.loads(value)
    except (ValueError, RecursionError):
        raise PayloadError("ResultsJson", "ResultsJson must hold JSON (an array of result rows)") from None
    if not isinstance(parsed, list | dict):
        raise PayloadError("ResultsJson", f"ResultsJson must hold an array or object, got {type(parsed).__name__}")
    return parsed


def _collect_instance_ids(value: Any, found: set[str], depth: int) -> None:
    if depth > _MAX_SCAN_DEPTH:
        return
    if isinstance(value, str):
        found.update(_INSTANCE_ID_IN_TEXT.findall(value))
    elif isinstance(value, dict):
        for item in value.values():
            _collect_instance_ids(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _collect_instance_ids(item, found, depth + 1)
