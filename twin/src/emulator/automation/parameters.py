"""Runbook parameters: their definitions, and turning start-time input (name -> list of strings) into typed values.

`AWS::…` console types (e.g. `AWS::EC2::Instance::Id`) are accepted and treated as String; `List<AWS::…>` as
StringList. The console-only regexes behind them are not enforced; use allowedPattern for that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.automation.errors import invalid_document, invalid_parameters

BASE_TYPES = ("String", "StringList", "Integer", "Boolean", "MapList", "StringMap")
PARAMETER_KEYS = frozenset(
    {"type", "description", "default", "allowedValues", "allowedPattern", "displayType", "minItems", "maxItems",
     "minChars", "maxChars"}
)  # fmt: skip
SSM_PARAMETER_REFERENCE = re.compile(r"^\{\{\s*ssm:([^}\s]+)\s*\}\}$")
PARAMETER_NAME = re.compile(r"^[a-zA-Z0-9_]+$")

# Resolves a Parameter Store name to its value; used only for `{{ssm:...}}` defaults.
SsmResolver = Callable[[str], str]


@dataclass(frozen=True)
class ParameterDefinition:
    """One entry of a document's `parameters`, with the declared type reduced to one of the six base types."""

    name: str
    declared_type: str
    base_type: str
    description: str = ""
    has_default: bool = False
    default: Any = None
    allowed_values: tuple[Any, ...] | None = None
    allowed_pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    min_chars: int | None = None
    max_chars: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return not self.has_default


def base_type_of(declared_type: str) -> str | None:
    if declared_type in BASE_TYPES:
        return declared_type
    if declared_type.startswith("List<AWS::") and declared_type.endswith(">"):
        return "StringList"
    if declared_type.startswith("AWS::"):
        return "String"
    return None


def parse_parameter_definitions(raw_parameters: Any) -> dict[str, ParameterDefinition]:
    """Read and check a document's `parameters` section; raises InvalidDocumentContent on any problem."""
    if raw_parameters is None:
        return {}
    if not isinstance(raw_parameters, dict):
        raise invalid_document(f"parameters must be a map of name to definition, got {type(raw_parameters).__name__}")
    return {name: _parse_definition(name, raw) for name, raw in raw_parameters.items()}


