"""Request classification and error rendering, checked against botocore's own response parsers."""

from __future__ import annotations

import io

import botocore.session
import pytest
from botocore.parsers import create_parser

from emulator.aws.wire import AwsRequest, error_response, read_request, rest_operation

AUTH = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"


def _environ(service: str, body: bytes = b"", path: str = "/", method: str = "POST", **headers: str) -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": AUTH.format(service=service),
    }
    environ.update(headers)
    return environ


def test_query_request_is_classified_by_its_action_and_its_body_stays_readable():
    body = b"Action=RebootInstances&InstanceId.1=i-0123456789abcdef0"
    environ = _environ("ec2", body, CONTENT_TYPE="application/x-www-form-urlencoded; charset=utf-8")

    request = read_request(environ)

    assert (request.service, request.operation, request.style) == ("ec2", "RebootInstances", "query")
    assert environ["wsgi.input"].read() == body


def test_json_request_is_classified_by_its_target():
    environ = _environ("ssm", b"{}", HTTP_X_AMZ_TARGET="AmazonSSM.StartAutomationExecution")

    request = read_request(environ)

    assert (request.service, request.operation, request.style) == ("ssm", "StartAutomationExecution", "json")


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/2015-03-31/functions/", "ListFunctions"),
        ("GET", "/2015-03-31/functions/remediate", "GetFunction"),
        ("GET", "/2021-10-31/functions/remediate/url", "GetFunctionUrlConfig"),
        ("POST", "/2015-03-31/functions/remediate/invocations", "Invoke"),
    ],
)
def test_rest_request_is_classified_by_the_models_request_uri(method, path, operation):
    assert rest_operation("lambda", method, path) == operation


@pytest.mark.parametrize(
    ("service", "style"), [("ec2", "query"), ("sns", "query"), ("iam", "query"), ("ssm", "json"), ("lambda", "rest")]
)
def test_rendered_errors_parse_into_the_code_botocore_expects(service, style):
    request = AwsRequest("POST", "/", service, "us-east-1", "Anything", style, b"")
    status, headers, body = error_response(request, "SomethingWentWrong", "details here", 409)
    model = botocore.session.get_session().get_service_model(service)
    parser = create_parser(model.metadata["protocol"])

    parsed = parser.parse(
        {"status_code": status, "headers": dict(headers), "body": body},
        model.operation_model(model.operation_names[0]).output_shape,
    )

    assert parsed["Error"]["Code"] == "SomethingWentWrong"
    assert parsed["Error"]["Message"] == "details here"
