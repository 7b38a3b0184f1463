"""What the Sumo Logic modules compare and show: payload template checks, duration and number normalisation,
and the readable text used for --diff (multi-line strings such as the monitor query as YAML block scalars).
"""

from __future__ import annotations

import json
import re
from typing import Any

_TEMPLATE_VARIABLE = re.compile(r"\{\{\s*[^{}]*\s*\}\}")
_DURATION_PART = re.compile(r"(\d+)([smhd])")
_DURATION = re.compile(r"^-?(\d+[smhd])+$")
_SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def validate_json_template(field: str, template: str | None) -> None:
    """Raise ValueError naming `field` unless the template is JSON once each {{Variable}} is filled in.

    Variables are replaced by 0 so that both "{{Name}}" (inside quotes) and a bare {{TriggerValue}} parse.
    """
    if template is None:
        return
    if not template.strip():
        raise ValueError(f"{field} must be a JSON template, got an empty string")
    try:
        json.loads(_TEMPLATE_VARIABLE.sub("0", template))
    except ValueError as error:
        raise ValueError(f"{field} is not a valid JSON template: {error}; got {template[:120]!r}") from None


def duration_seconds(value: str) -> int:
    """Seconds in a Sumo duration such as "-10m", "10m", "1h", "23h60m" (the sign only marks the past)."""
    text = str(value).strip()
    if not _DURATION.match(text):
        raise ValueError(f"not a duration like 10m, 1h or -15m: {value!r}")
    return sum(int(amount) * _SECONDS_PER_UNIT[unit] for amount, unit in _DURATION_PART.findall(text))


def past_time_range(value: str) -> str:
    """The negative form Sumo stores for a trigger's time range: "10m" -> "-10m"."""
    text = str(value).strip()
    duration_seconds(text)
    return text if text.startswith("-") else f"-{text}"


def same_duration(left: Any, right: Any) -> bool:
    try:
        return duration_seconds(left) == duration_seconds(right)
    except ValueError:
        return left == right


def as_number(value: Any) -> Any:
    """5, 5.0 and "5" compare equal; non-numbers pass through."""
    if isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def render_for_diff(value: Any, indent: int = 0) -> str:
    """YAML-like text of `value` with sorted keys and multi-line strings as `|` blocks, for a line-based diff."""
    return "\n".join(_render_lines(value, indent)) + "\n"


def _render_lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        lines: list[str] = []
        for key in sorted(value):
            item = value[key]
            if _is_block(item):
                lines.append(f"{pad}{key}: |")
                lines.extend(f"{pad}  {line}" for line in item.splitlines())
            elif isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_render_lines(item, indent + 2))
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
        return lines
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        lines = []
        for item in value:
            nested = _render_lines(item, indent + 2)
            lines.append(f"{pad}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
        return lines
    if _is_block(value):
        return [pad + "|", *(f"{pad}  {line}" for line in value.splitlines())]
    return [pad + _scalar(value)]


def _is_block(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value


def _scalar(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, ensure_ascii=False)
