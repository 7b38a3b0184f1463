"""`make demo`: slow /api/data calls -> Sumo monitor -> webhook -> Lambda -> runbook -> EC2 -> SNS, on the twin.

Act 1 degrades the service: its /api/data calls turn slow, the monitor fires, the Lambda starts the runbook, which
reboots the instance and notifies; the alert resolves once the slow calls leave the window. Act 2 stops the
instance: its logs stop, the monitor raises MissingData, and the runbook starts it again. Then teardown.
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
import uuid
from collections.abc import Callable

from demo.service import SimulatedService
from demo.summary import print_summary
from demo.timeline import Timeline
from demo.watchers import InstanceState, LambdaDecisions, Notifications, RunbookSteps, SumoDeliveries
from demo.world import (
    REPO_ROOT,
    Deployment,
    Twin,
    find_instance,
    play_recap,
    run_playbook,
    start_playbook,
    subscribe_queue,
)

SOURCE_CATEGORY = "prod/api"  # roles/sumo_monitoring's default scope
VIRTUAL_COOLDOWN_SECONDS = 900  # the Lambda's defaults, in twin time
VIRTUAL_ATTEMPT_WINDOW_SECONDS = 21600


class DemoFailedError(Exception):
    """A step of the chain did not happen in time."""


class Watching:
    """Polls every watcher on one thread until stopped."""

    def __init__(self, pollers: list[Callable[[], None]], timeline: Timeline) -> None:
        self._pollers = pollers
        self._timeline = timeline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchers", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, poller: Callable[[], None]) -> None:
        self._pollers = [*self._pollers, poller]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(0.3):
            for poll in self._pollers:
                try:
                    poll()
                except Exception as error:  # a watcher's hiccup must not end the narration
                    self._timeline.emit("demo", f"(watcher {poll.__qualname__} failed: {error})")


def wait_until(condition: Callable[[], bool], what: str, timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise DemoFailedError(f"timed out after {timeout_seconds:.0f} s waiting for {what}")


def wait_virtual(twin: Twin, seconds: float) -> None:
    target = twin.now() + seconds
    while twin.now() < target:
        time.sleep(0.1)


def notification_with(notifications: Notifications, **fields: str) -> Callable[[], bool]:
    def seen() -> bool:
        return any(all(item["message"].get(k) == v for k, v in fields.items()) for item in notifications.received)

    return seen


def delivery_of(timeline: Timeline, trigger_type: str) -> Callable[[], bool]:
    return lambda: any(event.data.get("trigger_type") == trigger_type for event in timeline.of("sumo"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("--clock-speed", type=float, default=120.0, help="twin clock speed (default 120x)")
    parser.add_argument("--keep-twin", action="store_true", help="leave the twin and the deployment up afterwards")
    parser.add_argument("--act-timeout", type=float, default=90.0, help="real seconds each wait may take")
    args = parser.parse_args(argv)

    twin = Twin.from_environment()
    twin.ensure_up()
    twin.set_speed(args.clock_speed)
    timeline = Timeline(twin.now)
    log_dir = REPO_ROOT / ".twin"
    log_dir.mkdir(exist_ok=True)
    timeline.banner(f"Twin up: AWS {twin.aws_url}, Sumo Logic {twin.sumo_url}/api; clock {args.clock_speed:g}x")

    # The Lambda runs on real time while the twin's clock is sped up: scale its cooldown and window to match.
    cooldown = max(1, math.ceil(VIRTUAL_COOLDOWN_SECONDS / args.clock_speed))
    window = max(cooldown + 1, math.ceil(VIRTUAL_ATTEMPT_WINDOW_SECONDS / args.clock_speed))
    timeline.banner("Deploying: ansible-playbook site.yml (inventory/local)")
    timeline.emit(
        "demo",
        f"Lambda cooldown {cooldown} s and attempt window {window} s real = 15 min and 6 h at {args.clock_speed:g}x",
    )
    deploy_log = log_dir / "demo-deploy.log"
    deploy = start_playbook(
        "site.yml",
        deploy_log,
        "-e",
        f"remediation_lambda_cooldown_seconds={cooldown}",
        "-e",
        f"remediation_lambda_attempt_window_seconds={window}",
    )
    # The service on the instance logs as soon as the instance runs, before the monitor exists, as a real one would.
    instance_id = None
    while instance_id is None and deploy.poll() is None:
        instance_id = find_instance(twin)
        time.sleep(0.5)
    instance_id = instance_id or find_instance(twin)
    if instance_id is None:
        print(play_recap(deploy_log))
        print(f"site.yml made no instance (exit {deploy.wait()}); see {deploy_log}")
        return 1
    timeline.emit("demo", f"site.yml created instance {instance_id}; its service starts logging once it runs")
    instance = InstanceState(twin.client("ec2"), instance_id, timeline)
    watching = Watching([SumoDeliveries(twin.sumo_url, timeline).poll, instance.poll], timeline)
    service = SimulatedService(
        source_url=f"{twin.sumo_url}/receiver/v1/http/demo-access-logs",
        category=SOURCE_CATEGORY,
        host=instance_id,
        virtual_now=twin.now,
        instance_health=instance.health,
    )
    watching.start()
    service.start()
    code = deploy.wait()
    print(play_recap(deploy_log))
    if code != 0:
        print(f"site.yml failed (exit {code}); see {deploy_log}")
        service.stop()
        watching.stop()
        return 1
    deployment = Deployment.discover(twin)
    timeline.emit("demo", f"deployed; the monitor calls {deployment.function_url}")

    queue_url = subscribe_queue(twin, deployment.topic_arn, f"demo-inbox-{uuid.uuid4().hex[:6]}")
    notifications = Notifications(twin.client("sqs"), queue_url, timeline)
    watching.add(LambdaDecisions(twin.client("logs"), deployment.log_group, timeline).poll)
    watching.add(RunbookSteps(twin.client("ssm"), deployment.document_name, timeline).poll)
    watching.add(notifications.poll)
    started = time.monotonic()
    failure: str | None = None
    try:
        wait_until(lambda: instance.current == ("running", "ok"), "the instance's status checks", args.act_timeout)

        timeline.banner("Act 1: /api/data turns slow")
        timeline.emit("service", "normal traffic for 3 minutes of twin time")
        wait_virtual(twin, 180)
        service.degrade()
        timeline.emit("service", "degraded: about a third of /api/data calls now take 3-8 s")
        wait_until(delivery_of(timeline, "Critical"), "the monitor to fire Critical", args.act_timeout)
        wait_until(
            notification_with(notifications, action_taken="rebooted"), "the 'rebooted' notification", args.act_timeout
        )
        wait_until(delivery_of(timeline, "ResolvedCritical"), "the alert to resolve", args.act_timeout)

        timeline.banner("Act 2: the instance stops; its logs stop")
        twin.client("ec2").stop_instances(InstanceIds=[deployment.instance_id])
        timeline.emit("demo", f"stopped {deployment.instance_id} (as a failed host or a mistaken stop would)")
        wait_until(delivery_of(timeline, "MissingData"), "the monitor to raise MissingData", args.act_timeout)
        wait_until(
            notification_with(notifications, action_taken="started"), "the 'started' notification", args.act_timeout
        )
        wait_until(delivery_of(timeline, "ResolvedMissingData"), "the missing data to resolve", args.act_timeout)
    except DemoFailedError as error:
        failure = str(error)
        timeline.emit("demo", f"FAILED: {failure}")
    finally:
        service.stop()
        time.sleep(1.0)
        watching.stop()

    print_summary(timeline, notifications.received, service.state, time.monotonic() - started, failure)

    if args.keep_twin:
        print(
            f"\nThe twin and the deployment stay up: AWS {twin.aws_url}, Sumo {twin.sumo_url}/api."
            " `make twin-down` ends it."
        )
        return 1 if failure else 0
    timeline.banner("Teardown: ansible-playbook playbooks/teardown.yml -e confirm=yes")
    code, recap = run_playbook("playbooks/teardown.yml", log_dir / "demo-teardown.log", "-e", "confirm=yes")
    print(recap)
    if twin.started_here:
        twin.stop()
    if code != 0:
        print(f"teardown failed (exit {code}); see {log_dir / 'demo-teardown.log'}")
        return 1
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
