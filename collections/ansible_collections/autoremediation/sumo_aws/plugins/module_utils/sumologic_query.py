"""The one source of truth for the slow-/api/data monitor query, usable from Ansible (filter plugin) and plain Python.

    render_monitor_query(settings) -> the query text
    monitor_trigger_field(settings) -> the result field the monitor's trigger compares

Settings (keys, defaults): mode ("latency" | "volume", "latency"), source_category (required, e.g. "prod/api"),
api_path ("/api/data"), latency_source ("regex" | "json", "regex"), latency_regex (DEFAULT_LATENCY_REGEX, must
capture `(?<response_time>...)`), latency_json_field ("duration_ms"), latency_json_path_field ("path"),
latency_unit ("ms" | "s", "ms"), latency_threshold_seconds (3).
Only the standard library is used, so a backtest can import this file directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Matches access-log lines such as: "GET /api/data?id=7 HTTP/1.1" 200 512 response_time=3412ms
DEFAULT_LATENCY_REGEX = (
    r'"(?:GET|POST|PUT|DELETE|PATCH) (?<path>/api/data)[^"]*" (?<status>\d{3}) '
    r".*response_time=(?<response_time>[0-9.]+)ms"
)
DEFAULTS: dict[str, Any] = {
    "mode": "latency",
    "api_path": "/api/data",
    "latency_source": "regex",
    "latency_regex": DEFAULT_LATENCY_REGEX,
    "latency_json_field": "duration_ms",
    "latency_json_path_field": "path",
    "latency_unit": "ms",
    "latency_threshold_seconds": 3,
}
LATENCY_FIELD = "response_time"
SLOW_CALLS_FIELD = "slow_calls"
SLOW_FLAG_FIELD = "is_slow"
VOLUME_FIELD = "_count"

_SOURCE_CATEGORY = re.compile(r"^[A-Za-z0-9_./*:-]+$")
_JSON_FIELD = re.compile(r"^[A-Za-z0-9_.-]+$")
_UNESCAPED_QUOTE = re.compile(r'(?<!\\)"')


def _settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**DEFAULTS, **{key: value for key, value in settings.items() if value is not None}}
    _choice(merged, "mode", ("latency", "volume"))
    _choice(merged, "latency_source", ("regex", "json"))
    _choice(merged, "latency_unit", ("ms", "s"))
    category = str(merged.get("source_category") or "")
    if not _SOURCE_CATEGORY.match(category):
        raise ValueError(
            f"source_category must be a _sourceCategory value such as prod/api (letters, digits, _ . / * : -), "
            f"got {category!r}"
        )
    api_path = str(merged["api_path"])
    if not api_path.startswith("/") or '"' in api_path or "\n" in api_path:
        raise ValueError(f"api_path must be a URL path such as /api/data, got {api_path!r}")
    return merged


def _choice(settings: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
    if settings[key] not in allowed:
        raise ValueError(f"{key} must be one of {', '.join(allowed)}, got {settings[key]!r}")


def _number(value: float) -> str:
    """3000.0 -> "3000", 2.5 -> "2.5": the query reads like a person wrote it."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def latency_threshold(settings: Mapping[str, Any]) -> float:
    """The latency limit in the unit the logs use (3 s -> 3000 when the logs are in ms)."""
    merged = _settings(settings)
    try:
        seconds = float(merged["latency_threshold_seconds"])
    except (TypeError, ValueError):
        raise ValueError(
            f"latency_threshold_seconds must be a number, got {merged['latency_threshold_seconds']!r}"
        ) from None
    if seconds <= 0:
        raise ValueError(f"latency_threshold_seconds must be greater than 0, got {seconds!r}")
    return round(seconds * 1000, 6) if merged["latency_unit"] == "ms" else seconds


def monitor_trigger_field(settings: Mapping[str, Any]) -> str:
    """The result field the trigger compares: slow_calls for latency mode, _count for volume mode."""
    return SLOW_CALLS_FIELD if _settings(settings)["mode"] == "latency" else VOLUME_FIELD


def render_monitor_query(settings: Mapping[str, Any]) -> str:
    """The Sumo Logic query for the settings; raises ValueError naming the setting that is wrong."""
    merged = _settings(settings)
    scope = f'_sourceCategory={merged["source_category"]} "{merged["api_path"]}"'
    if merged["mode"] == "volume":
        return f"{scope}\n| count"
    if merged["latency_source"] == "regex":
        regex = str(merged["latency_regex"])
        if f"(?<{LATENCY_FIELD}>" not in regex:
            raise ValueError(f"latency_regex must capture the latency as (?<{LATENCY_FIELD}>...), got {regex!r}")
        if "\n" in regex:
            raise ValueError(f"latency_regex must be one line, got {regex!r}")
        stages = [f'| parse regex "{_UNESCAPED_QUOTE.sub(chr(92) + chr(34), regex)}"']
    else:
        json_field, path_field = str(merged["latency_json_field"]), str(merged["latency_json_path_field"])
        for setting, key in (("latency_json_field", json_field), ("latency_json_path_field", path_field)):
            if not _JSON_FIELD.match(key):
                raise ValueError(f"{setting} must be a JSON key such as duration_ms or path, got {key!r}")
        api_path = merged["api_path"]
        # The keyword scope also matches the path in a referer or a message; the path field must be the API path
        # itself, with or without a query string.
        stages = [
            f'| json field=_raw "{path_field}", "{json_field}" as path, {LATENCY_FIELD}',
            f'| where path = "{api_path}" or path matches "{api_path}?*"',
        ]
    return "\n".join(
        (
            scope,
            *stages,
            f"| num({LATENCY_FIELD})",
            # A row for every window with /api/data traffic, slow or not: summing a 0/1 flag (rather than
            # `where slow | count`, which returns no row when nothing is slow) keeps "no row" meaning "no
            # traffic", which is what a MissingData trigger sees (docs/twin-fidelity.md, "Missing data").
            f"| if({LATENCY_FIELD} > {_number(latency_threshold(merged))}, 1, 0) as {SLOW_FLAG_FIELD}",
            f"| sum({SLOW_FLAG_FIELD}) as {SLOW_CALLS_FIELD}",
        )
    )
