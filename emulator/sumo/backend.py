"""The local Sumo Logic as a library: monitors library, connections, ingested logs, alerts and deliveries behind
one lock, with no HTTP. The HTTP front (responses.py) and the scheduler both drive it."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from emulator.clock import Clock
from emulator.service import TwinSettings
from emulator.sumo.connections import MASKED_VALUE, Connection, ConnectionStore
from emulator.sumo.errors import SumoApiError, invalid_argument
from emulator.sumo.evaluation import AlertBook, PassReport, apply_jobs, collect_jobs, run_jobs
from emulator.sumo.library import LibraryItem, MonitorsLibrary
from emulator.sumo.logstore import LogStore
from emulator.sumo.webhook import DeliveryLog, Notifier

MAX_RECORDED_REQUESTS = 1000


def _mask_secrets(value: Any) -> Any:
    """A copy of a request body with Authorization header values masked, fit to be recorded."""
    if isinstance(value, list):
        return [_mask_secrets(item) for item in value]
    if isinstance(value, dict):
        if str(value.get("name", "")).lower() == "authorization" and "value" in value:
            return {**value, "value": MASKED_VALUE}
        return {key: _mask_secrets(item) for key, item in value.items()}
    return value


class SumoBackend:
    def __init__(self, clock: Clock, settings: TwinSettings) -> None:
        self.clock = clock
        self.settings = settings
        self.lock = threading.RLock()
        self.library = MonitorsLibrary(clock)
        self.connections = ConnectionStore(clock)
        self.logs = LogStore(clock)
        self.alerts = AlertBook()
        self.deliveries = DeliveryLog()
        self.notifier = Notifier(clock, self.deliveries)
        self._requests: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDED_REQUESTS)
        # One evaluation pass at a time (scheduler and /_twin/sumo/evaluate), deliveries included.
        self._pass_lock = threading.Lock()

    # --- monitors ------------------------------------------------------------------------------------------------

    def create_monitor(self, parent_id: str, body: dict[str, Any], user_id: str) -> dict[str, Any]:
        with self.lock:
            item = self.library.create(parent_id, body, user_id, self.connections.webhook_type)
            return self.library.to_json(item)

    def update_monitor(self, object_id: str, body: dict[str, Any], user_id: str) -> dict[str, Any]:
        with self.lock:
            item, _previous = self.library.update(object_id, body, user_id, self.connections.webhook_type)
            self.alerts.forget_missing_triggers(item)
            return self.library.to_json(item)

    def delete_monitors(self, object_ids: list[str]) -> list[LibraryItem]:
        with self.lock:
            removed = self.library.delete(object_ids)
            for item in removed:
                self.alerts.forget_monitor(item.id)
            return removed

    # --- connections ---------------------------------------------------------------------------------------------

    def delete_connection(self, connection_id: str, connection_type: str | None) -> None:
        if connection_type not in ("WebhookConnection", "ServiceNowConnection"):
            raise invalid_argument(
                f"type is required and must be 'WebhookConnection' or 'ServiceNowConnection' (got {connection_type!r})"
            )
        with self.lock:
            connection = self.connections.get(connection_id)
            users = [
                monitor
                for monitor in self.library.monitors()
                if any(
                    entry["notification"].get("connectionId", "").upper() == connection.id
                    for entry in monitor.settings.get("notifications", [])
                )
            ]
            if users:
                raise SumoApiError.single(
                    400,
                    "connection:in_use",
                    "The connection is used by monitors.",
                    "connection "
                    + connection.id
                    + " is used by "
                    + ", ".join(f"{self.library.path_of(monitor)} ({monitor.id})" for monitor in users),
                )
            self.connections.delete(connection_id, connection_type)

    def test_connection(
        self, body: dict[str, Any], connection_id: str | None, functionalities: list[str]
    ) -> dict[str, Any]:
        with self.lock:
            connection: Connection = self.connections.definition_for_test(body, connection_id)
        return self.notifier.test(connection, functionalities, self.settings.sumo_url)

    # --- evaluation ------------------------------------------------------------------------------------------------

    def evaluate(self, at: float | None = None) -> PassReport:
        """One scheduler pass at virtual time `at` (default: now): evaluate every enabled Logs monitor, then
        deliver the notifications it produced. Deliveries happen outside the state lock."""
        with self._pass_lock:
            with self.lock:
                at_ms = int((self.clock.now() if at is None else at) * 1000)
                self.logs.prune()
                jobs = collect_jobs(self, at_ms)
            # Queries may take a while on many logs; API calls are not held up meanwhile.
            run_jobs(jobs, self.logs)
            with self.lock:
                report, notifications = apply_jobs(self, jobs, at_ms)
            for notification in notifications:
                report.deliveries.extend(self.notifier.deliver(notification))
            return report

    # --- recorded requests -----------------------------------------------------------------------------------------

    def record_request(self, method: str, path: str, query: str, body: Any, status: int) -> None:
        entry = {
            "time": self.clock.now(),
            "method": method,
            "path": path + (f"?{query}" if query else ""),
            "body": _mask_secrets(body),
            "status": status,
        }
        with self.lock:
            self._requests.append(entry)

    def recorded_requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self._requests)
