"""A small client for the twin's own control API under /_twin/, so callers never build those URLs by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_SECONDS = 10


class TwinControlError(RuntimeError):
    """The twin refused a control call or could not be reached; the message names the endpoint and the reason."""


@dataclass(frozen=True)
class TwinControl:
    aws_url: str
    sumo_url: str

    def _call(self, base: str, method: str, path: str, **request: Any) -> Any:
        url = f"{base}/_twin/{path}"
        try:
            response = requests.request(method, url, timeout=TIMEOUT_SECONDS, **request)
        except requests.RequestException as error:
            raise TwinControlError(f"{method} {url}: the twin did not answer ({error})") from None
        try:
            answer = response.json()
        except ValueError:
            raise TwinControlError(f"{method} {url}: HTTP {response.status_code}, not JSON") from None
        if response.status_code >= 400:
            reason = answer.get("error", answer) if isinstance(answer, dict) else answer
            raise TwinControlError(f"{method} {url}: HTTP {response.status_code}: {reason}")
        return answer

    def healthy(self) -> bool:
        """Both services answer their health check."""
        return self.answers("aws") and self.answers("sumo")

    def answers(self, service: str) -> bool:
        """The "aws" or the "sumo" service answers its health check."""
        base = {"aws": self.aws_url, "sumo": self.sumo_url}[service]
        try:
            return self._call(base, "GET", "health").get("status") == "ok"
        except TwinControlError:
            return False

    def clock(self) -> dict[str, float]:
        """The shared clock: {"now": virtual epoch seconds, "speed": how many times faster than real time}."""
        return self._call(self.aws_url, "GET", "clock")

    def change_clock(self, speed: float | None = None, advance_seconds: float | None = None) -> dict[str, float]:
        change = {
            key: value for key, value in (("speed", speed), ("advance_seconds", advance_seconds)) if value is not None
        }
        return self._call(self.aws_url, "POST", "clock", json=change)

    def power_history(self, instance_id: str) -> dict[str, Any]:
        """The instance's state now and every launch, start, stop, reboot and termination, with virtual times."""
        return self._call(self.aws_url, "GET", "ec2/power-history", params={"instance_id": instance_id})

    def sumo_deliveries(self, since: int = 0) -> list[dict[str, Any]]:
        """The local Sumo's webhook deliveries from index `since` on."""
        answer = self._call(self.sumo_url, "GET", "sumo/deliveries", params={"since": since})
        return answer.get("deliveries", []) if isinstance(answer, dict) else answer
