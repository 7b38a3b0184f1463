"""The demo's two acts, each waiting for every hop of the chain and failing with the hop that did not happen."""

from __future__ import annotations

import time
from collections.abc import Callable

from demo.stage import Stage
from demo.timeline import Timeline


class ActFailedError(Exception):
    """A hop of the chain did not happen in time."""


def wait_until(condition: Callable[[], bool], what: str, timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise ActFailedError(f"timed out after {timeout_seconds:.0f} s waiting for {what}")


def delivered(timeline: Timeline, trigger_type: str) -> Callable[[], bool]:
    return lambda: any(event.data.get("trigger_type") == trigger_type for event in timeline.of("sumo"))


def notified(stage: Stage, **fields: str) -> Callable[[], bool]:
    assert stage.notifications is not None
    received = stage.notifications.received
    return lambda: any(all(item["message"].get(k) == v for k, v in fields.items()) for item in received)


def wait_virtual(stage: Stage, seconds: float) -> None:
    target = stage.twin.now() + seconds
    while stage.twin.now() < target:
        time.sleep(0.1)


def act_slow_calls(stage: Stage, timeout_seconds: float, on_started: Callable[[], None] | None = None) -> None:
    """Slow /api/data calls -> Critical -> webhook -> runbook reboots -> notification -> the alert resolves."""
    assert stage.service is not None and stage.instance is not None
    stage.timeline.banner("Act 1: /api/data turns slow")
    wait_until(lambda: stage.instance.current == ("running", "ok"), "the instance's status checks", timeout_seconds)
    stage.timeline.emit("service", "normal traffic for 3 minutes of twin time")
    wait_virtual(stage, 180)
    stage.service.degrade()
    stage.timeline.emit("service", "degraded: about a third of /api/data calls now take 3-8 s")
    wait_until(delivered(stage.timeline, "Critical"), "the monitor to fire Critical", timeout_seconds)
    if on_started is not None:
        wait_until(
            lambda: any(e.data.get("decision") == "started" for e in stage.timeline.of("lambda")),
            "the Lambda to start the runbook",
            timeout_seconds,
        )
        on_started()
    wait_until(notified(stage, action_taken="rebooted"), "the 'rebooted' notification", timeout_seconds)
    wait_until(delivered(stage.timeline, "ResolvedCritical"), "the alert to resolve", timeout_seconds)


def act_stopped_instance(stage: Stage, timeout_seconds: float) -> None:
    """The instance stops -> its logs stop -> MissingData -> runbook starts it -> notification -> resolved."""
    assert stage.instance is not None
    stage.timeline.banner("Act 2: the instance stops; its logs stop")
    instance_id = stage.instance.instance_id
    stage.twin.client("ec2").stop_instances(InstanceIds=[instance_id])
    stage.timeline.emit("demo", f"stopped {instance_id} (as a failed host or a mistaken stop would)")
    wait_until(delivered(stage.timeline, "MissingData"), "the monitor to raise MissingData", timeout_seconds)
    wait_until(notified(stage, action_taken="started"), "the 'started' notification", timeout_seconds)
    wait_until(delivered(stage.timeline, "ResolvedMissingData"), "the missing data to resolve", timeout_seconds)
