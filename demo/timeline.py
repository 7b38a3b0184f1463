"""The demo's narration: one line per event, stamped with real elapsed time and the twin's (sped-up) clock."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO


@dataclass
class Event:
    elapsed_seconds: float
    twin_time: str
    source: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


class Timeline:
    def __init__(self, virtual_now: Callable[[], float], out: TextIO = sys.stdout) -> None:
        self._virtual_now = virtual_now
        self._out = out
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self.events: list[Event] = []

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def emit(self, source: str, text: str, **data: Any) -> Event:
        twin_time = datetime.fromtimestamp(self._virtual_now(), tz=UTC).strftime("%H:%M:%S")
        event = Event(time.monotonic() - self._started, twin_time, source, text, data)
        with self._lock:
            self.events.append(event)
            self._out.write(f"[{event.elapsed_seconds:6.1f}s | twin {twin_time}] {source:<12} {text}\n")
            self._out.flush()
        return event

    def block(self, source: str, title: str, document: Any) -> None:
        """An event followed by an indented JSON document (a notification, a payload)."""
        self.emit(source, title, document=document)
        with self._lock:
            for line in json.dumps(document, indent=2, sort_keys=True).splitlines():
                self._out.write(f"{'':>35}{line}\n")
            self._out.flush()

    def banner(self, text: str) -> None:
        with self._lock:
            self._out.write(f"\n=== {text} ===\n")
            self._out.flush()

    def of(self, source: str) -> list[Event]:
        with self._lock:
            return [event for event in self.events if event.source == source]
