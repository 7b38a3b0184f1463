"""EC2 realism on top of moto: state transitions and status checks that take virtual time, and AWS's state rules.

moto changes instance state at once and lets you reboot a stopped instance. Here (patched into moto's EC2 models,
so every reader of the state sees the same thing):
- RunInstances and StartInstances leave the instance `pending` for `pending_seconds`, then `running`;
- StopInstances leaves it `stopping` for `stopping_seconds`, then `stopped`;
- after a start, both status checks are `initializing` for `start_initializing_seconds`, then `ok`;
- RebootInstances keeps it `running`, and its status checks do not move: AWS documents no dip on a reboot, so by
  default (`reboot_status_dip_seconds` 0) checks that were `ok` stay `ok` (the stricter reading: `ok` right after
  RebootInstances proves nothing). A test that wants the kinder reading sets a dip through /_twin/ec2/timings, and
  the checks then read `initializing` for that long after each accepted reboot;
- a start whose launch check fails (`launch_check`, e.g. ebs_encryption.py: EBS volumes on a customer-managed KMS
  key that the caller may not grant EC2 the use of) is accepted, leaves the instance `pending` for
  `pending_seconds` as usual, and then ends `stopped` with the check's StateReason and StateTransitionReason;
- an instance marked impaired reports an `impaired` instance status check until marked ok again;
- DescribeInstanceStatus lists running instances only unless IncludeAllInstances is true (moto's own behaviour,
  as AWS documents it), so a pending instance is absent from the default answer;
- RebootInstances on an instance that is not `running` fails with IncorrectState (AWS's stricter behaviour:
  it refuses a reboot of a pending, stopping or stopped instance); StartInstances on a terminated, shutting-down or
  stopping instance and StopInstances on a terminated one fail with IncorrectInstanceState.
State is resolved lazily from the shared clock whenever moto lists instances, so no timer threads are needed.

Every accepted launch, start, stop, reboot and termination is also written to the instance's power history, with its
virtual time (`power_history`, served at /_twin/ec2/power-history). A workload simulated beside the twin reads it to
follow its instance exactly: it learns of a reboot because the twin recorded one, not from the status checks, which
by default do not move on a reboot at all.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.instances import Instance, InstanceBackend, StateReason

from emulator.aws.timings import TimedModel, VirtualTimings
from emulator.clock import Clock

PENDING = ("pending", 0)
RUNNING = ("running", 16)
STOPPING = ("stopping", 64)
STOPPED = ("stopped", 80)


@dataclass(frozen=True)
class Ec2Timings(VirtualTimings):
    """Virtual seconds each transition takes; the defaults are what a small instance typically shows."""

    pending_seconds: float = 20.0
    stopping_seconds: float = 30.0
    # Status checks are performed every minute and nothing says a reboot moves them (see the module docstring).
    reboot_status_dip_seconds: float = 0.0
    start_initializing_seconds: float = 90.0


@dataclass(frozen=True)
class LaunchFailure:
    """Why a start EC2 accepted could not complete: what DescribeInstances reports once the instance is stopped."""

    code: str  # StateReason.Code, e.g. Client.InternalError
    message: str  # StateReason.Message
    transition_reason: str  # StateTransitionReason


# Decides, inside the StartInstances call, whether the start of `instance` will fail; None lets it complete.
LaunchCheck = Callable[[Instance], LaunchFailure | None]


@dataclass
class _InstanceTimeline:
    """What the twin knows beyond moto about one instance: a transition in flight and its status-check window."""

    instance: Instance
    transition_to: tuple[str, int] | None = None
    transition_at: float = 0.0
    # Set when the transition in flight is a start that will fail: the reason the instance then reports.
    failure: LaunchFailure | None = None
    initializing_until: float = 0.0
    impaired: bool = False


@dataclass(frozen=True)
class PowerEvent:
    """One accepted power action on an instance, at the virtual time EC2 accepted it."""

    at: float
    action: str  # launch, start, stop, reboot or terminate

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "action": self.action}


class IncorrectStateError(EC2ClientError):
    def __init__(self, code: str, instance_id: str, action: str) -> None:
        super().__init__(code, f"The instance '{instance_id}' is not in a state from which it can be {action}.")


class Ec2Lifecycle(TimedModel[Ec2Timings]):
    """Per-instance timelines on the shared clock; moto's EC2 models consult it once `install` has run."""

    def __init__(
        self, clock: Clock, timings: Ec2Timings | None = None, launch_check: LaunchCheck | None = None
    ) -> None:
        super().__init__(clock, timings or Ec2Timings(), threading.RLock())
        self._launch_check = launch_check
        self._timelines: dict[str, _InstanceTimeline] = {}
        # Kept apart from the timelines, which moto's instance objects key, so a terminated instance's history stays.
        self._power_history: dict[str, list[PowerEvent]] = {}

    def power_history(self, instance_id: str) -> list[PowerEvent] | None:
        """Every power action accepted for `instance_id`, oldest first; None for an instance the twin never saw."""
        with self._lock:
            history = self._power_history.get(instance_id)
            return None if history is None else list(history)

    def _record(self, instance: Instance, action: str) -> None:
        self._power_history.setdefault(instance.id, []).append(PowerEvent(self._clock.now(), action))

    def set_health(self, instance: Instance, impaired: bool) -> None:
        with self._lock:
            self._timeline(instance).impaired = impaired

    def _timeline(self, instance: Instance) -> _InstanceTimeline:
        timeline = self._timelines.get(instance.id)
        if timeline is None or timeline.instance is not instance:
            timeline = self._timelines[instance.id] = _InstanceTimeline(instance)
        return timeline

    def settle(self) -> None:
        """Finish every transition whose time has come."""
        now = self._clock.now()
        with self._lock:
            for timeline in self._timelines.values():
                if timeline.transition_to is not None and timeline.transition_at <= now:
                    _set_state(timeline.instance, timeline.transition_to)
                    if timeline.failure is not None:
                        _set_reason(timeline.instance, timeline.failure)
                    timeline.transition_to = None
                    timeline.failure = None

    def _begin(
        self,
        instance: Instance,
        during: tuple[str, int],
        then: tuple[str, int],
        seconds: float,
        failure: LaunchFailure | None = None,
    ) -> None:
        timeline = self._timeline(instance)
        _set_state(instance, during)
        timeline.transition_to = then
        timeline.transition_at = self._clock.now() + seconds
        timeline.failure = failure
        if then == RUNNING:
            timeline.initializing_until = timeline.transition_at + self.timings.start_initializing_seconds

    def _keep_in_flight(self, instance: Instance, during: tuple[str, int]) -> None:
        """moto jumped to the end state; put back the transition already under way."""
        _set_state(instance, during)

    # --- hooks run inside moto's backend calls -------------------------------------------------------------------

    def before_start(self, instances: list[Instance]) -> dict[str, str]:
        self.settle()
        for instance in instances:
            if instance.state in {"terminated", "shutting-down", "stopping"}:
                raise IncorrectStateError("IncorrectInstanceState", instance.id, "started")
        return {instance.id: instance.state for instance in instances}

    def after_start(self, instances: list[Instance], previous: dict[str, str]) -> None:
        with self._lock:
            for instance in instances:
                if previous.get(instance.id) == "stopped":
                    self._begin_start(instance)
                    self._record(instance, "start")
                elif previous.get(instance.id) == "pending":
                    self._keep_in_flight(instance, PENDING)

    def _begin_start(self, instance: Instance) -> None:
        """pending, then running; or, when the launch check fails, pending for as long and then stopped."""
        failure = self._launch_check(instance) if self._launch_check is not None else None
        then = RUNNING if failure is None else STOPPED
        self._begin(instance, PENDING, then, self.timings.pending_seconds, failure)

    def before_stop(self, instances: list[Instance]) -> dict[str, str]:
        self.settle()
        for instance in instances:
            if instance.state in {"terminated", "shutting-down"}:
                raise IncorrectStateError("IncorrectInstanceState", instance.id, "stopped")
        return {instance.id: instance.state for instance in instances}

    def after_stop(self, instances: list[Instance], previous: dict[str, str]) -> None:
        with self._lock:
            for instance in instances:
                if previous.get(instance.id) in {"running", "pending"}:
                    self._begin(instance, STOPPING, STOPPED, self.timings.stopping_seconds)
                    self._record(instance, "stop")
                elif previous.get(instance.id) == "stopping":
                    self._keep_in_flight(instance, STOPPING)

    def before_reboot(self, instances: list[Instance]) -> None:
        self.settle()
        for instance in instances:
            if instance.state != "running":
                raise IncorrectStateError("IncorrectState", instance.id, "rebooted")

    def after_reboot(self, instances: list[Instance]) -> None:
        with self._lock:
            until = self._clock.now() + self.timings.reboot_status_dip_seconds
            for instance in instances:
                timeline = self._timeline(instance)
                timeline.initializing_until = max(timeline.initializing_until, until)
                self._record(instance, "reboot")

    def after_launch(self, instances: list[Instance]) -> None:
        with self._lock:
            for instance in instances:
                self._begin(instance, PENDING, RUNNING, self.timings.pending_seconds)
                self._record(instance, "launch")

    def after_terminate(self, instances: list[Instance]) -> None:
        with self._lock:
            for instance in instances:
                if self._timelines.pop(instance.id, None) is not None:
                    self._record(instance, "terminate")

    def status_check(self, instance: Instance, check: str) -> dict[str, Any] | None:
        """The instance or system status check, or None to let moto answer (instances the twin never touched)."""
        timeline = self._timelines.get(instance.id)
        if timeline is None or timeline.instance is not instance:
            return None
        if instance.state != "running":
            return {"Status": "not-applicable"}
        if check == "instance" and timeline.impaired:
            return {"Status": "impaired", "Details": [{"Name": "reachability", "Status": "failed"}]}
        if self._clock.now() < timeline.initializing_until:
            return {"Status": "initializing", "Details": [{"Name": "reachability", "Status": "initializing"}]}
        return {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}


