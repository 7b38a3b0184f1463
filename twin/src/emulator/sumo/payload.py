"""Webhook payload templates: `{{Variable}}` substitution as Sumo Logic documents it (case-insensitive names,
JSON-escaped values, unknown variables rendered as an empty string) and the checks a connection's payload passes."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_. ]+?)\s*\}\}")
_RESULTS_FIELD_PREFIX = "resultsjson."

# Every variable the twin fills in (lower-case, since names are case-insensitive).
SUPPORTED_VARIABLES = frozenset(
    name.lower()
    for name in (
        "Name",
        "Id",
        "Description",
        "MonitorType",
        "Query",
        "QueryURL",
        "ResultsJson",
        "NumQueryResults",
        "DetectionMethod",
        "TriggerType",
        "TriggerTimeRange",
        "TriggerTime",
        "TriggerCondition",
        "TriggerValue",
        "TriggerTimeStart",
        "TriggerTimeEnd",
        "SourceURL",
        "AlertResponseUrl",
        "AlertName",
        "Playbook",
    )
)


def json_escape(value: str) -> str:
    """The text of `value` as it must appear inside a JSON string literal."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def variables_in(template: str) -> list[str]:
    return [match.group(1) for match in _VARIABLE.finditer(template)]


def unsupported_variables(template: str) -> list[str]:
    """Variables the twin would render as "" (ResultsJson.<field> counts as supported)."""
    unknown = []
    for name in variables_in(template):
        lowered = name.lower()
        if lowered not in SUPPORTED_VARIABLES and not lowered.startswith(_RESULTS_FIELD_PREFIX) and name not in unknown:
            unknown.append(name)
    return unknown


def template_json_problem(template: str) -> str | None:
    """Why `template` cannot render to JSON, or None. Variables are replaced by 0 first, so both
    `"x": "{{Name}}"` and `"x": {{TriggerValue}}` pass."""
    try:
        json.loads(_VARIABLE.sub("0", template))
    except json.JSONDecodeError as error:
        return (
            f"is not valid JSON once variables are filled in: {error.msg} at line {error.lineno} column {error.colno}"
        )
    return None


def render(
    template: str, values: Mapping[str, Any], results: list[dict[str, Any]] | None = None, escape: bool = True
) -> str:
    """Fill `{{Variable}}` placeholders; `values` keys are matched case-insensitively. Values are JSON-escaped
    unless `escape` is False (for plain text such as an alert name)."""
    lowered = {name.lower(): value for name, value in values.items()}
    encode = json_escape if escape else str

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name.startswith(_RESULTS_FIELD_PREFIX):
            return encode(_first_result_field(results or [], name.removeprefix(_RESULTS_FIELD_PREFIX)))
        value = lowered.get(name)
        return "" if value is None else encode(str(value))

    return _VARIABLE.sub(substitute, template)


def _first_result_field(results: list[dict[str, Any]], field_name: str) -> str:
    """{{ResultsJson.field}}: the field's value in the first result row (field names case-insensitive)."""
    if not results:
        return ""
    for key, value in results[0].items():
        if key.lower() == field_name.strip().lower():
            return value if isinstance(value, str) else json.dumps(value)
    return ""
