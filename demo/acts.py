"""The demo's two acts, each waiting for every hop of the chain and failing with the hop that did not happen.

Every wait is a budget of twin time, because that is the time the chain runs on: a monitor checks every twin
minute, a reboot takes twin seconds. A generous real-time ceiling stops a wait on a machine so busy that twin time
hardly moves. When a hop is missing, the failure names it and says which of the two ran out, and how far the twin
clock ran between the demo's last two looks, so a starved machine is told apart from a broken chain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from demo.stage import Stage
from demo.timeline import Timeline

# Twin seconds each hop may take. Generous against what the chain needs (in brackets), so only a broken hop or a
# machine too slow to keep the twin's pace runs out of them.
HOP_BUDGETS = {
    "status_checks": 20 * 60,  # a launch: pending 20 s + checks initializing 90 s
    # > 5 slow calls in the 10-minute window, evaluated every minute (~3 min), then the webhook's Lambda round trip,
    # which takes real seconds: under two CPU burners it took up to 24 min of twin time at 60x-120x.
    "critical": 45 * 60,
    "lambda_start": 20 * 60,  # one webhook delivery and one Lambda invocation (real time, seconds)
    "rebooted": 30 * 60,  # the runbook: reboot, two check cycles (90 s + 60 s), status checks ok, publish (~4 min)
    "resolved": 30 * 60,  # the slow calls leave the 10-minute window (~11 min)
    "missing_data": 30 * 60,  # no lines for the missing-data window (10 min) after the stop
    "started": 30 * 60,  # start: pending 20 s, checks initializing 90 s, publish (~3 min)
    "data_back": 30 * 60,  # lines again in the window (~1 min)
    "recovered": 20 * 60,  # the Lambda's "recovered" message after ResolvedCritical (real time, seconds)
    # Act 3: the verification window (17 min after the start) ends, and the timer's invocation escalates.
    "status_checks_3": 20 * 60,
    "critical_3": 45 * 60,
    "rebooted_3": 30 * 60,
    "verified": 20 * 60,  # the Lambda's recovered message after ResolvedCritical (real time, seconds)
    "not_fixed": 40 * 60,
    "resolved_3": 30 * 60,
    "critical_again": 45 * 60,
    "suppressed": 45 * 60,  # the dependency is fixed, fails again, and the monitor fires again (~15 min)
}
DEFAULT_REAL_CEILING_SECONDS = 300.0
COOLDOWN_SECONDS = 900  # the Lambda's default cooldown (remediation_lambda_cooldown_seconds), in twin time
POLL_SECONDS = 0.2


class ActFailedError(Exception):
    """A hop of the chain did not happen in time."""


@dataclass(frozen=True)
class HopTime:
    """How long one hop took after the one before it, in twin time and in real time."""

    twin_seconds: float
    real_seconds: float


@dataclass
class Observation:
    """The demo's looks at the twin clock during one wait."""

    started: float
    last: float
    largest_gap: float = 0.0

    def look(self, now: float) -> None:
        self.largest_gap = max(self.largest_gap, now - self.last)
        self.last = now


def wait_for_hop(
    stage: Stage,
    condition: Callable[[], bool],
    what: str,
    twin_budget_seconds: float,
    real_ceiling_seconds: float = DEFAULT_REAL_CEILING_SECONDS,
) -> HopTime:
    """Wait until `condition` holds, for at most `twin_budget_seconds` of twin time; returns the time it took.

    The condition reads what the watchers saw. Before giving up on a spent budget it waits for one fresh round of
    the watchers, so a hop that happened in time but was seen late still counts.
    """
    now = stage.twin.now()
    seen = Observation(started=now, last=now)
    real_start = time.monotonic()
    real_deadline = real_start + real_ceiling_seconds
    while not condition():
        seen.look(stage.twin.now())
        spent = seen.last - seen.started
        if spent > twin_budget_seconds:
            if stage.watching is not None:
                stage.watching.await_fresh_round(timeout_seconds=60)
            if condition():
                break
            raise ActFailedError(_budget_spent(what, twin_budget_seconds, seen, stage))
        if time.monotonic() > real_deadline:
            raise ActFailedError(
                f"the machine was too slow: waiting for {what}, only {spent:.0f} s of twin time passed in "
                f"{real_ceiling_seconds:.0f} s real (the hop may take up to {twin_budget_seconds / 60:.0f} min of "
                "twin time); run the demo again on a quieter machine or with a lower --clock-speed"
            )
        time.sleep(POLL_SECONDS)
    return HopTime(stage.twin.now() - seen.started, time.monotonic() - real_start)


