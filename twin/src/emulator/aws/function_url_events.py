"""The Function URL wire format: an HTTP request as a payload-2.0 event, and a handler's result as an HTTP response.

Follows the Lambda developer guide (urls-invocation): header names lower-cased, repeated headers comma-joined,
textual bodies passed as text and anything else base64-encoded, and a result without `statusCode` answered as
200 application/json.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

TEXT_CONTENT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/yaml",
)


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _is_textual(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith(TEXT_CONTENT_TYPES) or media_type.endswith("+json")


def build_event(request: HttpRequest, url_id: str, region: str, epoch_seconds: float) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[lowered] = f"{headers[lowered]},{value}" if lowered in headers else value

    query: dict[str, str] = {}
    for key, value in parse_qsl(request.query_string, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value

    body: str | None = None
    is_base64 = False
    if request.body:
        if _is_textual(headers.get("content-type", "")):
            try:
                body = request.body.decode("utf-8")
            except UnicodeDecodeError:
                body, is_base64 = base64.b64encode(request.body).decode("ascii"), True
        else:
            body, is_base64 = base64.b64encode(request.body).decode("ascii"), True

    domain = f"{url_id}.lambda-url.{region}.on.aws"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.path or "/",
        "rawQueryString": request.query_string,
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id,
            "domainName": domain,
            "domainPrefix": url_id,
            "http": {
                "method": request.method,
                "path": request.path or "/",
                "protocol": "HTTP/1.1",
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_seconds)),
            "timeEpoch": int(epoch_seconds * 1000),
        },
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if body is not None:
        event["body"] = body
    return event


def build_response(result: Any) -> HttpResponse:
    """Map a handler's return value onto HTTP as Lambda does for BUFFERED invoke mode."""
    if not (isinstance(result, dict) and "statusCode" in result):
        return HttpResponse(200, [("Content-Type", "application/json")], json.dumps(result).encode())
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return bad_gateway()
    headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
    headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif result.get("isBase64Encoded"):
        body = base64.b64decode(str(raw_body))
    else:
        body = str(raw_body).encode("utf-8")
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, headers, body)


def bad_gateway() -> HttpResponse:
    """What a Function URL answers when the function fails, times out or returns something unusable."""
    return HttpResponse(502, [("Content-Type", "application/json")], b'{"Message":"Internal Server Error"}')


def forbidden() -> HttpResponse:
    return HttpResponse(403, [("Content-Type", "application/json")], b'{"Message":"Forbidden"}')


def not_found() -> HttpResponse:
    return HttpResponse(404, [("Content-Type", "application/json")], b'{"Message":null}')
