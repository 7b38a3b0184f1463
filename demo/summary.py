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
    result = "the whole chain worked: fixed, started, and a fix that did not hold escalated once"
    print(f"result                 {'FAILED: ' + failure if failure else result}")
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
    for line in loop_lines(notifications, hops or {}):
        print(line)
    print("notifications          " + ("none" if not notifications else ""))
    for item in notifications:
        message = item["message"]
        target = message.get("instance_id") or ",".join(message.get("targets") or [])
        print(
            f"  - {message.get('outcome') or message.get('status', '?'):<9} {message.get('action_taken', '-'):<9} "
            f"{target}  {item.get('subject')}"
        )


def loop_lines(notifications: list[dict[str, Any]], hops: dict[str, HopTime]) -> list[str]:
    """What the closed loop verified: act 1's alert -> action -> resolution, split by hop, and act 3's NOT FIXED."""
    lines = []
    for item in notifications:
        message = item["message"]
        for fix in message.get("remediations_verified") or []:
            lines.append(
                f"verified               {fix['target']} by {str(fix['execution_id'])[:8]}…: alert "
                f"{fix['alert_started_utc']} -> action {fix['acted_utc']} (+{fix['seconds_alert_to_action']} s) -> "
                f"resolved {fix['resolved_utc']} (+{fix['seconds_action_to_resolution']} s), twin time"
            )
        if message.get("outcome") == "not_fixed":
            lines.append(
                f"not fixed              {message['targets'][0]} by {message['execution_id'][:8]}… at "
                f"{message['acted_utc']}: alert still open, automatic remediation paused"
            )
    act_1 = [name for name in ("critical", "lambda_start", "rebooted", "resolved", "verified") if name in hops]
    if act_1:
        split = ", ".join(f"{name} +{hops[name].twin_seconds:.0f} s" for name in act_1)
        total = sum(hops[name].twin_seconds for name in act_1)
        lines.append(f"act 1, slow -> verified {split}; {total:.0f} s of twin time in all")
    return lines
