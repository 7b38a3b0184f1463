"""Read a Function URL event (payload format 2.0) into a request: method, headers by lower-case name, body bytes."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any


class RequestRejected(Exception):
    """The HTTP request is not one this webhook accepts; `status` and `error` become the response."""

    def __init__(self, status: int, error: str, **detail: Any) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail


@dataclass(frozen=True)
class WebhookRequest:
    method: str
    headers: dict[str, str]
    body: bytes
    request_id: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def read_request(event: Any, max_body_bytes: int) -> WebhookRequest:
    """Validate the envelope (method, size); never looks at the body's meaning.

    The Content-Type is not checked: Sumo documents no Content-Type for webhook requests (only an Authorization
    header and up to five custom headers the connection configures), so a JSON body is accepted under any or none,
    and a body that is not JSON is refused later, when it is decoded (docs/twin-fidelity.md, "Webhook requests").
    """
    if not isinstance(event, dict):
        got = type(event).__name__
        raise RequestRejected(400, "bad request", detail=f"expected a Function URL event object, got {got}")
    context = event.get("requestContext") if isinstance(event.get("requestContext"), dict) else {}
    http = context.get("http") if isinstance(context.get("http"), dict) else {}
    method = str(http.get("method", "")).upper()
    request_id = str(context.get("requestId", ""))[:128]
    if method != "POST":
        raise RequestRejected(405, "method not allowed", allowed="POST", got=method[:16])
    headers = _headers(event.get("headers"))
    body = _body(event.get("body"), bool(event.get("isBase64Encoded")), max_body_bytes)
    return WebhookRequest(method, headers, body, request_id)


def _headers(raw: Any) -> dict[str, str]:
    # Function URLs already lower-case names and comma-join duplicates; lower-casing again keeps other hosts honest.
    if not isinstance(raw, dict):
        return {}
    return {str(name).lower(): str(value) for name, value in raw.items()}


def _body(raw: Any, is_base64: bool, max_body_bytes: int) -> bytes:
    if raw is None:
        return b""
    if not isinstance(raw, str):
        raise RequestRejected(400, "bad request", detail="body must be a string")
    # Checked before decoding so an oversized body costs no work; base64 is 4/3 the size of what it carries.
    limit = max_body_bytes * 4 // 3 + 4 if is_base64 else max_body_bytes * 4
    if len(raw) > limit:
        raise RequestRejected(413, "payload too large", limit_bytes=max_body_bytes)
    if is_base64:
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise RequestRejected(400, "bad request", detail="body is not valid base64") from None
    else:
        body = raw.encode("utf-8", errors="surrogatepass")
    if len(body) > max_body_bytes:
        raise RequestRejected(413, "payload too large", limit_bytes=max_body_bytes)
    return body
