"""Runs an evaluation pass at every minute boundary of virtual time, following the shared clock.

While it runs, the scheduler tells the clock that twin time is settled only up to the end of the minute it last
evaluated (its deliveries included: a pass delivers its webhooks before it ends), so the AWS side's scheduler never
fires a schedule due after a Sumo event that a slow machine has not produced yet.

Jump choice: when the clock jumps (or runs so fast that several boundaries pass during one pass), only the latest
due boundary is evaluated and the skipped ones are logged; evaluating each missed minute after a one-day jump would
replay 1,440 passes over the same logs to no purpose.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable

from emulator.clock import ScaledClock

logger = logging.getLogger("emulator.sumo")

PASS_INTERVAL_SECONDS = 60.0


class MinuteScheduler:
    def __init__(self, clock: ScaledClock, run_pass: Callable[[float], object]) -> None:
        self._clock = clock
        self._run_pass = run_pass
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes_run = 0
        self.boundaries_skipped = 0
        self._evaluated_through = 0.0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        # Taken before the thread starts, so a jump made right after start() counts as a jump.
        first_boundary = math.floor(self._clock.now() / PASS_INTERVAL_SECONDS) * PASS_INTERVAL_SECONDS
        self._evaluated_through = first_boundary
        if isinstance(self._clock, ScaledClock):
            self._clock.hold_back("sumo monitors", lambda: self._evaluated_through + PASS_INTERVAL_SECONDS)
        self._thread = threading.Thread(
            target=self._loop, args=(first_boundary,), name="sumo-monitor-scheduler", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if isinstance(self._clock, ScaledClock):
            self._clock.hold_back("sumo monitors", None)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def _loop(self, last_boundary: float) -> None:
        while not self._stop.is_set():
            next_boundary = last_boundary + PASS_INTERVAL_SECONDS
            wait = next_boundary - self._clock.now()
            if wait > 0 and self._clock.wait_for(self._stop, wait):
                return
            due = math.floor(self._clock.now() / PASS_INTERVAL_SECONDS) * PASS_INTERVAL_SECONDS
            skipped = round((due - next_boundary) / PASS_INTERVAL_SECONDS)
            if skipped > 0:
                self.boundaries_skipped += skipped
                logger.info("monitor scheduler: clock moved past %d minute boundaries; evaluating the latest", skipped)
            try:
                self._run_pass(due)
            except Exception:
                logger.exception("monitor scheduler: evaluation pass at %s failed", due)
            self.passes_run += 1
            self._evaluated_through = due
            last_boundary = due
