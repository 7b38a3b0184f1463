"""The fleet brake: an alert that names too many instances at once is a fleet-wide problem, not one to reboot away."""

from __future__ import annotations

from .config import Settings
from .payload import Alert


def fleet_brake(alert: Alert, settings: Settings) -> tuple[list[str], str] | None:
    """The alerting instances and the limit they break, or None when the alert may be remediated.

    The instances are those ResultsJson names (of the configured ones, when instances are configured by id). More
    than ``fleet_max_concurrent`` of them brakes; so do two or more that are more than ``fleet_max_share_percent``
    of the configured fleet (a fleet selected by tag has no size the function can know without reading EC2, so only
    the count applies to it). One alerting instance never brakes: that is the case remediation is for."""
    named = alert.instance_ids_in_results()
    if settings.target_tag is None:
        named = frozenset(instance_id for instance_id in settings.target_instance_ids if instance_id in named)
    instances = sorted(named)
    if len(instances) > settings.fleet_max_concurrent:
        return instances, f"{settings.fleet_max_concurrent} instances at once (remediation_lambda_fleet_max_concurrent)"
    fleet_size = len(settings.target_instance_ids)
    share = settings.fleet_max_share_percent
    if settings.target_tag is None and len(instances) >= 2 and len(instances) * 100 > share * fleet_size:
        return instances, f"{share}% of the {fleet_size} instances (remediation_lambda_fleet_max_share_percent)"
    return None
