"""What the demo's simulated service makes of its instance's power history, as the twin records it.

The twin writes down every launch, start, stop and reboot it accepts, with its virtual time. The service reads that
history rather than watching status checks, so it cannot miss a reboot however briefly the checks dip, or however
late a busy machine lets it look: a degradation lasts until the history holds a boot newer than the degradation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

BOOT_ACTIONS = frozenset({"launch", "start", "reboot"})
# Virtual seconds the service is down while its host reboots: a small instance's OS comes back in about this long.
REBOOT_DOWNTIME_SECONDS = 45.0


@dataclass(frozen=True)
class PowerEvent:
    at: float
    action: str


@dataclass(frozen=True)
class PowerHistory:
    """One reading of /_twin/ec2/power-history."""

    now: float
    state: str
    events: tuple[PowerEvent, ...]

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> PowerHistory:
        try:
            events = tuple(PowerEvent(float(item["at"]), str(item["action"])) for item in answer["events"])
            return cls(now=float(answer["now"]), state=str(answer["state"]), events=events)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"the twin's power history is not as expected ({error!r}): {answer!r:.200}") from None

    @property
    def boots(self) -> int:
        """How many times the instance's OS has started: its launch, each start and each reboot."""
        return sum(1 for event in self.events if event.action in BOOT_ACTIONS)

    def last_boot(self) -> PowerEvent | None:
        return next((event for event in reversed(self.events) if event.action in BOOT_ACTIONS), None)

    def up_seconds(self, since: float, downtime: float = REBOOT_DOWNTIME_SECONDS) -> float:
        """Virtual seconds in [since, now] during which the service could answer: running and not rebooting."""
        if self.state != "running" or self.now <= since:
            return 0.0
        down, covered_until = 0.0, since
        for event in self.events:
            if event.action != "reboot":
                continue
            start, end = max(event.at, covered_until), min(event.at + downtime, self.now)
            if end > start:
                down += end - start
                covered_until = end
        return self.now - since - down

    def serving(self, downtime: float = REBOOT_DOWNTIME_SECONDS) -> bool:
        """Whether the service answers now: it runs and is not within a reboot's downtime."""
        if self.state != "running":
            return False
        return not any(e.action == "reboot" and e.at <= self.now < e.at + downtime for e in self.events)
