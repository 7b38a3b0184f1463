"""Function URL responses: a status code and a small JSON body, nothing else."""

from __future__ import annotations

import json
from typing import Any


def json_response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A payload-format-2.0 response; the body never carries a secret or a stack trace."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": json.dumps(body, separators=(",", ":"), sort_keys=True),
        "isBase64Encoded": False,
    }


def error_response(status: int, error: str, **detail: Any) -> dict[str, Any]:
    return json_response(status, {"error": error, **detail})
