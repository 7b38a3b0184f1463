"""The demo's waits: a budget of twin time per hop, a real-time ceiling, and failures that say which ran out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from demo import acts
from demo.acts import ActFailedError, wait_for_hop


@pytest.fixture(autouse=True)
def quick_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(acts, "POLL_SECONDS", 0.001)


@dataclass
class SteppedTwin:
    """A twin clock that moves by the given steps, one per reading, then stays at its last value."""

    steps: list[float]
    speed_now: float = 120.0
    now_value: float = 1_000_000.0
    readings: int = 0

    def now(self) -> float:
        if self.readings < len(self.steps):
            self.now_value += self.steps[self.readings]
        self.readings += 1
        return self.now_value

    def speed(self) -> float:
        return self.speed_now


@dataclass
class FakeStage:
    twin: Any
    watching: Any = None
    calls: list[str] = field(default_factory=list)


def test_a_hop_that_happens_returns_its_twin_and_real_time():
    stage = FakeStage(SteppedTwin(steps=[0, 30, 30, 30]))
    looks = iter([False, False, True])

    took = wait_for_hop(stage, lambda: next(looks), "the thing", twin_budget_seconds=600)

    assert took.twin_seconds == pytest.approx(90)
    assert took.real_seconds >= 0


def test_a_hop_missing_past_its_twin_budget_is_named_with_the_budget():
    stage = FakeStage(SteppedTwin(steps=[0] + [20] * 100))

    with pytest.raises(ActFailedError, match=r"^the alert to resolve did not happen within 10 min of twin time$"):
        wait_for_hop(stage, lambda: False, "the alert to resolve", twin_budget_seconds=600)


def test_a_starved_demo_is_told_apart_from_a_broken_chain():
    # Between two looks the twin clock ran three hours: the demo, not the chain, fell behind.
    stage = FakeStage(SteppedTwin(steps=[0, 10, 3 * 3600]))

    with pytest.raises(ActFailedError, match=r"the machine was too slow: the twin clock ran 10800 s ahead"):
        wait_for_hop(stage, lambda: False, "the alert to resolve", twin_budget_seconds=1200)


def test_a_twin_clock_that_hardly_moves_hits_the_real_ceiling_and_says_so():
    stage = FakeStage(SteppedTwin(steps=[0] + [0.001] * 10_000))

    with pytest.raises(ActFailedError, match=r"^the machine was too slow: waiting for the monitor to fire Critical"):
        wait_for_hop(stage, lambda: False, "the monitor to fire Critical", 1200, real_ceiling_seconds=0.5)


def test_a_hop_seen_late_by_the_watchers_still_counts():
    happened = []

    class Watching:
        def await_fresh_round(self, timeout_seconds: float) -> bool:
            happened.append(True)  # the fresh round sees what happened in time
            return True

    stage = FakeStage(SteppedTwin(steps=[0, 700]), watching=Watching())

    took = wait_for_hop(stage, lambda: bool(happened), "the notification", twin_budget_seconds=600)

    assert took.twin_seconds >= 600
