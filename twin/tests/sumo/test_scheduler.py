"""The background scheduler follows the shared clock: a pass every virtual minute, and after a jump the latest one.
A webhook is sent once: a failure is recorded and never retried (docs/twin-fidelity.md, "Webhook requests")."""

from __future__ import annotations

import threading

import pytest

from emulator.clock import ScaledClock
from emulator.sumo.scheduler import MinuteScheduler
from tests.sumo.bodies import monitor_body, webhook_notification
from tests.sumo.conftest import CLOCK_START
from tests.sumo.helpers import WAIT_SECONDS, deliveries, setup_monitor, slow_call, wait_until


def test_scheduler_fires_on_its_own_and_does_not_repeat(fast_sumo, receiver):
    setup_monitor(fast_sumo, receiver)
    fast_sumo.ingest("\n".join(slow_call() for _ in range(6)))
    assert receiver.wait_for(1)[0]["json"]["type"] == "Critical"
    scheduler = fast_sumo.twin.scheduler
    passes_after_firing = scheduler.passes_run
    assert wait_until(lambda: scheduler.passes_run >= passes_after_firing + 3)
    critical = [d for d in deliveries(fast_sumo) if d["triggerType"] == "Critical"]
    assert len(critical) == 1


def test_scheduler_resolves_when_the_window_moves_on(fast_sumo, receiver):
    setup_monitor(fast_sumo, receiver)
    fast_sumo.ingest("\n".join(slow_call() for _ in range(6)))
    received = receiver.wait_for(2)
    assert [entry["json"]["type"] for entry in received] == ["Critical", "ResolvedCritical"]


@pytest.mark.parametrize("status", [503, 429, 500])
def test_a_failed_delivery_is_recorded_once_and_never_retried(quick_sumo, receiver, status):
    receiver.status = status
    setup_monitor(quick_sumo, receiver)
    quick_sumo.ingest("\n".join(slow_call() for _ in range(6)))
    attempts = quick_sumo.evaluate()["deliveries"]
    assert [(attempt["attempt"], attempt["statusCode"], attempt["ok"]) for attempt in attempts] == [(1, status, False)]
    assert attempts[0]["responseExcerpt"] == "received"
    quick_sumo.evaluate()
    assert len(receiver.wait_for(1)) == 1
    assert len([d for d in deliveries(quick_sumo) if d["triggerType"] == "Critical"]) == 1


def test_client_errors_are_not_retried(sumo, receiver):
    receiver.status = 400
    setup_monitor(sumo, receiver)
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    attempts = sumo.evaluate()["deliveries"]
    assert [(attempt["attempt"], attempt["statusCode"]) for attempt in attempts] == [(1, 400)]


def test_unreachable_webhook_is_recorded_with_the_error(quick_sumo):
    connection = (
        quick_sumo.sdk()
        .post(
            "/connections",
            {
                "type": "WebhookDefinition",
                "name": "nowhere",
                "url": "http://127.0.0.1:9/closed",
                "defaultPayload": '{"t": "{{TriggerType}}"}',
            },
        )
        .json()
    )
    root = quick_sumo.sdk().get("/monitors/root").json()["id"]
    body = monitor_body(notifications=[webhook_notification(connection["id"], ["Critical"])])
    quick_sumo.sdk().post(f"/monitors?parentId={root}", body)
    quick_sumo.ingest("\n".join(slow_call() for _ in range(6)))
    attempts = quick_sumo.evaluate()["deliveries"]
    assert len(attempts) == 1
    assert attempts[0]["statusCode"] is None and "ConnectionError" in attempts[0]["error"]


def test_after_a_jump_only_the_latest_minute_is_evaluated():
    clock = ScaledClock(speed=1.0, start=CLOCK_START + 30)
    evaluated: list[float] = []
    done = threading.Event()

    def record(at: float) -> None:
        evaluated.append(at)
        done.set()

    scheduler = MinuteScheduler(clock, record)
    scheduler.start()
    try:
        clock.advance(3600)
        assert done.wait(WAIT_SECONDS)
    finally:
        scheduler.stop()
    assert evaluated[0] == CLOCK_START + 3600
    assert scheduler.boundaries_skipped == 59
