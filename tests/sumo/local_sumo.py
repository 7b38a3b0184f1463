"""A private local Sumo Logic for these tests: the twin's Sumo app served in-process on a free port.

In-process rather than the session `twin` so each test module gets its own empty monitor library and its own
request log, read straight from the backend. Its clock runs at real speed (nothing here waits on it), so the time of
each recorded request can be compared with the task times ansible-playbook reports.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server

from emulator.clock import ScaledClock
from emulator.service_contract import TwinSettings
from emulator.sumo.auth import DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY
from emulator.sumo.server import SumoTwin, create_sumo_twin


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FaultInjector:
    """WSGI middleware that answers the next N matching requests with a 429, as a rate-limited Sumo Logic would."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._planned: list[list[Any]] = []  # [method, path, remaining]
        self.injected: list[str] = []

    def rate_limit_next(self, method: str, path: str, times: int) -> None:
        with self._lock:
            self._planned.append([method, path, times])

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
        with self._lock:
            plan = next((p for p in self._planned if request == f"{p[0]} {p[1]}" and p[2] > 0), None)
            if plan is not None:
                plan[2] -= 1
                self.injected.append(request)
        if plan is None:
            return self.app(environ, start_response)
        body = {
            "status": 429,
            "id": f"FAULT-{len(self.injected):05d}-TEST0",
            "code": "rate.limit.exceeded",
            "message": "API rate limit for this user has been exceeded.",
        }
        start_response("429 Too Many Requests", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]


@dataclass
class LocalSumo:
    twin: SumoTwin
    api_url: str
    faults: FaultInjector = field(repr=False)
    access_id: str = DEFAULT_ACCESS_ID
    access_key: str = DEFAULT_ACCESS_KEY

    def requests(self) -> list[dict[str, Any]]:
        """Every API request received so far: method, path with query, body (Authorization masked), status."""
        return self.twin.backend.recorded_requests()

    def requests_between(self, start: float, end: float) -> list[dict[str, Any]]:
        return [entry for entry in self.requests() if start <= entry["time"] < end]

    def requests_since(self, count: int) -> list[dict[str, Any]]:
        return self.requests()[count:]

    def writes_since(self, count: int) -> list[dict[str, Any]]:
        return [entry for entry in self.requests_since(count) if entry["method"] != "GET"]

    def api_settings(self) -> dict[str, str]:
        """The role's and the modules' connection variables for this Sumo."""
        return {"sumo_api_endpoint": self.api_url, "sumo_access_id": self.access_id, "sumo_access_key": self.access_key}

    def role_variables(self, folder: str, **variables: Any) -> dict[str, Any]:
        """What the sumo_monitoring role needs to deploy into this Sumo under `folder`, plus `variables`: the webhook
        points at a closed loopback port, so a firing's delivery fails at once and nothing receives it."""
        return {
            **self.api_settings(),
            "sumo_monitoring_webhook_url": "http://127.0.0.1:9/lambda-url/",
            "sumo_monitoring_webhook_secret": "local-sumo-role-test-secret-0123456789",
            "sumo_monitoring_folder": folder,
            **variables,
        }


@contextmanager
def serve_local_sumo() -> Iterator[LocalSumo]:
    port = _free_port()
    settings = TwinSettings(sumo_port=port, sumo_rate_limit=False, clock_speed=1.0)
    twin = create_sumo_twin(ScaledClock(speed=1.0), settings)
    faults = FaultInjector(twin.wsgi_app)
    server = make_server("127.0.0.1", port, faults, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="local-sumo", daemon=True)
    thread.start()
    try:
        yield LocalSumo(twin=twin, api_url=f"{settings.sumo_url}/api", faults=faults)
    finally:
        server.shutdown()
        thread.join(timeout=10)
