"""Where the engine reads runbooks from: a small protocol, and an in-memory store with versions for library use."""

from __future__ import annotations

import threading
from typing import Protocol

from emulator.automation.document import validate_document
from emulator.automation.errors import AutomationError
from emulator.automation.targets import check_target_type


class DocumentSource(Protocol):
    """Finds a document's content by name and version (None, $DEFAULT, $LATEST or a version number)."""

    def get_document(self, name: str, version: str | None) -> tuple[str, str, str]:
        """(content, document format "YAML" or "JSON", resolved version number as a string)."""
        ...

    def target_type(self, name: str, version: str) -> str | None:
        """The TargetType that version was created with (CreateDocument/UpdateDocument), None if it has none."""
        ...


class InMemoryDocumentSource:
    """Documents kept in memory; each put adds a version; the first version is the default until set otherwise."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, list[tuple[str, str, str | None]]] = {}
        self._default_version: dict[str, int] = {}

    def put_document(
        self,
        name: str,
        content: str,
        document_format: str = "YAML",
        validate: bool = True,
        target_type: str | None = None,
    ) -> str:
        """Store a new version of `name` and return its version number; validates unless told not to."""
        if validate:
            validate_document(content, document_format)
            check_target_type(target_type)
        with self._lock:
            versions = self._versions.setdefault(name, [])
            versions.append((content, document_format.upper(), target_type))
            self._default_version.setdefault(name, 1)
            return str(len(versions))

    def set_default_version(self, name: str, version: str) -> None:
        with self._lock:
            versions = self._versions_of(name)
            self._default_version[name] = self._version_index(name, version, versions) + 1

    def get_document(self, name: str, version: str | None) -> tuple[str, str, str]:
        with self._lock:
            versions = self._versions_of(name)
            if version in (None, "", "$DEFAULT"):
                number = self._default_version[name]
            elif version == "$LATEST":
                number = len(versions)
            else:
                number = self._version_index(name, version, versions) + 1
            content, document_format, _target_type = versions[number - 1]
            return content, document_format, str(number)

    def target_type(self, name: str, version: str) -> str | None:
        with self._lock:
            versions = self._versions_of(name)
            return versions[self._version_index(name, version, versions)][2]

    def _versions_of(self, name: str) -> list[tuple[str, str, str | None]]:
        versions = self._versions.get(name)
        if not versions:
            raise AutomationError("AutomationDefinitionNotFoundException", f"Document {name!r} does not exist")
        return versions

    @staticmethod
    def _version_index(name: str, version: str, versions: list[tuple[str, str, str | None]]) -> int:
        if not str(version).isdigit() or not 1 <= int(version) <= len(versions):
            raise AutomationError(
                "AutomationDefinitionVersionNotFoundException",
                f"Document {name!r} has no version {version!r}; versions are 1 to {len(versions)}, $DEFAULT, $LATEST",
            )
        return int(version) - 1
