"""The automation wire layer on its own, with a fake engine: JSON in, the engine's answer or an AWS JSON error out."""

from __future__ import annotations

import json
from typing import Any

from emulator.automation.errors import AutomationError
from emulator.aws.automation_front import AutomationFront
from emulator.aws.wire import JSON_STYLE, AwsRequest


class FakeEngine:
    """Records calls; an execution id of all x's is unknown, a document containing 'aws:nothing' is invalid."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def start_automation_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("start", request))
        return {"AutomationExecutionId": "11111111-2222-3333-4444-555555555555"}

    def get_automation_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        raise AutomationError("AutomationExecutionNotFoundException", f"{request['AutomationExecutionId']} not found")

    def stop_automation_execution(self, request: dict[str, Any]) -> None:
        raise RuntimeError("engine bug")


def fake_validate_document(content: str, document_format: str) -> object:
    if "aws:nothing" in content:
        raise AutomationError("InvalidDocumentContent", "step 'a' uses unknown action 'aws:nothing'")
    return object()


class FakeDocumentTypes:
    def document_type(self, name: str) -> str | None:
        return {"existing-automation": "Automation", "existing-command": "Command"}.get(name)


def _request(operation: str, body: Any, raw: bytes | None = None) -> AwsRequest:
    payload = raw if raw is not None else json.dumps(body).encode()
    return AwsRequest("POST", "/", "ssm", "us-east-1", operation, JSON_STYLE, payload)


def _front() -> tuple[AutomationFront, FakeEngine]:
    engine = FakeEngine()
    return AutomationFront(lambda: engine, fake_validate_document, FakeDocumentTypes()), engine


def _decoded(reply: tuple[int, list[tuple[str, str]], bytes]) -> tuple[int, dict[str, str], Any]:
    status, headers, body = reply
    return status, dict(headers), json.loads(body)


def test_start_passes_the_request_to_the_engine_and_returns_its_answer():
    front, engine = _front()

    status, _headers, body = _decoded(front.answer(_request("StartAutomationExecution", {"DocumentName": "doc"})))

    assert status == 200
    assert body == {"AutomationExecutionId": "11111111-2222-3333-4444-555555555555"}
    assert engine.calls == [("start", {"DocumentName": "doc"})]


def test_engine_error_becomes_an_aws_json_error_with_its_code():
    front, _engine = _front()

    reply = front.answer(_request("GetAutomationExecution", {"AutomationExecutionId": "x" * 36}))
    status, headers, body = _decoded(reply)

    assert status == 400
    assert headers["x-amzn-ErrorType"] == "AutomationExecutionNotFoundException"
    assert body["__type"] == "AutomationExecutionNotFoundException"


def test_missing_required_member_is_a_validation_exception_before_the_engine_runs():
    front, engine = _front()

    status, _headers, body = _decoded(front.answer(_request("StartAutomationExecution", {})))

    assert status == 400
    assert body["__type"] == "ValidationException"
    assert "'documentName'" in body["message"]
    assert engine.calls == []


def test_garbage_body_is_a_serialization_exception():
    front, _engine = _front()

    status, _headers, body = _decoded(front.answer(_request("StartAutomationExecution", None, raw=b"{not json")))

    assert status == 400
    assert body["__type"] == "SerializationException"


def test_engine_crash_is_an_internal_server_error_not_a_dropped_connection():
    front, _engine = _front()

    reply = front.answer(_request("StopAutomationExecution", {"AutomationExecutionId": "x" * 36}))
    status, _headers, body = _decoded(reply)

    assert status == 500
    assert body["__type"] == "InternalServerError"


def test_invalid_automation_document_is_rejected_before_moto_stores_it():
    front, _engine = _front()
    content = json.dumps({"schemaVersion": "0.3", "mainSteps": [{"name": "a", "action": "aws:nothing"}]})

    reply = front.vet_document_write(
        _request("CreateDocument", {"Name": "d", "Content": content, "DocumentType": "Automation"})
    )

    assert reply is not None
    status, _headers, body = _decoded(reply)
    assert (status, body["__type"]) == (400, "InvalidDocumentContent")
    assert "aws:nothing" in body["message"]


def test_update_of_an_existing_automation_document_is_validated_but_a_command_document_is_not():
    front, _engine = _front()
    content = json.dumps({"schemaVersion": "0.3", "mainSteps": [{"name": "a", "action": "aws:nothing"}]})

    automation = front.vet_document_write(
        _request("UpdateDocument", {"Name": "existing-automation", "Content": content})
    )
    command = front.vet_document_write(_request("UpdateDocument", {"Name": "existing-command", "Content": content}))

    assert automation is not None
    assert command is None


def test_valid_automation_document_goes_on_to_moto():
    front, _engine = _front()
    content = json.dumps({"schemaVersion": "0.3", "mainSteps": [{"name": "a", "action": "aws:sleep"}]})

    assert (
        front.vet_document_write(
            _request("CreateDocument", {"Name": "d", "Content": content, "DocumentType": "Automation"})
        )
        is None
    )
