"""Which fields exist at each point of a pipeline, so a misspelt field is a compile error, as in Sumo."""

from __future__ import annotations

from emulator.sumo.query.errors import QueryError
from emulator.sumo.query.records import METADATA_FIELDS

BUILTIN_FIELDS: tuple[str, ...] = ("_raw", "_messagetime", *METADATA_FIELDS)


class FieldSet:
    """The fields defined so far; names resolve case-insensitively (Sumo field names are not case-sensitive)."""

    def __init__(self, names: tuple[str, ...] = BUILTIN_FIELDS) -> None:
        self._by_lower: dict[str, str] = {}
        # After `json auto` the set of fields depends on the data, so unknown names are let through.
        self.open = False
        for name in names:
            self.declare(name)

    def declare(self, name: str) -> str:
        """Add `name` (or return the spelling it already has) and return the spelling to use."""
        return self._by_lower.setdefault(name.lower(), name)

    def resolve(self, name: str, where: str) -> str:
        """The declared spelling of `name`; QueryError when no earlier operator defines it."""
        known = self._by_lower.get(name.lower())
        if known is not None:
            return known
        if self.open:
            return name
        raise QueryError(f"field `{name}` in `{where}` is not defined by the search or an earlier operator")

    def replace(self, names: list[str]) -> None:
        """After an aggregate only its output fields exist."""
        self._by_lower = {}
        self.open = False
        for name in names:
            self.declare(name)

    def discard(self, name: str) -> None:
        self._by_lower.pop(name.lower(), None)

    def names(self) -> list[str]:
        return list(self._by_lower.values())
