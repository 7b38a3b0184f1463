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

from demo.simulated_api import SimulatedService
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
    """Polls every watcher on one thread until stopped, counting the rounds so a wait can ask for a fresh one."""

    def __init__(
        self, pollers: list[Callable[[], None]], timeline: Timeline, after_round: Callable[[], None] | None = None
    ) -> None:
        self._pollers = pollers
        self._timeline = timeline
        self._after_round = after_round
        self._stop = threading.Event()
        self._round_done = threading.Condition()
        self.rounds = 0
        self._thread = threading.Thread(target=self._run, name="watchers", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, poller: Callable[[], None]) -> None:
        self._pollers = [*self._pollers, poller]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def await_fresh_round(self, timeout_seconds: float) -> bool:
        """Block until a round that began after this call has ended: what it saw is at least as new as now."""
        with self._round_done:
            target = self.rounds + 2  # the round under way may have read some hops before this call
            return self._round_done.wait_for(
                lambda: self.rounds >= target or self._stop.is_set(), timeout=timeout_seconds
            )

    def _run(self) -> None:
        while not self._stop.wait(0.3):
            for poll in self._pollers:
                try:
                    poll()
                except Exception as error:  # a watcher's hiccup must not end the narration
                    self._timeline.emit("demo", f"(watcher {poll.__qualname__} failed: {error})")
            if self._after_round is not None:
                try:
                    self._after_round()
                except Exception as error:
                    self._timeline.emit("demo", f"(clock governor failed: {error})")
            with self._round_done:
                self.rounds += 1
                self._round_done.notify_all()


class ClockGovernor:
    """Slows the twin's clock when the watchers fall behind it, so a busy machine narrates every hop, not a blur.

    After each round of the watchers it reads how much twin time the round took. When `rounds_to_act` rounds in a
    row each took more than `lag_limit_seconds`, it halves the clock's speed, never below `floor_speed`, and says so.
    Nothing depends on it for correctness: the waits are in twin time and the service follows the twin's power
    history. It only keeps the story readable.
    """

    def __init__(
        self,
        twin: Twin,
        timeline: Timeline,
        lag_limit_seconds: float = 120.0,
        floor_speed: float = 40.0,
        rounds_to_act: int = 3,
    ) -> None:
        self._twin = twin
        self._timeline = timeline
        self._lag_limit = lag_limit_seconds
        self._floor = floor_speed
        self._rounds_to_act = rounds_to_act
        self._lagging_rounds = 0
        self._last: float | None = None
        self.slowdowns: list[tuple[float, float]] = []  # (lag in twin seconds, new speed)

    def __call__(self) -> None:
        clock = self._twin.control.clock()
        now, speed = float(clock["now"]), float(clock["speed"])
        lag, self._last = (now - self._last if self._last is not None else 0.0), now
        self._lagging_rounds = self._lagging_rounds + 1 if lag > self._lag_limit else 0
        if self._lagging_rounds < self._rounds_to_act or speed <= self._floor:
            return
        self._lagging_rounds = 0
        slower = max(self._floor, speed / 2)
        self._twin.set_speed(slower)
        self.slowdowns.append((lag, slower))
        self._timeline.emit(
            "demo",
            f"machine busy: {self._rounds_to_act} rounds of watching in a row took over {self._lag_limit:.0f} s of "
            f"twin time each (the last {lag:.0f} s); slowing the twin clock "
            f"from {speed:g}x to {slower:g}x",
        )


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
    governor: ClockGovernor | None = None
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
        self.governor = ClockGovernor(self.twin, self.timeline)
        self.watching = Watching(
            [SumoDeliveries(self.twin.control, self.timeline).poll, self.instance.poll],
            self.timeline,
            after_round=self.governor,
        )
        self.service = SimulatedService(
            source_url=f"{self.twin.sumo_url}/receiver/v1/http/{self.project}-access-logs",
            category=SOURCE_CATEGORY,
            host=instance_id,
            read_power=lambda: self.twin.power_history(instance_id),
            narrate=lambda text: self.timeline.emit("service", text),
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