def _parse_definition(name: Any, raw: Any) -> ParameterDefinition:
    where = f"parameter '{name}'"
    if not isinstance(name, str) or not PARAMETER_NAME.match(name):
        raise invalid_document(f"{where}: name must match [a-zA-Z0-9_]+")
    if not isinstance(raw, dict):
        raise invalid_document(f"{where}: definition must be a map, got {type(raw).__name__}")
    unknown = sorted(set(raw) - PARAMETER_KEYS)
    if unknown:
        raise invalid_document(f"{where}: unknown key(s) {unknown}; expected some of {sorted(PARAMETER_KEYS)}")
    declared_type = raw.get("type")
    if not isinstance(declared_type, str):
        raise invalid_document(f"{where}: 'type' is required, one of {list(BASE_TYPES)} or an AWS::… type")
    base_type = base_type_of(declared_type)
    if base_type is None:
        raise invalid_document(f"{where}: unknown type '{declared_type}'; expected one of {list(BASE_TYPES)}")
    allowed_values = raw.get("allowedValues")
    if allowed_values is not None and (not isinstance(allowed_values, list) or not allowed_values):
        raise invalid_document(f"{where}: allowedValues must be a non-empty list, got {allowed_values!r}")
    allowed_pattern = raw.get("allowedPattern")
    if allowed_pattern is not None:
        if not isinstance(allowed_pattern, str):
            raise invalid_document(f"{where}: allowedPattern must be a string, got {allowed_pattern!r}")
        try:
            re.compile(allowed_pattern)
        except re.error as error:
            raise invalid_document(
                f"{where}: allowedPattern {allowed_pattern!r} is not a valid regex: {error}"
            ) from None
    limits = {}
    for key in ("minItems", "maxItems", "minChars", "maxChars"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise invalid_document(f"{where}: {key} must be a non-negative integer, got {value!r}")
        limits[key] = value
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise invalid_document(f"{where}: description must be a string, got {description!r}")
    definition = ParameterDefinition(
        name=name,
        declared_type=declared_type,
        base_type=base_type,
        description=description,
        has_default="default" in raw,
        default=raw.get("default"),
        allowed_values=tuple(allowed_values) if allowed_values is not None else None,
        allowed_pattern=allowed_pattern,
        min_items=limits["minItems"],
        max_items=limits["maxItems"],
        min_chars=limits["minChars"],
        max_chars=limits["maxChars"],
        raw=dict(raw),
    )
    if definition.has_default and not _is_ssm_reference(definition.default):
        problem = check_value(definition, definition.default)
        if problem:
            raise invalid_document(f"{where}: default {definition.default!r} is invalid: {problem}")
    return definition


def _is_ssm_reference(value: Any) -> bool:
    return isinstance(value, str) and SSM_PARAMETER_REFERENCE.match(value) is not None


def check_value(definition: ParameterDefinition, value: Any) -> str | None:
    """Why `value` (already typed) does not fit `definition`, or None when it fits."""
    kind = definition.base_type
    if kind == "String":
        if not isinstance(value, str):
            return f"expected a String, got {type(value).__name__}"
        return _check_text(definition, value)
    if kind == "Integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expected an Integer, got {value!r}"
        return _check_allowed(definition, value)
    if kind == "Boolean":
        return None if isinstance(value, bool) else f"expected a Boolean (true or false), got {value!r}"
    if kind == "StringMap":
        return None if isinstance(value, dict) else f"expected a StringMap (a JSON object), got {value!r}"
    if kind == "StringList":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return f"expected a StringList (a list of strings), got {value!r}"
        for item in value:
            problem = _check_text(definition, item)
            if problem:
                return f"item {item!r}: {problem}"
        return _check_count(definition, value)
    if kind == "MapList":
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            return f"expected a MapList (a list of JSON objects), got {value!r}"
        return _check_count(definition, value)
    return f"unsupported type {kind}"


def _check_text(definition: ParameterDefinition, text: str) -> str | None:
    if definition.min_chars is not None and len(text) < definition.min_chars:
        return f"expected at least {definition.min_chars} characters, got {len(text)}"
    if definition.max_chars is not None and len(text) > definition.max_chars:
        return f"expected at most {definition.max_chars} characters, got {len(text)}"
    # SSM Agent checks with Go's regexp.MatchString, which searches rather than anchoring.
    if definition.allowed_pattern is not None and re.search(definition.allowed_pattern, text) is None:
        return f"expected a value matching the pattern {definition.allowed_pattern!r}"
    return _check_allowed(definition, text)


def _check_allowed(definition: ParameterDefinition, value: Any) -> str | None:
    if definition.allowed_values is not None and value not in definition.allowed_values:
        return f"expected one of {list(definition.allowed_values)}"
    return None


def _check_count(definition: ParameterDefinition, items: list[Any]) -> str | None:
    if definition.min_items is not None and len(items) < definition.min_items:
        return f"expected at least {definition.min_items} items, got {len(items)}"
    if definition.max_items is not None and len(items) > definition.max_items:
        return f"expected at most {definition.max_items} items, got {len(items)}"
    return None


def coerce_wire_value(definition: ParameterDefinition, values: list[str]) -> Any:
    """The list of strings AWS receives for one parameter, as the parameter's type; raises naming what was expected."""
    name, kind = definition.name, definition.base_type
    if kind in ("StringList",):
        return list(values)
    if kind == "MapList":
        return _coerce_map_list(name, values)
    if len(values) != 1:
        raise invalid_parameters(f"Parameter '{name}' of type {kind} takes exactly one value, got {values!r}")
    text = values[0]
    if kind == "String":
        return text
    if kind == "Integer":
        if not re.fullmatch(r"-?[0-9]+", text.strip()):
            raise invalid_parameters(f"Parameter '{name}' value {text!r} is not an Integer; expected digits")
        return int(text)
    if kind == "Boolean":
        if text.strip().lower() not in ("true", "false"):
            raise invalid_parameters(f"Parameter '{name}' value {text!r} is not a Boolean; expected true or false")
        return text.strip().lower() == "true"
    # StringMap
    parsed = _parse_json(name, text)
    if not isinstance(parsed, dict):
        raise invalid_parameters(f"Parameter '{name}' value {text!r} is not a StringMap; expected a JSON object")
    return parsed


def _coerce_map_list(name: str, values: list[str]) -> list[dict[str, Any]]:
    # The console sends one JSON list; the CLI sends one JSON object per value. Both are accepted.
    if len(values) == 1:
        parsed = _parse_json(name, values[0])
        if isinstance(parsed, list) and all(isinstance(item, dict) for item in parsed):
            return parsed
    items = [_parse_json(name, value) for value in values]
    if not all(isinstance(item, dict) for item in items):
        raise invalid_parameters(f"Parameter '{name}' value {values!r} is not a MapList; expected JSON objects")
    return items


def _parse_json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise invalid_parameters(f"Parameter '{name}' value {text!r} is not valid JSON") from None


def resolve_parameters(
    definitions: dict[str, ParameterDefinition],
    supplied: dict[str, list[str]] | None,
    ssm_resolver: SsmResolver | None = None,
) -> dict[str, Any]:
    """Typed values for every declared parameter, from start-time input and defaults; raises before anything runs."""
    supplied = supplied or {}
    unknown = sorted(set(supplied) - set(definitions))
    if unknown:
        raise invalid_parameters(
            f"Parameter(s) {unknown} are not defined in the document; expected some of {sorted(definitions)}"
        )
    resolved: dict[str, Any] = {}
    for name, definition in definitions.items():
        if name in supplied:
            value = coerce_wire_value(definition, supplied[name])
        elif definition.has_default:
            value = _default_value(definition, ssm_resolver)
        else:
            raise invalid_parameters(f"Parameter '{name}' is required (type {definition.declared_type}) but missing")
        problem = check_value(definition, value)
        if problem:
            raise invalid_parameters(f"Parameter '{name}' value {value!r} is invalid: {problem}")
        resolved[name] = value
    return resolved


def _default_value(definition: ParameterDefinition, ssm_resolver: SsmResolver | None) -> Any:
    default = definition.default
    match = SSM_PARAMETER_REFERENCE.match(default) if isinstance(default, str) else None
    if match is None:
        return default
    if ssm_resolver is None:
        raise invalid_parameters(f"Parameter '{definition.name}' default {default!r} needs Parameter Store")
    text = ssm_resolver(match.group(1))
    return text.split(",") if definition.base_type == "StringList" else coerce_wire_value(definition, [text])


def to_wire_values(value: Any) -> list[str]:
    """A typed parameter value as the list of strings AWS reports under `Parameters`."""
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, list):
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    if isinstance(value, dict):
        return [json.dumps(value)]
    return [str(value)]
