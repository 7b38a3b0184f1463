"""How a running step waits for SendAutomationSignal, and how a signal reaches it (or is refused)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.automation.errors import AutomationError
from emulator.clock import ScaledClock


class StepCancelledError(Exception):
    """The execution was asked to stop while this step ran."""


class StepTimedOutError(Exception):
    """The step's timeoutSeconds passed on the clock."""


@dataclass(frozen=True)
class Signal:
    signal_type: str
    payload: dict[str, list[str]]
    sender: str


class SignalChannel:
    """One per execution: a step declares which signal types it waits for; deliver() accepts only those."""

    def __init__(self, clock: ScaledClock, cancel_event: threading.Event) -> None:
        self._clock = clock
        self._cancel_event = cancel_event
        self._lock = threading.Lock()
        self._accepted: frozenset[str] = frozenset()
        self._pending: list[Signal] = []
        self._arrived = threading.Event()

    def deliver(self, signal: Signal) -> None:
        with self._lock:
            if signal.signal_type not in self._accepted:
                expected = sorted(self._accepted) or "no signal"
                raise AutomationError(
                    "InvalidAutomationSignalException",
                    f"The execution is not waiting for signal {signal.signal_type}; it currently accepts {expected}",
                )
            self._pending.append(signal)
            self._arrived.set()

    def wake(self) -> None:
        """Wake a waiting step so it notices cancellation."""
        self._arrived.set()

    def wait(
        self, accepted: frozenset[str], deadline: float | None, on_waiting: Callable[[bool], None] | None = None
    ) -> Signal:
        """Block on the clock until an accepted signal arrives; raises on cancel or when `deadline` passes."""
        with self._lock:
            self._accepted = accepted
        if on_waiting:
            on_waiting(True)
        try:
            while True:
                if self._cancel_event.is_set():
                    raise StepCancelledError()
                with self._lock:
                    if self._pending:
                        return self._pending.pop(0)
                    self._arrived.clear()
                remaining = None if deadline is None else deadline - self._clock.now()
                if remaining is not None and remaining <= 0:
                    raise StepTimedOutError()
                self._clock.wait_for(self._arrived, 3600.0 if remaining is None else remaining)
        finally:
            # Signals stay accepted until the step ends (reset), so a second approver arriving while the first
            # approval is being recorded is not lost.
            if on_waiting:
                on_waiting(False)

    def reset(self) -> None:
        """Stop accepting signals and drop any not consumed; called when a step attempt ends."""
        with self._lock:
            self._accepted = frozenset()
            self._pending.clear()


def payload_comment(payload: dict[str, Any] | None) -> str:
    comments = (payload or {}).get("Comment") or []
    return " ".join(str(item) for item in comments)
