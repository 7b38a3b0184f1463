"""Step outputs: JSONPath selection from a response, coercion to the declared output Type, and AWS's wire rendering."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as parse_jsonpath

OUTPUT_TYPES = ("String", "Integer", "Boolean", "StringList", "StringMap", "MapList")


class OutputTypeError(ValueError):
    """A selected value cannot be read as the declared output Type."""


@dataclass(frozen=True)
class OutputDefinition:
    """One user-declared step output: `Name`, JSONPath `Selector` and `Type`."""

    name: str
    selector: str
    type: str


def check_selector(selector: str) -> str | None:
    """Why `selector` is not a usable JSONPath, or None."""
    if not selector.startswith("$"):
        return f"selector {selector!r} must be a JSONPath starting with '$'"
    try:
        parse_jsonpath(selector)
    except (JsonPathParserError, Exception) as error:  # jsonpath-ng raises bare Exceptions for some syntax
        return f"selector {selector!r} is not valid JSONPath: {error}"
    return None


def select(document: Any, selector: str) -> tuple[bool, Any]:
    """(found, value): one match gives its value, several give the list of values, none gives (False, None)."""
    matches = [match.value for match in parse_jsonpath(selector).find(document)]
    if not matches:
        return False, None
    return True, matches[0] if len(matches) == 1 else matches


def coerce_output(value: Any, output_type: str) -> Any:
    """`value` as the declared Type; raises OutputTypeError naming the value and the Type."""
    if output_type == "String":
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    if output_type == "Integer":
        if isinstance(value, bool):
            raise OutputTypeError(f"value {value!r} is not an Integer")
        try:
            return int(str(value).strip()) if not isinstance(value, float) else int(value)
        except ValueError:
            raise OutputTypeError(f"value {value!r} is not an Integer") from None
    if output_type == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise OutputTypeError(f"value {value!r} is not a Boolean")
    if output_type == "StringList":
        items = value if isinstance(value, list) else [value]
        return [coerce_output(item, "String") for item in items]
    if output_type == "StringMap":
        if not isinstance(value, dict):
            raise OutputTypeError(f"value {value!r} is not a StringMap")
        return value
    if output_type == "MapList":
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, dict) for item in items):
            raise OutputTypeError(f"value {value!r} is not a MapList")
        return items
    raise OutputTypeError(f"unknown output Type {output_type!r}; expected one of {list(OUTPUT_TYPES)}")


def to_json_safe(value: Any) -> Any:
    """A boto3 response made JSON-serialisable: datetimes as ISO strings, bytes as base64, Decimals as numbers."""
    if isinstance(value, dict):
        return {str(key): to_json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_safe(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def output_to_wire(value: Any) -> list[str]:
    """A typed output value as AWS reports it: a list of strings."""
    if isinstance(value, list):
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, dict):
        return [json.dumps(value)]
    return [str(value)]