def _budget_spent(what: str, budget: float, seen: Observation, stage: Stage) -> str:
    message = f"{what} did not happen within {budget / 60:.0f} min of twin time"
    speed = stage.twin.speed()
    # A look every POLL_SECONDS real should see the clock move about POLL_SECONDS x speed; far more means starving.
    if seen.largest_gap > max(60.0, 20 * POLL_SECONDS * speed):
        message += (
            f"; the machine was too slow: the twin clock ran {seen.largest_gap:.0f} s ahead between two of the "
            f"demo's looks (expected about {POLL_SECONDS * speed:.0f} s at {speed:g}x), so run it on a quieter "
            "machine or with a lower --clock-speed"
        )
    return message


def delivered(timeline: Timeline, trigger_type: str) -> Callable[[], bool]:
    return lambda: any(event.data.get("trigger_type") == trigger_type for event in timeline.of("sumo"))


def notified(stage: Stage, **fields: str) -> Callable[[], bool]:
    assert stage.notifications is not None
    received = stage.notifications.received
    return lambda: any(all(item["message"].get(k) == v for k, v in fields.items()) for item in received)


def delivered_again(timeline: Timeline, trigger_type: str) -> Callable[[], bool]:
    """A delivery of `trigger_type` after those already in the timeline."""
    before = sum(event.data.get("trigger_type") == trigger_type for event in timeline.of("sumo"))
    return lambda: sum(event.data.get("trigger_type") == trigger_type for event in timeline.of("sumo")) > before


def notified_again(stage: Stage, **fields: str) -> Callable[[], bool]:
    """A notification with `fields` after those already received."""
    assert stage.notifications is not None
    received = stage.notifications.received

    def matching() -> int:
        return sum(all(item["message"].get(k) == v for k, v in fields.items()) for item in received)

    before = matching()
    return lambda: matching() > before


def decided(timeline: Timeline, decision: str, reason: str) -> Callable[[], bool]:
    return lambda: any(
        event.data.get("decision") == decision and event.data.get("reason") == reason for event in timeline.of("lambda")
    )


def wait_virtual(stage: Stage, seconds: float) -> None:
    target = stage.twin.now() + seconds
    while stage.twin.now() < target:
        time.sleep(0.1)


def act_slow_calls(
    stage: Stage, real_ceiling_seconds: float, on_started: Callable[[], None] | None = None
) -> dict[str, HopTime]:
    """Slow /api/data calls -> Critical -> webhook -> runbook reboots -> notification -> the alert resolves.

    Returns the time each hop took after the one before it.
    """
    assert stage.service is not None and stage.instance is not None
    hops: dict[str, HopTime] = {}

    def hop(name: str, condition: Callable[[], bool], what: str) -> None:
        hops[name] = wait_for_hop(stage, condition, what, HOP_BUDGETS[name], real_ceiling_seconds)

    stage.timeline.banner("Act 1: /api/data turns slow")
    hop("status_checks", lambda: stage.instance.current == ("running", "ok"), "the instance's status checks")
    stage.timeline.emit("service", "normal traffic for 3 minutes of twin time")
    wait_virtual(stage, 180)
    stage.service.degrade()
    stage.timeline.emit("service", "degraded: about a third of /api/data calls now take 3-8 s")
    hop("critical", delivered(stage.timeline, "Critical"), "the monitor to fire Critical")
    if on_started is not None:
        hop(
            "lambda_start",
            lambda: any(e.data.get("decision") == "started" for e in stage.timeline.of("lambda")),
            "the Lambda to start the runbook",
        )
        on_started()
    hop("rebooted", notified(stage, action_taken="rebooted"), "the 'rebooted' notification")
    hop("resolved", delivered(stage.timeline, "ResolvedCritical"), "the alert to resolve")
    hop("verified", verified_recovery(stage), "the recovered message that verifies the reboot")
    return hops


