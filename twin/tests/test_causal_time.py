"""Twin time is causal: the clock's consumers act on a due time only once every producer of earlier events has
produced them (ledger: "Twin time is causal"), so a slow machine cannot let a later event overtake an earlier one."""

from __future__ import annotations

import threading
import time

from emulator.clock import ScaledClock
from emulator.sumo.scheduler import PASS_INTERVAL_SECONDS, MinuteScheduler

START = 1_800_000_000.0  # a minute boundary


def test_with_no_producer_time_is_settled_through_now() -> None:
    clock = ScaledClock(speed=1.0, start=START)
    assert abs(clock.settled_through() - clock.now()) < 1


def test_a_producer_holds_settled_time_back_until_it_catches_up_and_lets_go_when_removed() -> None:
    clock = ScaledClock(speed=1.0, start=START)
    produced_through = START + 10
    clock.hold_back("producer", lambda: produced_through)
    clock.advance(3600)
    assert clock.settled_through() == START + 10
    clock.hold_back("producer", None)
    assert clock.settled_through() >= START + 3600


def test_the_monitor_scheduler_settles_time_only_through_the_minute_after_its_last_finished_pass() -> None:
    clock = ScaledClock(speed=0.001, start=START)
    in_pass, release = threading.Event(), threading.Event()

    def slow_pass(_at: float) -> None:
        in_pass.set()
        release.wait(timeout=30)  # a machine too busy to finish the pass (its webhook deliveries) for a while

    scheduler = MinuteScheduler(clock, slow_pass)
    scheduler.start()
    try:
        assert clock.settled_through() <= START + PASS_INTERVAL_SECONDS
        clock.advance(10 * PASS_INTERVAL_SECONDS)
        assert in_pass.wait(timeout=10)
        # The pass for the latest boundary runs; until it ends, nothing after the last finished minute is settled.
        assert clock.settled_through() <= START + PASS_INTERVAL_SECONDS
        release.set()
        deadline = time.monotonic() + 10
        while clock.settled_through() < START + 10 * PASS_INTERVAL_SECONDS and time.monotonic() < deadline:
            time.sleep(0.01)
        assert clock.settled_through() >= START + 10 * PASS_INTERVAL_SECONDS
    finally:
        release.set()
        scheduler.stop()
    assert clock.settled_through() >= START + 10 * PASS_INTERVAL_SECONDS  # stopped: it holds nothing back
