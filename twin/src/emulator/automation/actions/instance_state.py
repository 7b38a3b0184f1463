"""aws:changeInstanceState: start/stop/terminate instances, then poll until they reach the desired state.

For `running` the step also waits until DescribeInstanceStatus reports InstanceStatus and SystemStatus `ok`.
An instance that is terminated (or shutting down) can never reach running or stopped, so the step fails at once.
"""

from __future__ import annotations

from typing import Any, ClassVar

from emulator.automation.actions.aws_api import call_api
from emulator.automation.actions.base import Action, StepContext, StepFailedError, StepOutcome
from emulator.automation.variables import is_variable

DESIRED_STATES = ("running", "stopped", "terminated")
# Virtual seconds between DescribeInstances / DescribeInstanceStatus polls.
STATE_POLL_SECONDS = 5.0
STATUS_POLL_SECONDS = 15.0
STATE_CHANGE_API = {"running": "StartInstances", "stopped": "StopInstances", "terminated": "TerminateInstances"}
UNREACHABLE_FROM = {"running": {"terminated", "shutting-down"}, "stopped": {"terminated", "shutting-down"}}


def _as_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise StepFailedError(f"{name} must be true or false, got {value!r}", "InvalidInput")


class ChangeInstanceState(Action):
    name = "aws:changeInstanceState"
    required_inputs = frozenset({"InstanceIds", "DesiredState"})
    optional_inputs = frozenset({"CheckStateOnly", "Force", "AdditionalInfo"})
    default_timeout_seconds: ClassVar[float | None] = 3600.0

    def check_inputs(self, step_name: str, inputs: dict[str, Any], step_names: frozenset[str]) -> list[str]:
        problems = []
        desired = inputs.get("DesiredState")
        if not is_variable(desired) and desired not in DESIRED_STATES:
            problems.append(f"DesiredState must be one of {list(DESIRED_STATES)}, got {desired!r}")
        instance_ids = inputs.get("InstanceIds")
        if not is_variable(instance_ids) and not isinstance(instance_ids, list):
            problems.append(f"InstanceIds must be a list of instance ids, got {instance_ids!r}")
        for flag in ("CheckStateOnly", "Force"):
            value = inputs.get(flag, False)
            if not is_variable(value) and not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
                problems.append(f"{flag} must be true or false, got {value!r}")
        return problems

    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        instance_ids = inputs["InstanceIds"]
        if isinstance(instance_ids, str):
            instance_ids = [instance_ids]
        if not isinstance(instance_ids, list) or not instance_ids or not all(isinstance(i, str) for i in instance_ids):
            raise StepFailedError(
                f"InstanceIds must be a non-empty list of strings, got {instance_ids!r}", "InvalidInput"
            )
        desired = inputs["DesiredState"]
        if desired not in DESIRED_STATES:
            raise StepFailedError(
                f"DesiredState must be one of {list(DESIRED_STATES)}, got {desired!r}", "InvalidInput"
            )
        check_only = _as_bool("CheckStateOnly", inputs.get("CheckStateOnly", False))
        force = _as_bool("Force", inputs.get("Force", False))
        context.check()
        if not check_only:
            parameters: dict[str, Any] = {"InstanceIds": instance_ids}
            if desired == "stopped" and force:
                parameters["Force"] = True
            call_api(context.client_factory, "ec2", STATE_CHANGE_API[desired], parameters)
        self._wait_for_state(instance_ids, desired, context)
        if desired == "running":
            self._wait_for_status_ok(instance_ids, context)
        return StepOutcome()

    def _wait_for_state(self, instance_ids: list[str], desired: str, context: StepContext) -> None:
        while True:
            context.check()
            response = call_api(context.client_factory, "ec2", "DescribeInstances", {"InstanceIds": instance_ids})
            states = {
                instance["InstanceId"]: instance["State"]["Name"]
                for reservation in response.get("Reservations", [])
                for instance in reservation.get("Instances", [])
            }
            missing = sorted(set(instance_ids) - set(states))
            if missing:
                raise StepFailedError(f"Instances {missing} were not found")
            stuck = {iid: state for iid, state in states.items() if state in UNREACHABLE_FROM.get(desired, set())}
            if stuck:
                raise StepFailedError(f"Instances cannot reach state {desired}: {stuck}")
            if all(state == desired for state in states.values()):
                return
            context.sleep(STATE_POLL_SECONDS)

    def _wait_for_status_ok(self, instance_ids: list[str], context: StepContext) -> None:
        while True:
            context.check()
            response = call_api(
                context.client_factory,
                "ec2",
                "DescribeInstanceStatus",
                {"InstanceIds": instance_ids, "IncludeAllInstances": True},
            )
            statuses = {item["InstanceId"]: item for item in response.get("InstanceStatuses", [])}
            if set(statuses) >= set(instance_ids) and all(
                item.get("InstanceStatus", {}).get("Status") == "ok"
                and item.get("SystemStatus", {}).get("Status") == "ok"
                for item in statuses.values()
            ):
                return
            context.sleep(STATUS_POLL_SECONDS)
