"""`make demo`: slow /api/data calls -> Sumo monitor -> webhook -> Lambda -> runbook -> EC2 -> SNS, on the twin.

Act 1 degrades the service: its /api/data calls turn slow, the monitor fires, the Lambda starts the runbook, which
reboots the instance and notifies; the alert resolves once the slow calls leave the window, and the Lambda's
recovered message verifies the reboot. Act 2 stops the instance: its logs stop, the monitor raises MissingData, and
the runbook starts it again. Act 3 degrades the service from outside (a dependency): the runbook reboots, the alert
stays open, the verification window ends with one NOT FIXED escalation, and a later alert is suppressed because the
instance's circuit is open. Then teardown.
"""

from __future__ import annotations

import argparse
import sys
import time

from demo.acts import ActFailedError, HopTime, act_not_fixed, act_slow_calls, act_stopped_instance
from demo.stage import Stage, StageError
from demo.summary import print_summary
from demo.timeline import Timeline
from demo.world import REPO_ROOT, Twin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("--clock-speed", type=float, default=120.0, help="twin clock speed (default 120x)")
    parser.add_argument("--keep-twin", action="store_true", help="leave the twin and the deployment up afterwards")
    parser.add_argument(
        "--act-timeout",
        type=float,
        default=300.0,
        help="real-time ceiling of each wait, in seconds (each hop also has a budget of twin time; default 300)",
    )
    args = parser.parse_args(argv)

    twin = Twin.from_environment()
    twin.ensure_up()
    twin.set_speed(args.clock_speed)
    timeline = Timeline(twin.now)
    log_dir = REPO_ROOT / ".twin" / "demo"
    log_dir.mkdir(parents=True, exist_ok=True)
    timeline.banner(f"Twin up: AWS {twin.aws_url}, Sumo Logic {twin.sumo_url}/api; clock {args.clock_speed:g}x")
    stage = Stage(twin, timeline, log_dir)
    timeline.banner("Deploying: ansible-playbook site.yml (inventory/local)")

    failure: str | None = None
    hops: dict[str, HopTime] = {}
    started = time.monotonic()
    try:
        if not twin.started_here:
            # A twin left up (--keep-twin, or an interrupted run) may hold an earlier deployment and its decisions:
            # an open circuit or a spent attempt cap would change what the acts show.
            timeline.emit("demo", "the twin was already up: removing any earlier deployment first")
            code, _recap = stage.teardown()
            if code != 0:
                raise StageError(f"removing the earlier deployment failed; see {log_dir / 'teardown.log'}")
        stage.deploy()
        started = time.monotonic()
        hops.update(act_slow_calls(stage, args.act_timeout))
        hops.update(act_stopped_instance(stage, args.act_timeout))
        hops.update(act_not_fixed(stage, args.act_timeout))
    except (StageError, ActFailedError) as error:
        failure = str(error)
        timeline.emit("demo", f"FAILED: {failure}")
    finally:
        stage.quiet()

    received = stage.notifications.received if stage.notifications else []
    service_state = stage.service.state if stage.service else None
    slowdowns = stage.governor.slowdowns if stage.governor else []
    print_summary(timeline, received, service_state, time.monotonic() - started, failure, hops, slowdowns)

    if args.keep_twin:
        print(f"\nThe twin and the deployment stay up: AWS {twin.aws_url}, Sumo {twin.sumo_url}/api.")
        print("Remove the deployment: ansible-playbook playbooks/teardown.yml -e confirm=yes")
        print("Stop the twin: make twin-down")
        return 1 if failure else 0
    timeline.banner("Teardown: ansible-playbook playbooks/teardown.yml -e confirm=yes")
    code, recap = stage.teardown()
    print(recap)
    if twin.started_here:
        twin.stop()
    if code != 0:
        print(f"teardown failed (exit {code}); see {log_dir / 'teardown.log'}")
        return 1
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
