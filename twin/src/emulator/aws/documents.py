"""The automation engine's document source: SSM documents as stored by moto's SSM backend in this process."""

from __future__ import annotations

from typing import Any

from moto.backends import get_backend
from moto.ssm.exceptions import InvalidDocument

from emulator.automation.errors import AutomationError

DEFAULT_VERSION = "$DEFAULT"
LATEST_VERSION = "$LATEST"


class MotoDocumentSource:
    """Looks documents up by name (or ARN) and version: $DEFAULT, $LATEST or a version number."""

    def __init__(self, account_id: str, region: str) -> None:
        self._account_id = account_id
        self._region = region

    def _backend(self) -> Any:
        return get_backend("ssm")[self._account_id][self._region]

    def get_document(self, name: str, version: str | None) -> tuple[str, str, str]:
        """(content, format, resolved version) of the document, or AutomationError naming what was not found."""
        document_name = name.split(":document/", 1)[-1] if name.startswith("arn:") else name
        requested = version or DEFAULT_VERSION
        backend = self._backend()
        try:
            default = backend.get_document(document_name, None, None, None)
        except InvalidDocument:
            raise AutomationError(
                "AutomationDefinitionNotFoundException", f"No automation document found with the name {name!r}."
            ) from None
        if requested == DEFAULT_VERSION:
            found = default
        else:
            if requested != LATEST_VERSION and not requested.isdigit():
                raise AutomationError(
                    "AutomationDefinitionVersionNotFoundException",
                    f"Document version {requested!r} is not valid; expected $DEFAULT, $LATEST or a version number.",
                )
            try:
                found = backend.get_document(document_name, requested, None, None)
            except InvalidDocument:
                raise AutomationError(
                    "AutomationDefinitionVersionNotFoundException",
                    f"Document {name!r} has no version {requested!r}.",
                ) from None
        if found.get("DocumentType") not in (None, "Automation"):
            raise AutomationError(
                "InvalidAutomationExecutionParametersException",
                f"Document {name!r} is of type {found['DocumentType']}, not Automation.",
            )
        return found["Content"], found["DocumentFormat"], found["DocumentVersion"]

    def target_type(self, name: str, version: str) -> str | None:
        """The TargetType moto stored with that version (CreateDocument/UpdateDocument), None if it has none."""
        document_name = name.split(":document/", 1)[-1] if name.startswith("arn:") else name
        try:
            return self._backend().describe_document(document_name, version, None).get("TargetType")
        except InvalidDocument:
            return None

    def document_type(self, name: str) -> str | None:
        """The type of an existing document (None if there is none), to know whether an update needs validating."""
        try:
            return self._backend().get_document(name, None, None, None).get("DocumentType")
        except InvalidDocument:
            return None
