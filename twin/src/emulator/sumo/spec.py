"""Request validation against Sumo Logic's OpenAPI spec, or the project's compact schema where the spec is absent.

The official spec (1.1 MB) is read on first use and each operation's body validator is compiled once and cached.
Which one: the file env SUMO_OPENAPI_SPEC names (the CLI's `--sumo-spec PATH` sets it), which must then exist; when
SUMO_OPENAPI_SPEC is unset, the package's own `compact_api.yaml` (a subset covering monitor and connection bodies,
read through importlib.resources).

OpenAPI 3.0 discriminators (which jsonschema ignores) are honoured: every `$ref` to a schema with a discriminator,
except the `allOf` references subtypes make to their base, validates the body against the subtype the
discriminating property names (explicit `mapping`, else schemas that extend the base by `allOf`, else the
property's `default`). Unknown and read-only fields are tolerated, as the real API tolerates them.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from jsonschema.exceptions import ValidationError
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator

logger = logging.getLogger("emulator.sumo")

SPEC_VARIABLE = "SUMO_OPENAPI_SPEC"
COMPACT_SCHEMA = "compact_api.yaml"
_SCHEMA_PREFIX = "#/components/schemas/"
_DISPATCH_SUFFIX = "__dispatch"
_HTTP_METHODS = ("get", "put", "post", "delete", "patch")


class SpecNotFoundError(FileNotFoundError):
    """SUMO_OPENAPI_SPEC names a file that is not there."""


def official_spec_path() -> Path | None:
    """The official spec SUMO_OPENAPI_SPEC names, or None when it is unset (the compact schema is then used)."""
    configured = os.environ.get(SPEC_VARIABLE, "").strip()
    return Path(configured).expanduser() if configured else None


@dataclass
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    body_schema_name: str | None
    body_required: bool
    required_query: list[str]


@dataclass
class OpenApiDocument:
    """The parsed spec: its operations and schemas, plus the compiled body validators (filled lazily)."""

    source: str
    location: str
    operations: list[Operation]
    schemas: dict[str, Any]
    _validators: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def find_operation(self, method: str, api_path: str) -> Operation | None:
        for operation in self.operations:
            if operation.method == method.lower() and operation.pattern.fullmatch(api_path):
                return operation
        return None

    def body_validator(self, schema_name: str) -> Any:
        with self._lock:
            if schema_name not in self._validators:
                self._validators[schema_name] = _compile_validator(self.schemas, schema_name)
            return self._validators[schema_name]


def source_description() -> str:
    """Which schema validates requests, e.g. for a start-up log line."""
    document = load_document()
    return f"{document.source} schema {document.location}"


_document: OpenApiDocument | None = None
_document_lock = threading.Lock()


def load_document() -> OpenApiDocument:
    """The spec, read once per process (official if present, else the project's compact schema)."""
    global _document
    with _document_lock:
        if _document is None:
            _document = _read_document()
        return _document


def reset_document_cache() -> None:
    """Forget the loaded spec, so a changed SUMO_OPENAPI_SPEC takes effect (used by tests)."""
    global _document
    with _document_lock:
        _document = None


def _read_document() -> OpenApiDocument:
    official = official_spec_path()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if official is not None:
        if not official.is_file():
            raise SpecNotFoundError(
                f"{SPEC_VARIABLE} names {official}, which is not a file; unset it to use the compact schema"
            )
        source, location = "official", str(official)
        with official.open(encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=loader)  # noqa: S506 (a safe loader, C or pure Python)
    else:
        compact = resources.files("emulator.sumo").joinpath(COMPACT_SCHEMA)
        source, location = "compact", f"emulator.sumo/{COMPACT_SCHEMA}"
        logger.info(
            "%s is unset: validating Sumo requests with the twin's own compact schema %s", SPEC_VARIABLE, location
        )
        raw = yaml.load(compact.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
    schemas = raw.get("components", {}).get("schemas", {})
    operations = []
    for template, item in raw.get("paths", {}).items():
        shared_parameters = item.get("parameters", [])
        for method in _HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            parameters = [*shared_parameters, *operation.get("parameters", [])]
            body = operation.get("requestBody") or {}
            body_schema = body.get("content", {}).get("application/json", {}).get("schema", {})
            body_ref = body_schema.get("$ref", "")
            operations.append(
                Operation(
                    method=method,
                    template=template,
                    pattern=_template_pattern(template),
                    body_schema_name=body_ref.removeprefix(_SCHEMA_PREFIX) if body_ref else None,
                    body_required=bool(body.get("required")),
                    required_query=[
                        parameter["name"]
                        for parameter in parameters
                        if parameter.get("in") == "query" and parameter.get("required")
                    ],
                )
            )
    # A literal segment ("/v1/monitors/root") must win over a template ("/v1/monitors/{id}").
    operations.sort(key=lambda operation: operation.template.count("{"))
    return OpenApiDocument(source, location, operations, schemas)


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts))


