"""What an incoming AWS request is (service, operation, protocol) and how AWS renders an error in each protocol.

The service comes from the SigV4 credential scope, the operation from X-Amz-Target (JSON protocols), the Action
form field (query and EC2 protocols) or, for REST protocols, from the botocore model's request URIs.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import botocore.session

StartResponse = Callable[..., Any]
# An HTTP answer as the front builds it: (status, headers, body).
Reply = tuple[int, list[tuple[str, str]], bytes]

# How each protocol family carries its operation name; decides the shape of an error.
JSON_STYLE = "json"
QUERY_STYLE = "query"
REST_STYLE = "rest"

_CREDENTIAL_SCOPE = re.compile(
    r"Credential=(?P<access_key_id>[^/,\s]+)/\d{8}/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)/aws4_request"
)
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# Bodies larger than this are never form or JSON API calls we need to inspect (S3 uploads, Lambda zips).
_MAX_INSPECTED_BODY = 8 * 1024 * 1024


@dataclass(frozen=True)
class AwsRequest:
    """The parts of a request the front routes on; `body` is read once and handed on to moto."""

    method: str
    path: str
    service: str | None
    region: str | None
    operation: str | None
    style: str
    body: bytes
    target: str | None = None
    # The access key the request was signed with (SigV4 Authorization header), or None.
    access_key_id: str | None = None

    @property
    def is_ec2(self) -> bool:
        return self.service == "ec2"


def read_request(environ: dict[str, Any]) -> AwsRequest:
    """Classify the request and make its body readable again for whoever handles it next."""
    body = _read_body(environ)
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    scope = _CREDENTIAL_SCOPE.search(authorization)
    service = scope.group("service").lower() if scope else None
    region = scope.group("region") if scope else None
    signer = scope.group("access_key_id") if scope else None
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "/")
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        operation = target.rsplit(".", 1)[-1]
        return AwsRequest(method, path, service, region, operation, JSON_STYLE, body, target, access_key_id=signer)
    action = _action_of(environ, body)
    if action:
        return AwsRequest(method, path, service, region, action, QUERY_STYLE, body, access_key_id=signer)
    operation = rest_operation(service, method, path) if service else None
    return AwsRequest(method, path, service, region, operation, REST_STYLE, body, access_key_id=signer)


def _read_body(environ: dict[str, Any]) -> bytes:
    raw_length = environ.get("CONTENT_LENGTH") or ""
    if not raw_length.isdigit() or int(raw_length) == 0 or int(raw_length) > _MAX_INSPECTED_BODY:
        return b""
    body = environ["wsgi.input"].read(int(raw_length))
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _action_of(environ: dict[str, Any], body: bytes) -> str | None:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if environ.get("CONTENT_TYPE", "").startswith(_FORM_CONTENT_TYPE) and body:
        form = parse_qs(body.decode("utf-8", errors="replace"))
        if "Action" in form:
            return form["Action"][0]
    return None


@functools.cache
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern[str], int, str], ...]:
    """(method, path pattern, literal length, operation) for a REST service's operations, from botocore's model."""
    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # an unknown signing name simply has no REST routes
        return ()
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http.get("requestUri", "/").split("?", 1)[0]
        literal_length = len(re.sub(r"\{[^}]+\}", "", uri))
        pattern = re.escape(uri)
        pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", pattern)
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        routes.append((http.get("method", "POST").upper(), re.compile(f"^{pattern}/?$"), literal_length, name))
    # The most literal URI wins, as AWS routes /functions/{name}/url before /functions/{name}/{anything}.
    return tuple(sorted(routes, key=lambda route: -route[2]))


def rest_operation(service: str, method: str, path: str) -> str | None:
    for route_method, pattern, _length, name in _rest_routes(service):
        if route_method == method and pattern.match(path):
            return name
    return None


@functools.cache
def _service_model(service: str) -> Any:
    """botocore's model for a signing name that is also a service name (all the twin's usual ones), else None."""
    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # a signing name that names no service model: leave the request to moto
        return None
    return model if model.signing_name == service else None


def protocol_problem(request: AwsRequest) -> tuple[AwsRequest, str, str] | None:
    """(request as its service speaks, error code, message) when the request cannot be an API call, else None.

    Catches what moto would answer with a 404 page or a 500: no Action for a query service, an Action or
    X-Amz-Target that names no operation, no X-Amz-Target for a JSON service.
    """
    model = _service_model(request.service) if request.service else None
    if model is None:
        return None
    protocol = model.metadata.get("protocol")
    if protocol in ("query", "ec2"):
        as_query = dataclasses.replace(request, style=QUERY_STYLE)
        if request.style == REST_STYLE:
            return as_query, "MissingAction", "The request must contain the parameter Action."
        if request.style == QUERY_STYLE and request.operation not in model.operation_names:
            return as_query, "InvalidAction", _invalid_action(request)
    if protocol == "json":
        as_json = dataclasses.replace(request, style=JSON_STYLE)
        if request.style == REST_STYLE:
            return as_json, "UnknownOperationException", "The request must name its operation in X-Amz-Target."
        unknown = request.operation not in model.operation_names
        if request.style == QUERY_STYLE and "awsQueryCompatible" in model.metadata:
            # SQS still takes the query protocol from older SDKs.
            return (request, "InvalidAction", _invalid_action(request)) if unknown else None
        if request.style == QUERY_STYLE:
            return as_json, "UnknownOperationException", "The request must name its operation in X-Amz-Target."
        # Another API signed with the same name (DynamoDB Streams signs as dynamodb) is left to moto.
        same_api = (request.target or "").rsplit(".", 1)[0] == model.metadata.get("targetPrefix")
        if same_api and unknown:
            return (
                as_json,
                "UnknownOperationException",
                f"{request.operation} is not an operation of {request.service}.",
            )
    return None


def _invalid_action(request: AwsRequest) -> str:
    return f"The action {request.operation} is not valid for this web service."


def new_request_id() -> str:
    return str(uuid.uuid4())


def error_response(request: AwsRequest, code: str, message: str, http_status: int = 400) -> Reply:
    """An AWS error in the protocol the request came in, so botocore raises ClientError with `code`."""
    request_id = new_request_id()
    if request.style == QUERY_STYLE and request.is_ec2:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"</Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return http_status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()
    if request.style == QUERY_STYLE or (request.style == REST_STYLE and request.service == "s3"):
        fault_type = "Sender" if http_status < 500 else "Receiver"
        error = f"<Error><Type>{fault_type}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        if request.service == "s3":
            body = f'<?xml version="1.0" encoding="UTF-8"?>\n{error}<RequestId>{request_id}</RequestId></Error>'
        else:
            body = f"<ErrorResponse>{error}</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        return http_status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()
    return json_error(code, message, http_status, request_id)


def json_error(code: str, message: str, http_status: int = 400, request_id: str | None = None) -> Reply:
    """The AWS JSON protocol error (`__type` plus the x-amzn-ErrorType header that REST JSON parsers read)."""
    request_id = request_id or new_request_id()
    headers = [
        ("Content-Type", "application/x-amz-json-1.1"),
        ("x-amzn-ErrorType", code),
        ("x-amzn-RequestId", request_id),
    ]
    return http_status, headers, json.dumps({"__type": code, "message": message}).encode()


def json_body(payload: Any) -> Reply:
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", new_request_id())]
    return 200, headers, json.dumps(payload).encode()


def respond(start_response: StartResponse, reply: Reply) -> Iterable[bytes]:
    status, headers, body = reply
    start_response(f"{status} {_REASONS.get(status, 'Status')}", [*headers, ("Content-Length", str(len(body)))])
    return [body]


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
