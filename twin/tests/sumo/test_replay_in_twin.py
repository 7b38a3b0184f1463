"""The replay (emulator.sumo.replay, what a backtest runs) and the running twin agree: a log replayed into the twin on
its clock, one pass per minute, raises the same alerts at the same minutes as the replay over the same lines."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from sumologic import SumoLogic

from emulator.sumo.auth import DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY
from emulator.sumo.query import compile_query
from emulator.sumo.replay import TriggerSettings, bucket_lines, replay_monitor
from emulator.sumo.windows import MINUTE_MS, passes_over
from emulator.testing import RunningTwin
from tests.sumo.bodies import (
    SLOW_CALLS_QUERY,
    connection_body,
    logs_triggers,
    missing_data_triggers,
    monitor_body,
    webhook_notification,
)
from tests.sumo.helpers import wait_until

pytestmark = pytest.mark.twin

LOG_MINUTES = 40
SLOW_CALLS_BY_MINUTE = {8: 3, 9: 3, 10: 3}
SILENT_MINUTES = range(22, 29)
CALLS_PER_MINUTE = 6
DELAY_MINUTES = 2
# Slow enough that the clock never reaches a minute boundary by itself while a step waits for its pass; every
# boundary is reached by a jump.
REPLAY_CLOCK_SPEED = 0.1
TRIGGER_TYPES = ["Critical", "ResolvedCritical", "MissingData", "ResolvedMissingData"]
PASS_WAIT_SECONDS = 120.0


def call_line(at_ms: int, index: int, response_ms: int) -> str:
    """One /api/data call, in the three formats whose time the twin reads: combined log, leading ISO, JSON."""
    moment = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
    request = "GET /api/data?id=7 HTTP/1.1"
    if index % 3 == 0:
        return f'10.0.0.7 - - [{moment:%d/%b/%Y:%H:%M:%S} +0000] "{request}" 200 512 response_time={response_ms}'
    if index % 3 == 1:
        return f'{moment:%Y-%m-%dT%H:%M:%S}.000Z 10.0.0.7 - - "{request}" 200 512 response_time={response_ms}'
    note = f"response_time={response_ms}"
    return json.dumps({"ts": f"{moment:%Y-%m-%dT%H:%M:%SZ}", "request": request, "note": note})


def access_log(start_minute: int) -> list[str]:
    """CALLS_PER_MINUTE calls each minute from `start_minute` (epoch minutes), slow ones as SLOW_CALLS_BY_MINUTE
    says, and no line at all in SILENT_MINUTES."""
    lines = []
    for minute in range(LOG_MINUTES):
        if minute in SILENT_MINUTES:
            continue
        for call in range(CALLS_PER_MINUTE):
            at_ms = (start_minute + minute) * MINUTE_MS + call * 10_000
            slow = call < SLOW_CALLS_BY_MINUTE.get(minute, 0)
            lines.append(call_line(at_ms, call, 4200 if slow else 120))
    return lines


@pytest.fixture
def slow_clock(twin: RunningTwin) -> Iterator[RunningTwin]:
    with twin.clock_speed(REPLAY_CLOCK_SPEED):
        yield twin


def jump_to_pass(twin: RunningTwin, at_minute: int) -> None:
    """Move the clock just past the boundary `at_minute` and wait until the scheduler's pass there has finished."""
    target_seconds = at_minute * 60 + 0.5
    now = twin.clock()["now"]
    assert now < target_seconds, f"the clock ran past {at_minute * 60} on its own (now {now})"
    twin.clock(advance_seconds=target_seconds - now)
    control = twin.control
    finished = wait_until(lambda: (control.passes()["lastPassAtMs"] or 0) >= at_minute * MINUTE_MS, PASS_WAIT_SECONDS)
    assert finished, f"no scheduler pass at {at_minute * 60}: {control.passes()}"
    assert control.passes()["lastPassAtMs"] == at_minute * MINUTE_MS, "the scheduler skipped the boundary"


def pass_minute(delivery: dict) -> int:
    """The epoch minute of the pass that sent `delivery`: its window's end, plus the evaluation delay."""
    return int(json.loads(delivery["payload"])["windowEnd"]) // MINUTE_MS + DELAY_MINUTES


def test_the_twin_raises_the_backtests_alerts_at_the_same_minutes(slow_clock: RunningTwin, receiver) -> None:
    twin = slow_clock
    suffix = uuid.uuid4().hex[:8]
    category = f"replay/{suffix}"
    query = SLOW_CALLS_QUERY.replace("prod/app", category)
    # Far enough from a boundary that no pass runs before the first jump; the log starts two minutes ahead, so
    # every line is within the hour ahead of the clock that the twin accepts a message time in.
    now = twin.clock()["now"]
    if now % 60 > 50:
        twin.clock(advance_seconds=15)
        now = twin.clock()["now"]
    start_minute = int(now // 60) + 2
    lines = access_log(start_minute)

    trigger = TriggerSettings(
        threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="slow_calls",
        missing_data_time_range_seconds=300, evaluation_delay_seconds=DELAY_MINUTES * 60,
    )  # fmt: skip
    metadata = {"_sourceCategory": category, "_sourceName": "access.log", "_sourceHost": "web-1", "_collector": "c"}
    compiled = compile_query(query)
    replayed = replay_monitor(bucket_lines(lines, compiled, metadata), compiled, trigger).events
    expected = [((event.at_ms // MINUTE_MS) - start_minute, event.trigger) for event in replayed]
    assert expected == [(12, "Critical"), (22, "ResolvedCritical"), (29, "MissingData"), (32, "ResolvedMissingData")]

    requests.post(
        f"{twin.sumo_url}/receiver/v1/http/{suffix}", data="\n".join(lines), headers={"X-Sumo-Category": category},
        timeout=30,
    ).raise_for_status()  # fmt: skip
    sdk = SumoLogic(DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY, endpoint=twin.sumo_api_url)
    connection = sdk.post("/connections", connection_body(name=f"replay-{suffix}", url=receiver.url)).json()
    payload = json.dumps({"type": "{{TriggerType}}", "windowEnd": "{{TriggerTimeEnd}}"})
    notification = webhook_notification(
        connection["id"], TRIGGER_TYPES, payloadOverride=payload, resolutionPayloadOverride=payload
    )
    body = monitor_body(
        name=f"replay-{suffix}",
        query=query,
        triggers=[*logs_triggers(threshold=5, time_range="-10m"), *missing_data_triggers("-5m")],
        notifications=[notification],
        evaluationDelay=f"{DELAY_MINUTES}m",
    )
    monitor_id = sdk.post(f"/monitors?parentId={sdk.get('/monitors/root').json()['id']}", body).json()["id"]
    try:
        first_minute, last_minute = start_minute, start_minute + LOG_MINUTES - 1
        for at_minute in passes_over(first_minute, last_minute, DELAY_MINUTES * 60):
            jump_to_pass(twin, at_minute)
        delivered = twin.control.sumo_deliveries(monitor_id=monitor_id)
    finally:
        sdk.delete(f"/monitors/{monitor_id}")
        sdk.delete(f"/connections/{connection['id']}", params={"type": "WebhookConnection"})

    assert all(record["ok"] for record in delivered), delivered
    seen = [(pass_minute(record) - start_minute, record["triggerType"]) for record in delivered]
    assert seen == expected
