"""Named durations in the twin's virtual seconds, changed through the control API (/_twin/<service>/timings)."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar, Generic, Self, TypeVar

from emulator.clock import Clock


class InvalidTiming(ValueError):
    """A wrong timing change; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class VirtualTimings:
    """Base of a frozen set of durations; each field is a number of virtual seconds from 0 to MAX_SECONDS."""

    MAX_SECONDS: ClassVar[float] = 86_400.0

    def updated(self, changes: Any) -> Self:
        """A copy with `changes` applied; raises InvalidTiming naming the field that is wrong."""
        names = self.field_names()
        if not isinstance(changes, dict) or not changes:
            raise InvalidTiming("body", f"expected a JSON object with some of {names}, got {changes!r:.80}")
        for name, value in changes.items():
            if name not in names:
                raise InvalidTiming(name, f"unknown timing {name!r}; expected one of {names}")
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if not is_number or not 0 <= value <= self.MAX_SECONDS:
                expected = f"a number of seconds from 0 to {self.MAX_SECONDS:.0f}"
                raise InvalidTiming(name, f"{name} must be {expected}, got {value!r}")
        return replace(self, **{name: float(value) for name, value in changes.items()})

    @classmethod
    def field_names(cls) -> list[str]:
        return [field.name for field in fields(cls)]

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


TimingsT = TypeVar("TimingsT", bound=VirtualTimings)


class TimedModel(Generic[TimingsT]):
    """Base of what follows a service's timings on the twin's clock: the clock, a lock and the current timings."""

    def __init__(self, clock: Clock, timings: TimingsT, lock: threading.Lock | threading.RLock | None = None) -> None:
        self._clock = clock
        self._lock = lock or threading.Lock()
        self.timings = timings

    def set_timings(self, changes: Any) -> TimingsT:
        with self._lock:
            self.timings = self.timings.updated(changes)
            return self.timings
