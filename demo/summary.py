"""The one-screen summary at the end of the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from demo.simulated_api import ServiceState
from demo.timeline import Timeline

if TYPE_CHECKING:
    from demo.acts import HopTime


def print_summary(
    timeline: Timeline,
    notifications: list[dict[str, Any]],
    service: ServiceState | None,
    real_seconds: float,
    failure: str | None,
    hops: dict[str, HopTime] | None = None,
    slowdowns: list[tuple[float, float]] | None = None,
) -> None:
    deliveries = timeline.of("sumo")
    decisions = timeline.of("lambda")
    executions = {
        event.data["execution_id"]: event.data["status"] for event in timeline.of("runbook") if "status" in event.data
    }
    print("\n=== Summary ===")
    print(f"result                 {'FAILED: ' + failure if failure else 'the whole chain worked, twice'}")
    print(f"acts took              {real_seconds:.1f} s real")
    if hops:
        print(f"hops, twin time        {', '.join(f'{name} {hop.twin_seconds:.0f} s' for name, hop in hops.items())}")
        print(f"hops, real time        {', '.join(f'{name} {hop.real_seconds:.1f} s' for name, hop in hops.items())}")
        slowest = max(hops, key=lambda name: hops[name].real_seconds)
        print(
            f"slowest hop            {slowest}: {hops[slowest].real_seconds:.1f} s real, "
            f"{hops[slowest].twin_seconds / 60:.1f} min of twin time"
        )
    if slowdowns:
        speeds = ", ".join(f"to {speed:g}x" for _lag, speed in slowdowns)
        print(f"clock slowed           {speeds} (the machine was busy)")
    if service is not None:
        print(f"log lines sent         {service.lines_sent} ({service.slow_calls_sent} slow /api/data calls)")
        if service.cured_by is not None:
            print(f"degradation ended by   the {service.cured_by[0]} the twin recorded")
    print(f"monitor deliveries     {', '.join(e.data.get('trigger_type', '?') for e in deliveries) or 'none'}")
    counts: dict[str, int] = {}
    for event in decisions:
        counts[str(event.data.get("decision"))] = counts.get(str(event.data.get("decision")), 0) + 1
    print(f"lambda decisions       {', '.join(f'{k} x{v}' for k, v in counts.items()) or 'none'}")
    print(f"runbook executions     {', '.join(f'{k[:8]}… {v}' for k, v in executions.items()) or 'none'}")
    print("notifications          " + ("none" if not notifications else ""))
    for item in notifications:
        message = item["message"]
        print(
            f"  - {message.get('outcome') or message.get('status', '?'):<9} {message.get('action_taken', '-'):<9} "
            f"{message.get('instance_id', '')}  {item.get('subject')}"
        )
