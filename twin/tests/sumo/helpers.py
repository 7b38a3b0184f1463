"""Steps the Sumo twin tests share: log lines, a monitor wired to a receiver, and polling for background work."""

from __future__ import annotations

import time
from collections.abc import Callable

from emulator.control_client import Delivery
from tests.sumo.bodies import connection_body, monitor_body, webhook_notification

WAIT_SECONDS = 30.0


def wait_until(condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def slow_call(response_time_ms: int = 4200) -> str:
    return f'10.0.0.7 - - "GET /api/data?id=7 HTTP/1.1" 200 512 response_time={response_time_ms}'


def setup_monitor(sumo, receiver, trigger_types=("Critical", "ResolvedCritical"), **monitor_fields) -> dict:
    connection = sumo.sdk().post("/connections", connection_body(url=receiver.url)).json()
    root = sumo.sdk().get("/monitors/root").json()["id"]
    overrides = monitor_fields.pop("notification_overrides", {})
    notifications = [webhook_notification(connection["id"], list(trigger_types), **overrides)]
    body = monitor_body(notifications=notifications, **monitor_fields)
    return sumo.sdk().post(f"/monitors?parentId={root}", body).json()


def monitor_status(sumo, monitor_id: str) -> list[str]:
    return sumo.sdk().get(f"/monitors/{monitor_id}").json()["status"]


def deliveries(sumo) -> list[Delivery]:
    return sumo.control.sumo_deliveries()
