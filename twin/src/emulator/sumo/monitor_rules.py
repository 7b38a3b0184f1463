"""The rules a monitor body must pass beyond the OpenAPI schema (names, time ranges, trigger pairs, notifications),
and the normal form the twin stores and returns it in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from emulator.sumo.errors import ErrorDetail, SumoApiError, invalid_arguments
from emulator.sumo.payload import template_json_problem
from emulator.sumo.timefmt import is_duration, negative_form, parse_duration_seconds

# Log monitor trigger windows the spec lists (-5m … -24h); synonyms such as 60m or 1d are accepted as the real
# API accepts them (terraform-provider-sumologic PR #223).
LOGS_TIME_RANGE_SECONDS = (300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400)
RESOLUTION_WINDOWS = ("0m", "-5m", "-10m", "-15m", "-30m", "-1h", "-3h", "-6h", "-12h", "-24h")
ALERT_TRIGGER_FOR_RESOLVED = {
    "ResolvedCritical": "Critical",
    "ResolvedWarning": "Warning",
    "ResolvedMissingData": "MissingData",
}
MISSING_DATA_TRIGGER_TYPES = ("MissingData", "ResolvedMissingData")
HIGH_CARDINALITY_FIELDS = ("_blockid", "_raw", "_messagetime", "_receipttime", "_messageid")
MAX_LOGS_QUERY_LENGTH = 4000
_TRIGGER_COMMON_KEYS = ("detectionMethod", "triggerType", "resolutionWindow", "frequency")
_TRIGGER_KEYS_BY_METHOD = {
    "LogsStaticCondition": ("timeRange", "threshold", "thresholdType", "field"),
    "StaticCondition": (
        "timeRange",
        "threshold",
        "thresholdType",
        "field",
        "occurrenceType",
        "triggerSource",
        "minDataPoints",
    ),
    "LogsMissingDataCondition": ("timeRange",),
}
_NOTIFICATION_KEYS = (
    "connectionType",
    "connectionId",
    "payloadOverride",
    "resolutionPayloadOverride",
    "connectionSubtype",
    "subject",
    "recipients",
    "messageBody",
    "timeZone",
)
MONITOR_DEFAULTS: dict[str, Any] = {
    "evaluationDelay": "0m",
    "notifications": [],
    "notificationGroupFields": [],
    "isDisabled": False,
    "groupNotifications": True,
    "playbook": "",
    "automatedPlaybookIds": [],
}
_OPTIONAL_MONITOR_KEYS = ("alertName", "runAs", "timeZone", "sloId", "tags")

# A notification's connectionType must be the one its connection's webhookType calls for (strict: the real API's
# behaviour on a mismatch is undocumented). Only Azure is spelled differently on the two sides.
NOTIFICATION_TYPE_FOR_WEBHOOK_TYPE = {"Azure": "AzureFunctions"}

# Looks a connection id up: its webhookType, or None when there is no such connection.
ConnectionLookup = Callable[[str], str | None]


def name_problem(name: Any) -> str | None:
    """Why a monitor or folder name is refused, or None."""
    if not isinstance(name, str) or not name:
        return "name must be a non-empty string"
    if "/" in name:
        return f"name must not contain '/' (got {name!r})"
    if name != name.strip():
        return f"name must not start or end with whitespace (got {name!r})"
    return None


def normalize_monitor(body: dict[str, Any], connection_webhook_type: ConnectionLookup) -> dict[str, Any]:
    """The stored settings of a monitor body (read-only and unknown fields dropped, defaults filled), or a
    SumoApiError listing every problem found."""
    problems: list[str] = []
    monitor_type = body.get("monitorType")
    settings: dict[str, Any] = {"monitorType": monitor_type}
    for key, default in MONITOR_DEFAULTS.items():
        value = body.get(key)
        settings[key] = default if value is None or value == "" else value
    for key in _OPTIONAL_MONITOR_KEYS:
        # Clients without omitempty send "" or {} for fields they leave unset (e.g. timeZone, runAs).
        if body.get(key) not in (None, "", {}):
            settings[key] = body[key]

    settings["queries"] = _normalize_queries(body.get("queries") or [], monitor_type, problems)
    triggers, time_range_errors = _normalize_triggers(body.get("triggers") or [], monitor_type, problems)
    settings["triggers"] = triggers
    settings["notifications"] = _normalize_notifications(
        settings["notifications"], {trigger["triggerType"] for trigger in triggers}, connection_webhook_type, problems
    )

    delay = settings["evaluationDelay"]
    if not is_duration(delay, units="smh", signed=False):
        problems.append(f"evaluationDelay must be a duration like '0m', '5m' or '1h30m' (got {delay!r})")
    elif parse_duration_seconds(delay) > 86400:
        problems.append(f"evaluationDelay must be at most 24h (got {delay!r})")
    for group_field in settings["notificationGroupFields"]:
        if group_field in HIGH_CARDINALITY_FIELDS:
            problems.append(f"notificationGroupFields must not contain the high-cardinality field {group_field!r}")
    if "timeZone" in settings:
        _check_time_zone(settings["timeZone"], "timeZone", problems)
    if "tags" in settings and not (
        isinstance(settings["tags"], dict) and all(isinstance(value, str) for value in settings["tags"].values())
    ):
        problems.append("tags must be an object mapping names to string values")

    if problems:
        raise invalid_arguments(problems)
    if time_range_errors:
        raise SumoApiError(400, time_range_errors)
    return settings


def _normalize_queries(queries: list[Any], monitor_type: str | None, problems: list[str]) -> list[dict[str, str]]:
    normalized = [{"rowId": query.get("rowId"), "query": query.get("query")} for query in queries]
    if not normalized:
        problems.append("queries must hold at least one query")
    if monitor_type == "Logs" and len(normalized) > 1:
        problems.append(f"queries: a Logs monitor has exactly one query (got {len(normalized)})")
    row_ids = [query["rowId"] for query in normalized]
    if len(set(row_ids)) != len(row_ids):
        problems.append(f"queries: rowId values must be unique (got {row_ids!r})")
    for index, query in enumerate(normalized):
        text = query["query"]
        if not isinstance(text, str) or not text.strip():
            problems.append(f"queries[{index}].query must not be empty")
        elif monitor_type == "Logs" and len(text) > MAX_LOGS_QUERY_LENGTH:
            problems.append(f"queries[{index}].query is {len(text)} characters; the limit is {MAX_LOGS_QUERY_LENGTH}")
    return normalized


def _method_fits_monitor(method: str, monitor_type: str | None) -> bool:
    if method == "StaticCondition":
        return monitor_type in ("Logs", "Metrics")
    return method.startswith({"Logs": "Logs", "Metrics": "Metrics", "Slo": "Slo"}.get(monitor_type or "", "?"))


def _normalize_triggers(
    triggers: list[Any], monitor_type: str | None, problems: list[str]
) -> tuple[list[dict[str, Any]], list[ErrorDetail]]:
    normalized: list[dict[str, Any]] = []
    time_range_errors: list[ErrorDetail] = []
    if not triggers:
        problems.append("triggers must hold at least one trigger condition")
    for index, trigger in enumerate(triggers):
        where = f"triggers[{index}]"
        method = trigger.get("detectionMethod") or "StaticCondition"
        trigger_type = trigger.get("triggerType")
        keys = _TRIGGER_KEYS_BY_METHOD.get(method)
        if keys is None:
            stored = {key: value for key, value in trigger.items() if value is not None}
        else:
            stored = {
                key: trigger[key]
                for key in (*_TRIGGER_COMMON_KEYS, *keys)
                if trigger.get(key) is not None and trigger.get(key) != ""
            }
        stored["detectionMethod"] = method
        if not _method_fits_monitor(method, monitor_type):
            problems.append(f"{where}.detectionMethod {method!r} cannot be used in a {monitor_type} monitor")
        is_missing_data_method = method.endswith("MissingDataCondition") or (
            method == "StaticCondition" and trigger.get("occurrenceType") == "MissingData"
        )
        if is_missing_data_method != (trigger_type in MISSING_DATA_TRIGGER_TYPES):
            problems.append(
                f"{where}: triggerType {trigger_type!r} does not fit detectionMethod {method!r} "
                "(MissingData and ResolvedMissingData go with a missing-data condition, and only with it)"
            )
        if is_missing_data_method:
            for ignored in ("threshold", "thresholdType", "field"):
                stored.pop(ignored, None)
        elif "threshold" in stored:
            stored["threshold"] = float(stored["threshold"])
        if method == "StaticCondition" and monitor_type == "Logs":
            if trigger.get("occurrenceType") not in ("ResultCount", "MissingData"):
                problems.append(
                    f"{where}.occurrenceType must be 'ResultCount' (or 'MissingData') in a Logs monitor "
                    f"(got {trigger.get('occurrenceType')!r})"
                )
            if trigger.get("triggerSource") != "AllResults":
                problems.append(
                    f"{where}.triggerSource must be 'AllResults' in a Logs monitor "
                    f"(got {trigger.get('triggerSource')!r})"
                )
        window = trigger.get("resolutionWindow")
        if window not in (None, "") and window not in RESOLUTION_WINDOWS:
            problems.append(f"{where}.resolutionWindow must be one of {', '.join(RESOLUTION_WINDOWS)} (got {window!r})")
        if "timeRange" in stored:
            time_range = stored["timeRange"]
            try:
                seconds = parse_duration_seconds(time_range)
            except ValueError:
                seconds = None
            if monitor_type == "Logs" and seconds not in LOGS_TIME_RANGE_SECONDS:
                time_range_errors.append(
                    ErrorDetail(
                        "monitors:unsupported_trigger_time_range",
                        "Unsupported trigger time range.",
                        f"{where}.timeRange {time_range!r} is not one of -5m, -10m, -15m, -30m, -1h, -3h, -6h, "
                        "-12h, -24h (or the same duration written another way, e.g. 60m or 1d).",
                    )
                )
            elif seconds is None:
                problems.append(f"{where}.timeRange must be a duration like '-15m' (got {time_range!r})")
            else:
                stored["timeRange"] = negative_form(time_range)
        normalized.append(stored)

    by_type: dict[str, dict[str, Any]] = {}
    for index, trigger in enumerate(normalized):
        trigger_type = trigger.get("triggerType")
        if trigger_type in by_type:
            problems.append(f"triggers[{index}]: a monitor has at most one {trigger_type} trigger")
        by_type[trigger_type] = trigger
    for resolved, alert in ALERT_TRIGGER_FOR_RESOLVED.items():
        if resolved not in by_type:
            continue
        if alert not in by_type:
            problems.append(f"triggers: a {resolved} trigger needs a {alert} trigger to resolve")
            continue
        resolved_range, alert_range = by_type[resolved].get("timeRange"), by_type[alert].get("timeRange")
        if resolved_range and alert_range and _seconds_or_none(resolved_range) != _seconds_or_none(alert_range):
            time_range_errors.append(
                ErrorDetail(
                    "monitors:unsupported_trigger_time_range",
                    "Unsupported trigger time range.",
                    f"{resolved} trigger must have the same time range as {alert} trigger's time range.",
                )
            )
    return normalized, time_range_errors


def _seconds_or_none(text: str) -> int | None:
    try:
        return parse_duration_seconds(text)
    except ValueError:
        return None


def _normalize_notifications(
    notifications: list[Any],
    trigger_types: set[str],
    connection_webhook_type: ConnectionLookup,
    problems: list[str],
) -> list[dict[str, Any]]:
    normalized = []
    for index, entry in enumerate(notifications):
        where = f"notifications[{index}]"
        action = entry.get("notification") or {}
        stored_action = {key: action[key] for key in _NOTIFICATION_KEYS if action.get(key) not in (None, "")}
        run_for = list(entry.get("runForTriggerTypes") or [])
        if not run_for:
            problems.append(f"{where}.runForTriggerTypes must name at least one trigger type")
        for trigger_type in run_for:
            if trigger_type not in trigger_types:
                problems.append(
                    f"{where}.runForTriggerTypes names {trigger_type!r}, which is not a trigger type of this monitor "
                    f"(it has {', '.join(sorted(trigger_types)) or 'none'})"
                )
        connection_type = action.get("connectionType")
        if connection_type == "Email":
            if "timeZone" in stored_action:
                _check_time_zone(stored_action["timeZone"], f"{where}.notification.timeZone", problems)
        else:
            connection_id = action.get("connectionId")
            webhook_type = connection_webhook_type(str(connection_id))
            if webhook_type is None:
                problems.append(f"{where}.notification.connectionId {connection_id!r} is not an existing connection")
            elif connection_type != NOTIFICATION_TYPE_FOR_WEBHOOK_TYPE.get(webhook_type, webhook_type):
                expected = NOTIFICATION_TYPE_FOR_WEBHOOK_TYPE.get(webhook_type, webhook_type)
                problems.append(
                    f"{where}.notification.connectionType {connection_type!r} does not fit connection {connection_id}, "
                    f"whose webhookType is {webhook_type!r} (expected {expected!r})"
                )
            for key in ("payloadOverride", "resolutionPayloadOverride"):
                if key in stored_action:
                    problem = template_json_problem(stored_action[key])
                    if problem:
                        problems.append(f"{where}.notification.{key} {problem}")
        normalized.append({"notification": stored_action, "runForTriggerTypes": run_for})
    return normalized


def _check_time_zone(zone: Any, where: str, problems: list[str]) -> None:
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{where} must be an IANA time zone such as 'America/Los_Angeles' (got {zone!r})")
