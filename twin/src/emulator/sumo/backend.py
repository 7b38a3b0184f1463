"""The local Sumo Logic as a library: monitors library, connections, ingested logs, alerts and deliveries behind
one lock, with no HTTP. The HTTP front (responses.py) and the scheduler both drive it."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from emulator.clock import Clock
from emulator.service_contract import TwinSettings
from emulator.sumo.alert_rules import MissingDataReading
from emulator.sumo.connections import MASKED_VALUE, Connection, ConnectionStore
from emulator.sumo.connections import not_found as connection_not_found
from emulator.sumo.errors import SumoApiError, invalid_argument
from emulator.sumo.evaluation import AlertBook, PassReport, apply_jobs, collect_jobs, run_jobs
from emulator.sumo.library import ROOT_ID, LibraryItem, MonitorsLibrary
from emulator.sumo.logstore import LogStore
from emulator.sumo.webhook import DeliveryLog, Notifier

MAX_RECORDED_REQUESTS = 1000
CONNECTION_TYPES = ("WebhookConnection", "ServiceNowConnection")


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
        # What "no data" is for a MissingData trigger (alert_rules.py); /_twin/sumo/missing-data switches it.
        self.missing_data_reading = MissingDataReading.QUERY_ROWS
        self.deliveries = DeliveryLog()
        self.notifier = Notifier(clock, self.deliveries)
        self._requests: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDED_REQUESTS)
        # One evaluation pass at a time (scheduler and /_twin/sumo/evaluate), deliveries included.
        self._pass_lock = threading.Lock()
        self._passes_run = 0
        self._last_pass_at_ms: int | None = None

    # --- monitors ------------------------------------------------------------------------------------------------

    def monitors_root(self) -> dict[str, Any]:
        return self.get_monitor(ROOT_ID)

    def get_monitor(self, object_id: str) -> dict[str, Any]:
        with self.lock:
            return self.library.to_json(self.library.get(object_id))

    def get_monitors(self, object_ids: list[str], with_children: bool = True) -> dict[str, Any]:
        if not object_ids:
            raise invalid_argument("query parameter ids is required (a comma-separated list of ids)")
        with self.lock:
            items = self.library.get_many(object_ids)
            return {item.id: self.library.to_json(item, with_children=with_children) for item in items}

    def monitor_by_path(self, path: str | None) -> dict[str, Any]:
        if not path:
            raise invalid_argument("query parameter path is required, e.g. /Monitor/folder/monitor")
        with self.lock:
            return self.library.to_json(self.library.by_path(path))

    def monitor_path(self, object_id: str) -> dict[str, Any]:
        with self.lock:
            item = self.library.get(object_id)
            return {"path": self.library.path_of(item), "pathItems": self.library.path_items(item)}

    def search_monitors(self, query: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
        if query is None:
            raise invalid_argument("query parameter query is required")
        with self.lock:
            return [
                {"item": self.library.to_json(item, with_children=False), "path": self.library.path_of(item)}
                for item in self.library.search(query, limit, offset)
            ]

    def move_monitor(self, object_id: str, parent_id: str, user_id: str) -> dict[str, Any]:
        with self.lock:
            return self.library.to_json(self.library.move(object_id, parent_id, user_id))

    def delete_monitors_reporting(self, object_ids: list[str]) -> dict[str, Any]:
        """Delete `object_ids` (and folders' contents); the deleted objects that were asked for, by id."""
        if not object_ids:
            raise invalid_argument("query parameter ids is required (a comma-separated list of ids)")
        with self.lock:
            removed = self.delete_monitors(object_ids)
            requested = {object_id.upper() for object_id in object_ids}
            return {
                item.id: self.library.to_json(item, with_children=False) for item in removed if item.id in requested
            }

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

    def create_connection(self, body: dict[str, Any], user_id: str) -> dict[str, Any]:
        with self.lock:
            return self.connections.to_json(self.connections.create(body, user_id))

    def update_connection(self, connection_id: str, body: dict[str, Any], user_id: str) -> dict[str, Any]:
        with self.lock:
            return self.connections.to_json(self.connections.update(connection_id, body, user_id))

    def get_connection(self, connection_id: str, connection_type: str) -> dict[str, Any]:
        if connection_type not in CONNECTION_TYPES:
            raise invalid_argument(
                f"query parameter type must be WebhookConnection or ServiceNowConnection (got {connection_type!r})"
            )
        with self.lock:
            connection = self.connections.get(connection_id)
            if connection_type != "WebhookConnection":
                raise connection_not_found(connection_id)
            return self.connections.to_json(connection)

    def list_connections(self, limit: int, token: str) -> dict[str, Any]:
        """One page of connections from the continuation `token` (an offset this API handed out)."""
        if not token.isdigit():
            raise invalid_argument(f"token {token!r} is not a continuation token this API returned")
        start = int(token)
        with self.lock:
            connections = self.connections.list()
            page = connections[start : start + limit]
            following = start + limit
            return {
                "data": [self.connections.to_json(connection) for connection in page],
                "next": str(following) if following < len(connections) else None,
            }

    def delete_connection(self, connection_id: str, connection_type: str | None) -> None:
        if connection_type not in CONNECTION_TYPES:
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

    # --- logs, alerts and deliveries -----------------------------------------------------------------------------

    def ingest(self, text: str, fields: dict[str, str]) -> int:
        return self.logs.ingest(text, fields)

    def logs_summary(self, limit: int) -> dict[str, Any]:
        """How many log lines are stored, and the latest `limit` of them."""
        return {
            "count": self.logs.count(),
            "latest": [
                {"timestampMs": record.timestamp_ms, "raw": record.raw, "fields": record.fields}
                for record in self.logs.latest(limit)
            ],
        }

    def active_alerts(self) -> list[dict[str, Any]]:
        with self.lock:
            return self.alerts.to_json()

    def delivery_records(self, since: int, monitor_id: str | None = None) -> list[dict[str, Any]]:
        records = self.deliveries.list(since)
        return [record for record in records if record["monitorId"] == monitor_id] if monitor_id else records

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
            with self.lock:
                self._passes_run += 1
                self._last_pass_at_ms = at_ms
            return report

    def pass_progress(self) -> dict[str, Any]:
        """How many passes have finished (deliveries included), and the virtual time the last one evaluated."""
        with self.lock:
            return {"passes": self._passes_run, "lastPassAtMs": self._last_pass_at_ms}

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
