"""The wire layer for SSM Automation: AmazonSSM JSON requests in, the engine's answers or AWS JSON errors out.

Also guards CreateDocument/UpdateDocument so moto only ever stores Automation documents the engine can run.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

import botocore.session

from emulator.automation.errors import AutomationError
from emulator.automation.targets import check_target_type
from emulator.aws.wire import AwsRequest, Reply, json_body, json_error

log = logging.getLogger(__name__)


# API operation -> the engine's method of the same meaning.
AUTOMATION_OPERATIONS = {
    "StartAutomationExecution": "start_automation_execution",
    "GetAutomationExecution": "get_automation_execution",
    "DescribeAutomationExecutions": "describe_automation_executions",
    "DescribeAutomationStepExecutions": "describe_automation_step_executions",
    "StopAutomationExecution": "stop_automation_execution",
    "SendAutomationSignal": "send_automation_signal",
}
DOCUMENT_WRITES = {"CreateDocument", "UpdateDocument"}


class DocumentTypes(Protocol):
    def document_type(self, name: str) -> str | None: ...


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The request's JSON object; AutomationError SerializationException for anything else."""
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AutomationError("SerializationException", f"The request body is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise AutomationError("SerializationException", f"Expected a JSON object, got {type(parsed).__name__}")
    return parsed


@functools.cache
def _required_members(operation: str) -> tuple[str, ...]:
    shape = botocore.session.get_session().get_service_model("ssm").operation_model(operation).input_shape
    return tuple(shape.required_members) if shape is not None else ()


def check_required(operation: str, request: dict[str, Any]) -> None:
    """AWS's ValidationException wording for members the API model marks required."""
    missing = [name for name in _required_members(operation) if request.get(name) in (None, "")]
    if missing:
        details = "; ".join(
            f"Value null at '{name[0].lower()}{name[1:]}' failed to satisfy constraint: Member must not be null"
            for name in missing
        )
        raise AutomationError("ValidationException", f"{len(missing)} validation error(s) detected: {details}")


class AutomationFront:
    """Answers the six automation APIs from the engine and vets Automation documents before moto stores them."""

    def __init__(
        self,
        engine: Callable[[], Any],
        validate_document: Callable[[str, str], Any],
        document_types: DocumentTypes,
    ) -> None:
        # A callable, so the engine is built on first use only.
        self._engine = engine
        # Raises AutomationError(InvalidDocumentContent, why) for a document the engine could not run.
        self._validate_document = validate_document
        self._document_types = document_types

    def handles(self, request: AwsRequest) -> bool:
        return request.service == "ssm" and request.operation in AUTOMATION_OPERATIONS

    def answer(self, request: AwsRequest) -> Reply:
        operation = request.operation or ""
        try:
            body = parse_json_object(request.body)
            check_required(operation, body)
            result = getattr(self._engine(), AUTOMATION_OPERATIONS[operation])(body)
        except AutomationError as error:
            return json_error(error.code, error.message, error.status)
        except Exception:
            log.exception("automation engine failed on %s", operation)
            return json_error("InternalServerError", f"The twin's automation engine failed on {operation}.", 500)
        return json_body(result if result is not None else {})

    def vet_document_write(self, request: AwsRequest) -> Reply | None:
        """An error reply for a write that must not reach moto, or None to let it through."""
        if request.service != "ssm" or request.operation not in DOCUMENT_WRITES:
            return None
        try:
            body = parse_json_object(request.body)
            check_required(request.operation or "", body)
            if not self._is_automation_write(request.operation or "", body):
                return None
            content, document_format = body["Content"], body.get("DocumentFormat") or "JSON"
            if not isinstance(content, str):
                raise AutomationError("ValidationException", f"Content must be a string, got {type(content).__name__}")
            self._validate_document(content, document_format)
            check_target_type(body.get("TargetType"))
        except AutomationError as error:
            return json_error(error.code, error.message, error.status)
        return None

    def _is_automation_write(self, operation: str, body: dict[str, Any]) -> bool:
        if operation == "CreateDocument":
            return body.get("DocumentType") == "Automation"
        name = body.get("Name")
        return isinstance(name, str) and self._document_types.document_type(name) == "Automation"
