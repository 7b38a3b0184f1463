"""A day of a flapping service through the deployed rules: the monitor's own transitions (the local Sumo's replay of
the rendered query over the day's access log) are delivered to the real function on the twin at their times, and
its timers fire when they come due, so every remediation and every escalation of the day can be counted."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from lambda_testkit import alert_event
from remediation_webhook.app import handle_event
from remediation_webhook.guard_model import GuardRules, Verdict, replay_closed_loop

from emulator.sumo.query import compile_query
from emulator.sumo.replay import TriggerSettings, bucket_lines, replay_monitor
from tests.sumo.samples import API_METADATA, DEFAULT_LATENCY_QUERY, combined_log_line

MINUTE_MS = 60_000
# In the twin's future: the twin's own scheduler fires any schedule due by its clock, which would race this test's.
START_MS = 1_800_000_000_000
DAY_MINUTES = 24 * 60
TRIGGER = TriggerSettings(threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="slow_calls")
MONITOR_ID = "00000000016CCCDD"
# The function's defaults (config.py): what a deployment that sets nothing gets.
RULES = GuardRules(900, 3, 21600, relapse_seconds=86400, max_relapses=2, heal_seconds=86400)
VERIFY_SECONDS = 1020


def flapping_log(slow_minutes: int, healthy_minutes: int) -> list[str]:
    """20 /api/data calls a minute for a day; in each slow spell 3 of them a minute take 3.5 s."""
    lines = []
    period = slow_minutes + healthy_minutes
    for minute in range(DAY_MINUTES):
        slow = 3 if minute % period < slow_minutes else 0
        for call in range(20):
            at_ms = START_MS + minute * MINUTE_MS + call * 3000
            lines.append(combined_log_line(at_ms, "/api/data?id=7", 3500 if call < slow else 90))
    return lines


def monitor_transitions(lines: list[str]) -> list:
    query = compile_query(DEFAULT_LATENCY_QUERY)
    return replay_monitor(bucket_lines(lines, query, API_METADATA), query, TRIGGER).events


def run_the_day(deployment, events) -> tuple[Counter, list[dict]]:
    """Deliver each transition at its time, firing the timers due before it first; the replies' statuses."""
    runtime = deployment.runtime()
    statuses: Counter = Counter()
    for event in events:
        at = event.at_ms / 1000
        while (due := next_due(deployment)) is not None and due <= at:
            deployment.clock.now = due
            statuses.update(reply["status"] for reply in deployment.fire_timers(runtime))
        deployment.clock.now = at
        payload = {"TriggerType": event.trigger, "TriggerTimeStart": str(event.window_start_ms), "Id": MONITOR_ID}
        reply = handle_event(alert_event(**payload), runtime)
        statuses[json.loads(reply["body"])["status"]] += 1
    deployment.clock.advance(2 * VERIFY_SECONDS)
    statuses.update(reply["status"] for reply in deployment.fire_timers(runtime))
    return statuses, deployment.messages()


def next_due(deployment) -> float | None:
    dues = [
        datetime.strptime(timer["ScheduleExpression"], "at(%Y-%m-%dT%H:%M:%S)").replace(tzinfo=UTC).timestamp()
        for timer in deployment.timers()
    ]
    return min(dues, default=None)


def model_of_the_day(events, target: str) -> Counter:
    """What the guard model's closed loop decides for the same transitions (guard_model.replay_closed_loop)."""
    loop = replay_closed_loop(
        [
            (
                event.at_ms / 1000,
                "resolved" if event.trigger.startswith("Resolved") else "alert",
                target,
                f"{MONITOR_ID}:{event.window_start_ms}",
            )
            for event in events
        ],
        RULES,
        VERIFY_SECONDS,
    )
    counted: Counter = Counter()
    for handled in loop:
        if handled.kind == "alert":
            counted["started" if handled.verdict is Verdict.START else "suppressed"] += 1
            counted["escalated"] += handled.escalated
        elif handled.kind == "timer":
            counted["not_fixed"] += handled.escalated
        else:
            counted["verified"] += handled.verified
    return counted


@pytest.mark.parametrize(
    ("slow_minutes", "healthy_minutes", "expected"),
    [
        # Slow and healthy in turn every 20 minutes: each alert outlives the 17-minute verification window, so the
        # first reboot is NOT FIXED, the circuit opens, and the day's other alerts start nothing.
        (20, 20, {"started": 1, "not_fixed": 1, "verified": 0, "escalations": 1}),
        # Short slow spells that clear within the window: each reboot verifies, and each new alert is a relapse;
        # the third relapse opens the circuit with one escalation.
        (4, 36, {"started": 3, "not_fixed": 0, "verified": 3, "escalations": 1}),
    ],
)
def test_a_flapping_day_makes_no_more_remediations_and_escalations_than_the_rules_allow(
    deployment, slow_minutes, healthy_minutes, expected
):
    events = monitor_transitions(flapping_log(slow_minutes, healthy_minutes))
    alerts = [event for event in events if not event.trigger.startswith("Resolved")]
    target = deployment.instance_ids[0]

    statuses, messages = run_the_day(deployment, events)

    outcomes = Counter(message["outcome"] for message in messages)
    escalations = sum(outcomes[kind] for kind in ("not_fixed", "circuit_open", "escalated", "start_failed"))
    started = len(deployment.executions())
    assert len(alerts) >= 30  # the service really flapped all day
    assert started <= RULES.max_attempts * (DAY_MINUTES * 60 // RULES.window_seconds)  # never past the cap
    assert {
        "started": started,
        "not_fixed": outcomes["not_fixed"],
        "verified": sum(len(message.get("remediations_verified", [])) for message in messages),
        "escalations": escalations,
    } == expected
    assert statuses["started"] == started
    model = model_of_the_day(events, target)
    assert (model["started"], model["not_fixed"], model["verified"]) == (
        expected["started"],
        expected["not_fixed"],
        expected["verified"],
    )
