"""Malformed requests get AWS's error codes in AWS's JSON shape, and the twin keeps serving afterwards."""

from __future__ import annotations

import json

import pytest

from tests.aws.conftest import raw_aws_call

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


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("service", ["sns", "ec2", "iam", "sts"])
def test_query_service_body_without_an_action_is_missing_action_and_the_next_call_works(aws, service):
    status, _headers, raw = raw_aws_call(aws, service, FORM, b"%%%garbage")

    assert status == 400
    assert b"<Code>MissingAction</Code>" in raw
    assert aws.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_unknown_ec2_action_is_invalid_action_in_ec2_xml(aws):
    status, _headers, raw = raw_aws_call(aws, "ec2", FORM, b"Action=RebootEverything&Version=2016-11-15")

    assert status == 400
    assert raw.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidAction</Code>'
    )


def test_unknown_json_target_is_unknown_operation(aws):
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.DropEverything"}

    status, _headers, raw = raw_aws_call(aws, "dynamodb", headers, b"{}")

    assert status == 400
    assert json.loads(raw)["__type"] == "UnknownOperationException"
    assert aws.client("dynamodb").list_tables()["ResponseMetadata"]["HTTPStatusCode"] == 200
