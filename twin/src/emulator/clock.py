"""One clock for the whole twin, so waits in runbooks, EC2 transitions and monitor schedules can be sped up together.

Virtual time starts at the real time and runs `speed` times faster than the wall clock. A person watching the
twin uses speed 1 and sees real waits; tests use a large speed so a ten-minute wait passes in well under a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """What every part of the twin needs from time."""

    def now(self) -> float:
        """Virtual seconds since the epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for `seconds` of virtual time."""
        ...


@dataclass(frozen=True)
class ClockReading:
    """The clock at one instant of the machine's monotonic clock: enough for another process on this machine (a
    Lambda worker) to run the twin's time on by itself, as `now + (time.monotonic() - monotonic) x speed`."""

    now: float
    speed: float
    monotonic: float


class ScaledClock:
    """Virtual time = the moment it was rebased + real time elapsed since then x speed, plus any jumps."""

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed!r}")
        self._lock = threading.Lock()
        self._speed = float(speed)
        self._virtual_origin = time.time() if start is None else float(start)
        self._real_origin = time.monotonic()
        # Sleepers wake early when the clock is sped up or jumps ahead.
        self._changed = threading.Condition(self._lock)
        self._producers: dict[str, Callable[[], float]] = {}

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        with self._lock:
            return self._now_locked()

    def _now_locked(self, real: float | None = None) -> float:
        real = time.monotonic() if real is None else real
        return self._virtual_origin + (real - self._real_origin) * self._speed

    def reading(self) -> ClockReading:
        """Now, the speed and the monotonic instant they hold for, read together, so no speed change falls between."""
        with self._lock:
            real = time.monotonic()
            return ClockReading(now=self._now_locked(real), speed=self._speed, monotonic=real)

    def hold_back(self, name: str, settled_through: Callable[[], float] | None) -> None:
        """Register (or, with None, remove) a producer of events at twin times: `settled_through()` is the twin time
        before which it has nothing left to produce. Consumers that act on due times (the scheduler) act only on
        times before every producer's, so an event is never overtaken by a later one because the machine was slow
        to produce the earlier (docs/twin-fidelity.md, "Twin time is causal")."""
        with self._lock:
            if settled_through is None:
                self._producers.pop(name, None)
            else:
                self._producers[name] = settled_through

    def settled_through(self) -> float:
        """The twin time before which every registered producer has produced all it will: now, when none lags."""
        with self._lock:
            producers = list(self._producers.values())
        return min([self.now(), *(settled() for settled in producers)])

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed!r}")
        with self._lock:
            self._virtual_origin = self._now_locked()
            self._real_origin = time.monotonic()
            self._speed = float(speed)
            self._changed.notify_all()

    def advance(self, seconds: float) -> None:
        """Jump virtual time forward; sleepers whose deadline has passed wake at once."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got {seconds!r}")
        with self._lock:
            self._virtual_origin += seconds
            self._changed.notify_all()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._lock:
            deadline = self._now_locked() + seconds
            while True:
                remaining_virtual = deadline - self._now_locked()
                if remaining_virtual <= 0:
                    return
                self._changed.wait(timeout=remaining_virtual / self._speed)

    def wait_for(self, event: threading.Event, seconds: float) -> bool:
        """Wait for `event` at most `seconds` of virtual time; True if it was set."""
        deadline = self.now() + seconds
        while not event.is_set():
            remaining_virtual = deadline - self.now()
            if remaining_virtual <= 0:
                return event.is_set()
            # Poll in short real slices so a speed change or a jump is noticed promptly.
            event.wait(timeout=min(remaining_virtual / self._speed, 0.05))
        return True
