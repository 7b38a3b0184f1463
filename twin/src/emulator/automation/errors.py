"""The one exception the engine raises to callers: an AWS error code plus a message, rendered by the HTTP front."""

from __future__ import annotations


class AutomationError(Exception):
    """An AWS-shaped error: `code` is the AWS error code (e.g. InvalidDocumentContent), `status` the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def to_wire(self) -> dict[str, str]:
        """The JSON body AWS's awsJson1.1 protocol sends for an error."""
        return {"__type": self.code, "message": self.message}


def invalid_document(message: str) -> AutomationError:
    return AutomationError("InvalidDocumentContent", message)


def invalid_parameters(message: str) -> AutomationError:
    return AutomationError("InvalidAutomationExecutionParametersException", message)


def validation_error(message: str) -> AutomationError:
    return AutomationError("ValidationException", message)
