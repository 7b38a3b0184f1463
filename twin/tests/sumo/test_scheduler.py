"""The background scheduler follows the shared clock: a pass every virtual minute, and after a jump the latest one.
Webhook failures are recorded, retried a bounded number of times, and not repeated."""

from __future__ import annotations

import threading

from emulator.clock import ScaledClock
from emulator.sumo.scheduler import MinuteScheduler
from emulator.sumo.webhook import MAX_ATTEMPTS
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


def test_failed_delivery_is_recorded_and_retried_a_bounded_number_of_times(quick_sumo, receiver):
    receiver.status = 503
    setup_monitor(quick_sumo, receiver)
    quick_sumo.ingest("\n".join(slow_call() for _ in range(6)))
    report = quick_sumo.evaluate()
    attempts = report["deliveries"]
    assert [attempt["attempt"] for attempt in attempts] == list(range(1, MAX_ATTEMPTS + 1))
    assert all(attempt["statusCode"] == 503 and attempt["ok"] is False for attempt in attempts)
    assert attempts[0]["responseExcerpt"] == "received"


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
    assert len(attempts) == MAX_ATTEMPTS
    assert attempts[-1]["statusCode"] is None and "ConnectionError" in attempts[-1]["error"]


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
