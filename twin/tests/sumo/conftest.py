"""The local Sumo Logic served in-process on a free port, with its own clock, plus a webhook receiver to catch
what the monitors send."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from sumologic import SumoLogic
from werkzeug.serving import make_server

from emulator.clock import ScaledClock
from emulator.control_client import PassReport, TwinControl
from emulator.service_contract import TwinSettings
from emulator.sumo.auth import DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY
from emulator.sumo.server import SumoTwin, create_sumo_twin
from emulator.sumo.windows import LOG_MONITOR_DELAY_SECONDS

# 2027-01-15T08:00:00Z: a fixed start so windows and rendered times are predictable.
CLOCK_START = 1_800_000_000.0


@dataclass
class ServedSumo:
    twin: SumoTwin
    clock: ScaledClock
    url: str

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def sdk(self) -> SumoLogic:
        return SumoLogic(DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY, endpoint=self.api_url)

    def session(self) -> requests.Session:
        session = requests.Session()
        session.auth = (DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY)
        session.headers["Content-Type"] = "application/json"
        return session

    @property
    def control(self) -> TwinControl:
        """The client for this Sumo's /_twin/ control API (there is no AWS side here)."""
        return TwinControl(sumo_url=self.url)

    def evaluate(self, after_delay: bool = True) -> PassReport:
        """One pass. By default the clock first moves past the two minutes log monitors run behind (windows.py), so
        the pass sees what was just ingested; `after_delay=False` evaluates at once, as a test of the delay does."""
        if after_delay:
            self.clock.advance(LOG_MONITOR_DELAY_SECONDS + 60)
        return self.control.evaluate()

    def ingest(self, text: str, category: str = "prod/app", **headers: str) -> None:
        sent = {"X-Sumo-Category": category, **headers}
        response = requests.post(f"{self.url}/receiver/v1/http/TESTTOKEN", data=text.encode(), headers=sent, timeout=10)
        response.raise_for_status()


@contextlib.contextmanager
def serve(clock: ScaledClock, rate_limit: bool = False) -> Iterator[ServedSumo]:
    settings = TwinSettings(sumo_port=0, sumo_rate_limit=rate_limit)
    twin = create_sumo_twin(clock, settings)
    server = make_server("127.0.0.1", 0, twin.wsgi_app, threaded=True)
    port = server.server_port
    # The twin renders URLs from settings.sumo_url, so tell it the port the server really got.
    twin.settings = twin.backend.settings = TwinSettings(sumo_port=port, sumo_rate_limit=rate_limit)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield ServedSumo(twin, clock, f"http://127.0.0.1:{port}")
    finally:
        twin.stop()
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def clock() -> ScaledClock:
    """Real-time speed: nothing moves unless a test advances it (the scheduler is not started)."""
    return ScaledClock(speed=1.0, start=CLOCK_START)


@pytest.fixture
def sumo(clock: ScaledClock) -> Iterator[ServedSumo]:
    with serve(clock) as served:
        yield served


@pytest.fixture
def limited_sumo(clock: ScaledClock) -> Iterator[ServedSumo]:
    with serve(clock, rate_limit=True) as served:
        yield served


@pytest.fixture
def quick_sumo() -> Iterator[ServedSumo]:
    """A 600x clock without the scheduler: retries and waits pass quickly, passes run only when asked."""
    with serve(ScaledClock(speed=600.0, start=CLOCK_START)) as served:
        yield served


@pytest.fixture
def fast_sumo() -> Iterator[ServedSumo]:
    """A 600x clock (a virtual minute every 0.1 s) with the scheduler running, as the twin runs in tests."""
    with serve(ScaledClock(speed=600.0, start=CLOCK_START)) as served:
        served.twin.start()
        yield served


@dataclass
class Receiver:
    """A webhook endpoint on loopback that records each POST and answers with `status`."""

    url: str
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            target = holder["receiver"]
            with target.arrived:
                target.received.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "raw": raw, "json": json.loads(raw)}
                )
                target.arrived.notify_all()
            self.send_response(target.status)
            self.end_headers()
            self.wfile.write(b"received")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["receiver"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield holder["receiver"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
