"""Which instances an alert remediates: always from configuration; the alert may only narrow the configured set."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings, TagSelector
from .payload import Alert


@dataclass(frozen=True)
class Target:
    """One runbook execution's target: a single instance, or every instance carrying a tag."""

    instance_id: str | None = None
    tag: TagSelector | None = None

    @property
    def label(self) -> str:
        """Stable name used as the state key and in the ClientToken: ``i-0abc…`` or ``tag:Key=Value``."""
        if self.instance_id:
            return self.instance_id
        assert self.tag is not None
        return self.tag.label


def targets_for(alert: Alert, settings: Settings) -> list[Target]:
    """Configured instances named in ResultsJson if any are, else every configured instance, or the tag fleet."""
    if settings.target_tag is not None:
        return [Target(tag=settings.target_tag)]
    named = alert.instance_ids_in_results()
    chosen = [instance_id for instance_id in settings.target_instance_ids if instance_id in named]
    return [Target(instance_id=instance_id) for instance_id in (chosen or settings.target_instance_ids)]
