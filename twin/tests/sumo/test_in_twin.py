"""The Sumo service inside the full twin process (`python -m emulator serve`), driven by the shared clock."""

from __future__ import annotations

import uuid

import pytest
import requests
from sumologic import SumoLogic

from emulator.control_client import Delivery
from emulator.sumo.auth import DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY
from tests.sumo.bodies import connection_body, monitor_body, webhook_notification
from tests.sumo.helpers import slow_call, wait_until

pytestmark = pytest.mark.twin


def test_monitor_in_the_twin_fires_on_the_shared_clock(twin, receiver):
    suffix = uuid.uuid4().hex[:8]
    sdk = SumoLogic(DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY, endpoint=twin.sumo_api_url)
    connection = sdk.post("/connections", connection_body(name=f"hook-{suffix}", url=receiver.url)).json()
    root = sdk.get("/monitors/root").json()["id"]
    notifications = [webhook_notification(connection["id"], ["Critical", "ResolvedCritical"])]
    monitor = sdk.post(
        f"/monitors?parentId={root}", monitor_body(name=f"latency-{suffix}", notifications=notifications)
    )
    monitor_id = monitor.json()["id"]
    lines = "\n".join(slow_call() for _ in range(6))
    requests.post(
        f"{twin.sumo_url}/receiver/v1/http/TOKEN", data=lines, headers={"X-Sumo-Category": "prod/app"}, timeout=10
    ).raise_for_status()
    twin.clock(advance_seconds=60)
    received = receiver.wait_for(1)
    assert received[0]["json"] == {"name": f"latency-{suffix}", "type": "Critical"}

    def recorded() -> list[Delivery]:
        return twin.control.sumo_deliveries(monitor_id=monitor_id)

    # The twin records a delivery once the receiver has answered, a moment after the receiver saw it.
    assert wait_until(lambda: len(recorded()) >= 1)
    assert recorded()[0]["statusCode"] == 200
    sdk.delete(f"/monitors/{monitor_id}")
    sdk.delete(f"/connections/{connection['id']}", params={"type": "WebhookConnection"})
