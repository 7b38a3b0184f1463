"""Webhook delivery: POST a rendered payload to a connection's URL and keep a record of every attempt.

Sumo documents an optional Authorization header and up to five custom headers on the connection, and nothing else:
no Content-Type, no timeout, no retries, no signature. The stricter reading (the ledger's "Webhook requests"): a
request carries only the headers the connection configures (besides what HTTP itself needs: Host, Content-Length,
and the client's User-Agent, Accept and Accept-Encoding), is sent once with a DELIVERY_TIMEOUT_SECONDS timeout, and a
delivery that fails (connection error, timeout, any status outside 2xx) is recorded, logged and lost.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import requests

from emulator.clock import Clock
from emulator.sumo.connections import Connection
from emulator.sumo.payload import render
from emulator.sumo.timefmt import human_time, rfc3339_ms

logger = logging.getLogger("emulator.sumo")

DELIVERY_TIMEOUT_SECONDS = 10.0
MAX_RECORDED_DELIVERIES = 5000
RESPONSE_EXCERPT_CHARS = 2000


@dataclass
class PlannedDelivery:
    """A notification decided by an evaluation pass, with everything needed to send it later."""

    monitor_id: str | None
    monitor_name: str | None
    alert_id: str | None
    trigger_type: str
    connection_id: str
    connection_name: str
    url: str
    headers: dict[str, str]
    payload: str


class DeliveryLog:
    """Every delivery attempt, oldest first (bounded); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDED_DELIVERIES)
        self._next_index = 0

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            record = {"index": self._next_index, **record}
            self._next_index += 1
            self._records.append(record)
            return record

    def list(self, since_index: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [record for record in self._records if record["index"] >= since_index]


class Notifier:
    def __init__(self, clock: Clock, log: DeliveryLog) -> None:
        self._clock = clock
        self._log = log
        # One session per thread (the scheduler's, and HTTP threads testing connections).
        self._sessions = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = requests.Session()
            # Deliveries go to the URL as given, never through a proxy from the environment.
            session.trust_env = False
            self._sessions.session = session
        return session

    def deliver(self, planned: PlannedDelivery) -> list[dict[str, Any]]:
        """Send one notification once (the module docstring says why); returns the attempt's record, in a list."""
        return [self._post(planned, attempt=1)]

    def _post(self, planned: PlannedDelivery, attempt: int, test: bool = False) -> dict[str, Any]:
        headers = dict(planned.headers)
        status: int | None = None
        excerpt = ""
        error = None
        try:
            response = self._session().post(
                planned.url, data=planned.payload.encode("utf-8"), headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS
            )
            status = response.status_code
            excerpt = response.text[:RESPONSE_EXCERPT_CHARS]
        except requests.RequestException as failure:
            error = f"{type(failure).__name__}: {failure}"
        ok = status is not None and 200 <= status < 300
        now = self._clock.now()
        record = self._log.add(
            {
                "time": rfc3339_ms(now),
                "epochMs": int(now * 1000),
                "monitorId": planned.monitor_id,
                "monitorName": planned.monitor_name,
                "alertId": planned.alert_id,
                "triggerType": planned.trigger_type,
                "connectionId": planned.connection_id,
                "connectionName": planned.connection_name,
                "url": planned.url,
                "attempt": attempt,
                "test": test,
                "statusCode": status,
                "ok": ok,
                "error": error,
                "responseExcerpt": excerpt,
                "payload": planned.payload,
            }
        )
        if ok:
            logger.info(
                "webhook %s for monitor %s -> %s: HTTP %s",
                planned.trigger_type,
                planned.monitor_id,
                planned.url,
                status,
            )
        else:
            logger.warning(
                "webhook %s for monitor %s -> %s failed, and is not retried: %s",
                planned.trigger_type,
                planned.monitor_id,
                planned.url,
                error or f"HTTP {status}",
            )
        return record

    def test(self, connection: Connection, functionalities: list[str], sumo_url: str) -> dict[str, Any]:
        """POST /v1/connections/test: send the alert and/or resolution payload once, with sample values."""
        response: dict[str, Any] = {}
        wanted = [name for name in functionalities if name in ("alert", "resolution")] or ["alert"]
        for functionality in wanted:
            trigger_type = "Critical" if functionality == "alert" else "ResolvedCritical"
            template = connection.default_payload
            if functionality == "resolution":
                template = connection.resolution_payload or connection.default_payload
            values = sample_values(trigger_type, self._clock.now(), sumo_url)
            planned = PlannedDelivery(
                monitor_id=None,
                monitor_name=None,
                alert_id=None,
                trigger_type=trigger_type,
                connection_id=connection.id,
                connection_name=connection.name,
                url=connection.url,
                headers=connection.request_headers(),
                payload=render(template, values, []),
            )
            record = self._post(planned, attempt=1, test=True)
            status = record["statusCode"] if record["statusCode"] is not None else 0
            content = record["responseExcerpt"] if record["error"] is None else record["error"]
            response[f"{functionality}StatusCode"] = status
            response[f"{functionality}ResponseContent"] = content
        first = wanted[0]
        response["statusCode"] = response[f"{first}StatusCode"]
        response["responseContent"] = response[f"{first}ResponseContent"]
        return response


def sample_values(trigger_type: str, now: float, sumo_url: str) -> dict[str, Any]:
    """The variables of a connection test: a made-up monitor that fired a moment ago."""
    end_ms = int(now * 1000)
    start_ms = end_ms - 15 * 60 * 1000
    return {
        "Name": "Test Notification",
        "Id": "0000000000000000",
        "Description": "A test notification sent from the connection page.",
        "MonitorType": "Logs",
        "Query": "_sourceCategory=test",
        "QueryURL": f"{sumo_url}/ui/#/search/create",
        "TriggerType": trigger_type,
        "TriggerTimeStart": start_ms,
        "TriggerTimeEnd": end_ms,
        "TriggerTime": human_time(end_ms),
        "TriggerTimeRange": f"{human_time(start_ms)} to {human_time(end_ms)}",
        "TriggerCondition": "ResultCount is Greater than or equal to 1.0 in the last 15 minutes",
        "TriggerValue": 1,
        "ResultsJson": "[]",
        "NumQueryResults": 0,
        "DetectionMethod": "LogsStaticCondition",
        "AlertName": "Test Notification",
        "AlertResponseUrl": f"{sumo_url}/ui/#/alert/0000000000000000",
        "SourceURL": f"{sumo_url}/ui/#/alerts/unified-monitors/0000000000000000",
        "Playbook": "",
    }
