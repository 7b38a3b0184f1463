"""Malformed requests get AWS's error codes in AWS's JSON shape, and the twin keeps serving afterwards."""

from __future__ import annotations

import json

import pytest

from tests.emulator.aws.conftest import raw_aws_call

pytestmark = pytest.mark.twin

SSM_JSON = {"Content-Type": "application/x-amz-json-1.1"}


def _ssm(aws, operation: str, body: bytes) -> tuple[int, dict[str, str], dict]:
    status, headers, raw = raw_aws_call(aws, "ssm", {**SSM_JSON, "X-Amz-Target": f"AmazonSSM.{operation}"}, body)
    return status, headers, json.loads(raw)


@pytest.mark.parametrize("operation", ["GetParameter", "StartAutomationExecution", "CreateDocument"])
def test_garbage_body_is_a_serialization_exception_and_the_next_call_works(aws, operation):
    status, headers, body = _ssm(aws, operation, b"\x00{definitely not json")

    assert status == 400
    assert body["__type"] == "SerializationException"
    assert headers["x-amzn-ErrorType"] == "SerializationException"
    assert aws.client("ssm").describe_parameters()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_json_that_is_not_an_object_is_a_serialization_exception(aws):
    status, _headers, body = _ssm(aws, "GetAutomationExecution", b"[1, 2, 3]")

    assert status == 400
    assert body["__type"] == "SerializationException"


def test_start_without_a_document_name_is_a_validation_exception_and_the_next_call_works(aws):
    status, _headers, body = _ssm(aws, "StartAutomationExecution", b"{}")

    assert status == 400
    assert body["__type"] == "ValidationException"
    assert "documentName" in body["message"]
    assert aws.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_create_document_without_content_is_a_validation_exception(aws):
    status, _headers, body = _ssm(aws, "CreateDocument", json.dumps({"Name": "no-content"}).encode())

    assert status == 400
    assert body["__type"] == "ValidationException"
    assert "content" in body["message"]
