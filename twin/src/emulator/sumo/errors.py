"""Sumo Logic API errors as the wire shows them: the ErrorResponse shape for 4xx validation and lookups,
and the older flat shape for 401 and 429."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

_ERROR_ID_ALPHABET = string.ascii_uppercase + string.digits


def new_error_id() -> str:
    """A request error id like the real one: three groups of five upper-case alphanumerics."""
    return "-".join("".join(secrets.choice(_ERROR_ID_ALPHABET) for _ in range(5)) for _ in range(3))


@dataclass
class ErrorDetail:
    code: str
    message: str
    detail: str | None = None

    def to_json(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        return body


@dataclass
class SumoApiError(Exception):
    """An API call that fails; `flat` selects the legacy `{status, id, code, message}` body."""

    status: int
    errors: list[ErrorDetail] = field(default_factory=list)
    flat: bool = False

    @classmethod
    def single(cls, status: int, code: str, message: str, detail: str | None = None) -> SumoApiError:
        return cls(status, [ErrorDetail(code, message, detail)])

    def __str__(self) -> str:
        return "; ".join(f"{error.code}: {error.detail or error.message}" for error in self.errors)

    def to_json(self) -> dict[str, Any]:
        if self.flat:
            first = self.errors[0]
            return {"status": self.status, "id": new_error_id(), "code": first.code, "message": first.message}
        return {"id": new_error_id(), "errors": [error.to_json() for error in self.errors]}


def invalid_argument(detail: str) -> SumoApiError:
    """400 service.argument.invalid naming the wrong field, as the real API words it."""
    return SumoApiError.single(
        400,
        "service.argument.invalid",
        f"The request body you've provided is invalid. [Invalid field: {detail}]",
        detail,
    )


def invalid_arguments(details: list[str]) -> SumoApiError:
    return SumoApiError(
        400,
        [
            ErrorDetail(
                "service.argument.invalid",
                f"The request body you've provided is invalid. [Invalid field: {detail}]",
                detail,
            )
            for detail in details
        ],
    )


def unauthorized() -> SumoApiError:
    return SumoApiError(401, [ErrorDetail("unauthorized", "Credential could not be verified.")], flat=True)


def rate_limited() -> SumoApiError:
    return SumoApiError(
        429, [ErrorDetail("rate.limit.exceeded", "API rate limit for this user has been exceeded.")], flat=True
    )