def verified_recovery(stage: Stage) -> Callable[[], bool]:
    """The Lambda's recovered message naming the execution its resolution verified."""
    assert stage.notifications is not None
    received = stage.notifications.received
    return lambda: any(
        item["message"].get("outcome") == "recovered" and item["message"].get("remediations_verified")
        for item in received
    )


def act_stopped_instance(stage: Stage, real_ceiling_seconds: float) -> dict[str, HopTime]:
    """The instance stops -> its logs stop -> MissingData -> runbook starts it -> notification -> resolved."""
    assert stage.instance is not None
    hops: dict[str, HopTime] = {}

    def hop(name: str, condition: Callable[[], bool], what: str) -> None:
        hops[name] = wait_for_hop(stage, condition, what, HOP_BUDGETS[name], real_ceiling_seconds)

    stage.timeline.banner("Act 2: the instance stops; its logs stop")
    instance_id = stage.instance.instance_id
    stage.twin.client("ec2").stop_instances(InstanceIds=[instance_id])
    stage.timeline.emit("demo", f"stopped {instance_id} (as a failed host or a mistaken stop would)")
    hop("missing_data", delivered(stage.timeline, "MissingData"), "the monitor to raise MissingData")
    hop("started", notified(stage, action_taken="started"), "the 'started' notification")
    hop("data_back", delivered(stage.timeline, "ResolvedMissingData"), "the missing data to resolve")
    return hops


def act_not_fixed(
    stage: Stage, real_ceiling_seconds: float, cooldown_seconds: float = COOLDOWN_SECONDS
) -> dict[str, HopTime]:
    """A dependency fails -> Critical -> the runbook reboots -> the alert stays open -> NOT FIXED, once, and the
    circuit opens -> the dependency is fixed and fails again -> Critical -> suppressed: circuit open."""
    assert stage.service is not None and stage.instance is not None
    hops: dict[str, HopTime] = {}

    def hop(name: str, condition: Callable[[], bool], what: str) -> None:
        hops[name] = wait_for_hop(stage, condition, what, HOP_BUDGETS[name], real_ceiling_seconds)

    stage.timeline.banner("Act 3: a dependency fails; a reboot does not cure it")
    hop("status_checks_3", lambda: stage.instance.current == ("running", "ok"), "the instance's status checks")
    # The Lambda's cooldown (15 min of twin time after act 2's start) would otherwise suppress act 3's alert.
    minutes = cooldown_seconds / 60
    stage.timeline.emit("service", f"normal traffic for {minutes:.0f} minutes of twin time (the cooldown)")
    wait_virtual(stage, cooldown_seconds)
    critical = delivered_again(stage.timeline, "Critical")
    rebooted = notified_again(stage, action_taken="rebooted")
    stage.service.degrade(survives_boots=True)
    stage.timeline.emit("service", "degraded by a dependency that is down: a reboot will not help")
    hop("critical_3", critical, "the monitor to fire Critical again")
    hop("rebooted_3", rebooted, "the 'rebooted' notification of act 3")
    hop("not_fixed", notified(stage, outcome="not_fixed"), "the NOT FIXED escalation")
    resolved = delivered_again(stage.timeline, "ResolvedCritical")
    stage.service.restore()
    stage.timeline.emit("service", "the dependency is back: /api/data is fast again")
    hop("resolved_3", resolved, "the alert to resolve after the dependency came back")
    critical = delivered_again(stage.timeline, "Critical")
    stage.service.degrade(survives_boots=True)
    stage.timeline.emit("service", "the dependency fails again")
    hop("critical_again", critical, "the monitor to fire Critical once more")
    hop("suppressed", decided(stage.timeline, "suppressed", "circuit open"), "the Lambda to suppress it: circuit open")
    stage.service.restore()
    return hops