# --- compiling a body validator -------------------------------------------------------------------------------


def _subtype_mapping(schemas: Mapping[str, Any], base_name: str) -> dict[str, str]:
    """Discriminator value -> schema ref: the explicit mapping, else every schema extending the base by allOf."""
    discriminator = schemas[base_name]["discriminator"]
    if discriminator.get("mapping"):
        return dict(discriminator["mapping"])
    base_ref = _SCHEMA_PREFIX + base_name
    return {
        name: _SCHEMA_PREFIX + name
        for name, schema in schemas.items()
        if isinstance(schema, dict) and any(part.get("$ref") == base_ref for part in schema.get("allOf", []))
    }


def _compile_validator(schemas: Mapping[str, Any], root_name: str) -> Any:
    """A validator for `root_name` over a copy of the schemas it reaches, with discriminators made to dispatch."""
    reached: dict[str, Any] = {}
    pending = [root_name]

    def rewrite(node: Any, in_all_of: bool = False) -> Any:
        if isinstance(node, list):
            return [rewrite(item, in_all_of) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith(_SCHEMA_PREFIX):
            name = reference.removeprefix(_SCHEMA_PREFIX)
            pending.append(name)
            if not in_all_of and "discriminator" in schemas.get(name, {}):
                return {"$ref": _SCHEMA_PREFIX + name + _DISPATCH_SUFFIX}
            return {"$ref": reference}
        return {key: rewrite(value, in_all_of=key == "allOf") for key, value in node.items()}

    while pending:
        name = pending.pop()
        if name in reached or name.endswith(_DISPATCH_SUFFIX):
            continue
        if name not in schemas:
            raise KeyError(f"schema {name!r} is referenced but not defined in the spec")
        reached[name] = rewrite(copy.deepcopy(schemas[name]))
        if "discriminator" in schemas[name]:
            mapping = _subtype_mapping(schemas, name)
            property_name = schemas[name]["discriminator"]["propertyName"]
            default = schemas[name].get("properties", {}).get(property_name, {}).get("default")
            reached[name + _DISPATCH_SUFFIX] = {
                "x-discriminate": {
                    "property": property_name,
                    "mapping": mapping,
                    "default": default,
                    "base": _SCHEMA_PREFIX + name,
                }
            }
            pending.extend(reference.removeprefix(_SCHEMA_PREFIX) for reference in mapping.values())

    root_reference = _SCHEMA_PREFIX + root_name
    if "discriminator" in schemas[root_name]:
        root_reference += _DISPATCH_SUFFIX
    return _DiscriminatingValidator({"components": {"schemas": reached}, "$ref": root_reference})


def _discriminate(validator: Any, rule: dict[str, Any], instance: Any, _schema: Any) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        yield ValidationError(f"should be an object, got {_json_type(instance)}", validator="type")
        return
    property_name = rule["property"]
    value = instance.get(property_name, rule["default"])
    if value is None:
        yield ValidationError(f"{property_name!r} is a required property", validator="required")
        return
    target = rule["mapping"].get(value) if isinstance(value, str) else None
    if target is not None:
        yield from validator.descend(instance, {"$ref": target})
        return
    base_errors = list(validator.descend(instance, {"$ref": rule["base"]}))
    yield from base_errors
    if not any(list(error.relative_path)[:1] == [property_name] for error in base_errors):
        error = ValidationError(
            f"should be one of the following: {', '.join(repr(name) for name in rule['mapping'])} (got {value!r})",
            validator="x-discriminate",
            path=[property_name],
        )
        yield error


_DiscriminatingValidator = extend(OAS30Validator, {"x-discriminate": _discriminate})


# --- problems as readable sentences -------------------------------------------------------------------------------


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def field_path(parts: Iterator[Any] | list[Any]) -> str:
    """triggers[1].thresholdType from the path parts ["triggers", 1, "thresholdType"]."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: ValidationError) -> str:
    where = field_path(list(error.absolute_path))
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        match = re.match(r"^'(.*)' is a required property$", error.message)
        missing = match.group(1) if match else error.message
        return f"{where}.{missing} is required" if where else f"{missing} is required"
    label = where or "body"
    if error.validator == "pattern":
        expected = schema.get("x-pattern-message") or f"should match {error.validator_value!r}"
        return f"{label} {expected} (got {error.instance!r})"
    if error.validator == "type":
        return f"{label} should be of type {error.validator_value} (got {_json_type(error.instance)})"
    if error.validator == "enum":
        return f"{label} should be one of {error.validator_value!r} (got {error.instance!r})"
    if error.validator == "x-discriminate":
        return f"{label} {error.message}"
    return f"{label}: {error.message}"


def body_problems(document: OpenApiDocument, schema_name: str, body: Any) -> list[str]:
    """Readable problems of `body` against the named request schema, in field order."""
    validator = document.body_validator(schema_name)
    errors = sorted(validator.iter_errors(body), key=lambda error: [str(part) for part in error.absolute_path])
    problems: list[str] = []
    for error in errors:
        sentence = _describe(error)
        if sentence not in problems:
            problems.append(sentence)
    return problems


def validate_body(method: str, api_path: str, body: Any) -> list[str]:
    """Problems of a request body for the operation at `api_path` (relative to /api, no query); [] if none."""
    document = load_document()
    operation = document.find_operation(method, api_path)
    if operation is None or operation.body_schema_name is None:
        return []
    return body_problems(document, operation.body_schema_name, body)


def validate_request(method: str, path: str, body: Any) -> list[str]:
    """Problems of a recorded request against the spec: unknown operation, missing required query parameters,
    a body that is not JSON or does not match the operation's request schema. [] means it conforms.

    `path` may be a full URL or a path, with or without the `/api` prefix and the query string; `body` may be
    parsed JSON, JSON text or bytes, or None.
    """
    parts = urlsplit(path)
    api_path = parts.path.removeprefix("/api") or "/"
    document = load_document()
    operation = document.find_operation(method, api_path)
    if operation is None:
        return [f"no operation {method.upper()} {api_path} in the {document.source} spec"]
    problems = []
    query = parse_qs(parts.query, keep_blank_values=True)
    for name in operation.required_query:
        if not query.get(name) or not query[name][0]:
            problems.append(f"query parameter {name} is required by {method.upper()} {operation.template}")
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        if not body.strip():
            body = None
        else:
            try:
                body = json.loads(body)
            except json.JSONDecodeError as error:
                return [*problems, f"body is not JSON: {error}"]
    if operation.body_schema_name is None:
        return problems
    if body is None:
        if operation.body_required:
            problems.append(f"a JSON body is required by {method.upper()} {operation.template}")
        return problems
    return [*problems, *body_problems(document, operation.body_schema_name, body)]
