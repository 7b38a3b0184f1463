"""Set the stage for the acts: deploy with site.yml, start the simulated service and the watchers; tear down after.

Shared by `make demo` and the end-to-end test, so the test checks exactly what the demo shows.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from demo.service import SimulatedService
from demo.timeline import Timeline
from demo.watchers import InstanceState, LambdaDecisions, Notifications, RunbookSteps, SumoDeliveries
from demo.world import (
    PROJECT,
    Deployment,
    Twin,
    find_instance,
    play_recap,
    run_playbook,
    start_playbook,
    subscribe_queue,
)

SOURCE_CATEGORY = "prod/api"  # roles/sumo_monitoring's default scope


class StageError(Exception):
    """The stage could not be set: the deployment failed or made no instance."""


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


@dataclass
class Stage:
    twin: Twin
    timeline: Timeline
    log_dir: Path
    project: str = PROJECT
    deployment: Deployment | None = None
    instance: InstanceState | None = None
    service: SimulatedService | None = None
    notifications: Notifications | None = None
    watching: Watching | None = None
    extra_vars: list[str] = field(default_factory=list)

    def deploy(self) -> None:
        """Run site.yml; the service starts logging as soon as its instance runs, before the monitor exists."""
        deploy_log = self.log_dir / "deploy.log"
        extra = [arg for var in self.extra_vars for arg in ("-e", var)]
        if self.project != PROJECT:
            extra += ["-e", f"remediation_project={self.project}"]
        deploy = start_playbook("site.yml", deploy_log, *extra, twin=self.twin)
        instance_id = None
        while instance_id is None and deploy.poll() is None:
            instance_id = find_instance(self.twin, self.project)
            time.sleep(0.5)
        instance_id = instance_id or find_instance(self.twin, self.project)
        if instance_id is None:
            raise StageError(f"site.yml made no instance (exit {deploy.wait()}):\n{play_recap(deploy_log)}")
        self.timeline.emit("demo", f"site.yml created instance {instance_id}; its service logs once it runs")
        self.instance = InstanceState(self.twin.client("ec2"), instance_id, self.timeline)
        self.watching = Watching(
            [SumoDeliveries(self.twin.sumo_url, self.timeline).poll, self.instance.poll], self.timeline
        )
        self.service = SimulatedService(
            source_url=f"{self.twin.sumo_url}/receiver/v1/http/{self.project}-access-logs",
            category=SOURCE_CATEGORY,
            host=instance_id,
            virtual_now=self.twin.now,
            instance_health=self.instance.health,
        )
        self.watching.start()
        self.service.start()
        code = deploy.wait()
        print(play_recap(deploy_log))
        if code != 0:
            raise StageError(f"site.yml failed (exit {code}); see {deploy_log}")
        self.deployment = Deployment.discover(self.twin, self.project)
        self.timeline.emit("demo", f"deployed; the monitor calls {self.deployment.function_url}")
        queue_url = subscribe_queue(
            self.twin, self.deployment.topic_arn, f"{self.project}-inbox-{uuid.uuid4().hex[:6]}"
        )
        self.notifications = Notifications(self.twin.client("sqs"), queue_url, self.timeline)
        self.watching.add(LambdaDecisions(self.twin.client("logs"), self.deployment.log_group, self.timeline).poll)
        self.watching.add(RunbookSteps(self.twin.client("ssm"), self.deployment.document_name, self.timeline).poll)
        self.watching.add(self.notifications.poll)

    def quiet(self) -> None:
        """Stop the service and the watchers (after a last poll, so late events are still shown)."""
        if self.service is not None:
            self.service.stop()
        time.sleep(1.0)
        if self.watching is not None:
            self.watching.stop()

    def teardown(self) -> tuple[int, str]:
        extra = ["-e", "confirm=yes"]
        if self.project != PROJECT:
            extra += ["-e", f"remediation_project={self.project}"]
        return run_playbook("playbooks/teardown.yml", self.log_dir / "teardown.log", *extra, twin=self.twin)