def _set_state(instance: Instance, state: tuple[str, int]) -> None:
    instance._state.name, instance._state.code = state


def _set_reason(instance: Instance, failure: LaunchFailure) -> None:
    instance._reason = failure.transition_reason
    instance.state_reason = StateReason(failure.message, failure.code)


# --- patching moto -------------------------------------------------------------------------------------------------

_active: Ec2Lifecycle | None = None
_install_lock = threading.Lock()
_patched = False


def activate(lifecycle: Ec2Lifecycle | None) -> None:
    """Make `lifecycle` the one moto consults (None restores moto's own behaviour); patches moto on first use."""
    global _active
    with _install_lock:
        _patch_moto_once()
        _active = lifecycle


def _patch_moto_once() -> None:
    global _patched
    if _patched:
        return
    _patched = True
    original_all_reservations = InstanceBackend.all_reservations
    original_start = InstanceBackend.start_instances
    original_stop = InstanceBackend.stop_instances
    original_reboot = InstanceBackend.reboot_instances
    original_run = InstanceBackend.run_instances
    original_terminate = InstanceBackend.terminate_instances

    def all_reservations(self: InstanceBackend, filters: Any = None) -> Any:
        if _active is not None:
            _active.settle()
        return original_all_reservations(self, filters)

    def start_instances(self: InstanceBackend, instance_ids: list[str]) -> Any:
        if _active is None:
            return original_start(self, instance_ids)
        instances = self.get_multi_instances_by_id(instance_ids)
        previous = _active.before_start(instances)
        result = original_start(self, instance_ids)
        _active.after_start(instances, previous)
        return result

    def stop_instances(self: InstanceBackend, instance_ids: list[str]) -> Any:
        if _active is None:
            return original_stop(self, instance_ids)
        instances = self.get_multi_instances_by_id(instance_ids)
        previous = _active.before_stop(instances)
        result = original_stop(self, instance_ids)
        _active.after_stop(instances, previous)
        return result

    def reboot_instances(self: InstanceBackend, instance_ids: list[str]) -> Any:
        if _active is None:
            return original_reboot(self, instance_ids)
        instances = self.get_multi_instances_by_id(instance_ids)
        _active.before_reboot(instances)
        result = original_reboot(self, instance_ids)
        _active.after_reboot(instances)
        return result

    @functools.wraps(original_run)
    def run_instances(self: InstanceBackend, *args: Any, **kwargs: Any) -> Any:
        reservation = original_run(self, *args, **kwargs)
        if _active is not None:
            _active.after_launch(list(reservation.instances))
        return reservation

    def terminate_instances(self: InstanceBackend, instance_ids: list[str]) -> Any:
        result = original_terminate(self, instance_ids)
        if _active is not None:
            _active.after_terminate([instance for instance, _previous in result])
        return result

    InstanceBackend.all_reservations = all_reservations  # type: ignore[method-assign]
    InstanceBackend.start_instances = start_instances  # type: ignore[method-assign]
    InstanceBackend.stop_instances = stop_instances  # type: ignore[method-assign]
    InstanceBackend.reboot_instances = reboot_instances  # type: ignore[method-assign]
    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]
    InstanceBackend.terminate_instances = terminate_instances  # type: ignore[method-assign]
    Instance.instance_status = _status_property(Instance.instance_status, "instance")  # type: ignore[method-assign]
    Instance.system_status = _status_property(Instance.system_status, "system")  # type: ignore[method-assign]


def _status_property(original: property, check: str) -> property:
    read_original: Callable[[Instance], dict[str, Any]] = original.fget  # type: ignore[assignment]

    def status(self: Instance) -> dict[str, Any]:
        answer = _active.status_check(self, check) if _active is not None else None
        return answer if answer is not None else read_original(self)

    return property(status)
