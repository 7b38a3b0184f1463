"""A simulated API on the demo's EC2 instance: it writes access-log lines to Sumo Logic, as the real service would.

Its health follows the instance's power history as the twin records it (see demo/power.py): no lines while the
instance is not running or is rebooting (the service is down), fast lines when healthy, and slow /api/data calls
while the demo has degraded it. A boot after the degradation (a reboot or a start) clears it, which is what
remediation is for. Because the twin records the boot, the degradation ends however late this thread gets to look.
A degradation from outside the instance (a dependency that is down) survives boots: only `restore` ends it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from demo.power import PowerHistory
from tools.access_log import access_line

_FOREVER = 2**62  # a boot count no instance reaches
OTHER_PATHS = ("/api/users", "/api/orders", "/health", "/static/app.js")


@dataclass
class ServiceState:
    degraded: bool = False
    lines_sent: int = 0
    slow_calls_sent: int = 0
    errors: list[str] = field(default_factory=list)
    # The boot that ended the last degradation: (its action, its virtual time).
    cured_by: tuple[str, float] | None = None


class SimulatedService:
    """Streams lines to an HTTP Source at `calls_per_virtual_minute`, following the instance's power history."""

    def __init__(
        self,
        source_url: str,
        category: str,
        host: str,
        read_power: Callable[[], PowerHistory],
        narrate: Callable[[str], object] | None = None,
        calls_per_virtual_minute: int = 30,
        slow_share: float = 0.35,
    ) -> None:
        self._source_url = source_url
        self._headers = {"X-Sumo-Category": category, "X-Sumo-Name": "access.log", "X-Sumo-Host": host}
        self._read_power = read_power
        self._narrate = narrate or (lambda _text: None)
        self._calls_per_minute = calls_per_virtual_minute
        self._slow_share = slow_share
        self.state = ServiceState()
        self._lock = threading.Lock()
        self._degraded_through_boot = 0  # the degradation lasts while the instance has booted no more than this
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simulated-service", daemon=True)
        self._carry = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def degrade(self, survives_boots: bool = False) -> None:
        """From now until the instance next boots (or, with `survives_boots`, until `restore`), about a third of
        /api/data calls are slow."""
        boots = self._read_power().boots
        with self._lock:
            self._degraded_through_boot = _FOREVER if survives_boots else boots
            self.state.degraded = True

    def restore(self) -> None:
        """The outside cause is fixed: /api/data is fast again."""
        with self._lock:
            self.state.degraded = False

    def _follow(self, power: PowerHistory) -> None:
        """End the degradation if the instance booted since it began, whenever this thread gets to look."""
        with self._lock:
            if not self.state.degraded or power.boots <= self._degraded_through_boot:
                return
            self.state.degraded = False
            boot = power.last_boot()
            self.state.cured_by = (boot.action, boot.at) if boot else None
        if boot is not None:
            moment = datetime.fromtimestamp(boot.at, tz=UTC).strftime("%H:%M:%S")
            self._narrate(f"healthy again: the {boot.action} at twin {moment} gave it a fresh process")

    def _run(self) -> None:
        last = None
        while not self._stop.wait(0.25):
            try:
                power = self._read_power()
            except (requests.RequestException, ValueError, RuntimeError) as error:
                self.state.errors.append(f"reading the instance's power history: {error}")
                continue
            self._follow(power)
            up_seconds = power.up_seconds(last) if last is not None else 0.0
            last = power.now
            if not power.serving():
                continue
            self._carry += up_seconds * self._calls_per_minute / 60
            count, self._carry = int(self._carry), self._carry - int(self._carry)
            if count:
                self._send([self._line(power.now) for _ in range(count)])

    def _line(self, now: float) -> str:
        moment = datetime.fromtimestamp(now, tz=UTC)
        client = f"10.0.{random.randint(0, 9)}.{random.randint(1, 254)}"
        if random.random() < 0.5:
            path, response_ms = random.choice(OTHER_PATHS), random.randint(5, 80)
        else:
            path = f"/api/data?id={random.randint(1, 999)}"
            if self.state.degraded and random.random() < self._slow_share:
                self.state.slow_calls_sent += 1
                response_ms = random.randint(3200, 7800)
            else:
                response_ms = random.randint(40, 400)
        return access_line(moment, response_ms, path, size=random.randint(200, 4000), client=client)

    def _send(self, lines: list[str]) -> None:
        try:
            response = requests.post(self._source_url, data="\n".join(lines), headers=self._headers, timeout=10)
            response.raise_for_status()
            self.state.lines_sent += len(lines)
        except requests.RequestException as error:
            self.state.errors.append(str(error))
            time.sleep(0.5)
