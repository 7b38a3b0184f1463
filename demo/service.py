"""A simulated API on the demo's EC2 instance: it writes access-log lines to Sumo Logic, as the real service would.

Its health follows the instance: no lines while the instance is not running or is rebooting (the service is down),
fast lines when healthy, and slow /api/data calls while the demo has degraded it. A reboot or a
start clears the degradation, which is what remediation is for.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

OTHER_PATHS = ("/api/users", "/api/orders", "/health", "/static/app.js")


@dataclass
class ServiceState:
    degraded: bool = False
    lines_sent: int = 0
    slow_calls_sent: int = 0
    errors: list[str] = field(default_factory=list)


def access_log_line(moment: datetime, path: str, status: int, response_ms: int, client: str) -> str:
    """One combined-log-format line with the latency at the end, as the monitor's default regex expects."""
    stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
    size = random.randint(200, 4000)
    return f'{client} - - [{stamp}] "GET {path} HTTP/1.1" {status} {size} response_time={response_ms}ms'


class SimulatedService:
    """Streams lines to an HTTP Source at `calls_per_virtual_minute`, following the instance's health."""

    def __init__(
        self,
        source_url: str,
        category: str,
        host: str,
        virtual_now: Callable[[], float],
        instance_health: Callable[[], str],
        calls_per_virtual_minute: int = 30,
        slow_share: float = 0.35,
    ) -> None:
        self._source_url = source_url
        self._headers = {"X-Sumo-Category": category, "X-Sumo-Name": "access.log", "X-Sumo-Host": host}
        self._virtual_now = virtual_now
        self._instance_health = instance_health
        self._calls_per_minute = calls_per_virtual_minute
        self._slow_share = slow_share
        self.state = ServiceState()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simulated-service", daemon=True)
        self._carry = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def degrade(self) -> None:
        self.state.degraded = True

    def _run(self) -> None:
        last = self._virtual_now()
        while not self._stop.wait(0.25):
            now = self._virtual_now()
            elapsed, last = now - last, now
            health = self._instance_health()
            if health != "up":
                # Any outage (a reboot, a stop) ends the degradation: a fresh process is fast again.
                self.state.degraded = False
            if health != "up":
                continue
            self._carry += elapsed * self._calls_per_minute / 60
            count, self._carry = int(self._carry), self._carry - int(self._carry)
            if count:
                self._send([self._line(now) for _ in range(count)])

    def _line(self, now: float) -> str:
        moment = datetime.fromtimestamp(now, tz=UTC)
        client = f"10.0.{random.randint(0, 9)}.{random.randint(1, 254)}"
        if random.random() < 0.5:
            return access_log_line(moment, random.choice(OTHER_PATHS), 200, random.randint(5, 80), client)
        path = f"/api/data?id={random.randint(1, 999)}"
        if self.state.degraded and random.random() < self._slow_share:
            self.state.slow_calls_sent += 1
            return access_log_line(moment, path, 200, random.randint(3200, 7800), client)
        return access_log_line(moment, path, 200, random.randint(40, 400), client)

    def _send(self, lines: list[str]) -> None:
        try:
            response = requests.post(self._source_url, data="\n".join(lines), headers=self._headers, timeout=10)
            response.raise_for_status()
            self.state.lines_sent += len(lines)
        except requests.RequestException as error:
            self.state.errors.append(str(error))
            time.sleep(0.5)
