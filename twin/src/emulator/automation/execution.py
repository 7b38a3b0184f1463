"""One automation execution: its state (what GetAutomationExecution reports) and the runner that walks its steps."""

from __future__ import annotations

import json
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.automation.actions import StepContext, StepFailedError, StepOutcome
from emulator.automation.actions.base import ClientFactory, RoleAssumingClientFactory, RoleAssumptionError
from emulator.automation.document import AutomationDocument, StepDefinition
from emulator.automation.outputs import OutputTypeError, coerce_output, output_to_wire, select
from emulator.automation.parameters import to_wire_values
from emulator.automation.signals import SignalChannel, StepCancelledError, StepTimedOutError
from emulator.automation.variables import UnresolvedOutputError, VariableScope, substitute
from emulator.clock import ScaledClock

FINAL_STATUSES = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})
NO_OUTPUT_YET = "No output available yet because the step is not successfully executed"
# AWS gives the onCancel workflow at most two minutes.
CANCEL_WORKFLOW_SECONDS = 120.0
# A guard against runbooks whose nextStep/branch loops never end (this engine's limit, not a documented AWS one).
MAX_STEP_EXECUTIONS = 1000


@dataclass
class StepExecutionRecord:
    """One step as it ran (or runs): what DescribeAutomationStepExecutions reports."""

    step: StepDefinition
    valid_next_steps: list[str]
    step_execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "Pending"
    start_time: float | None = None
    end_time: float | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)
    response: str | None = None
    failure_message: str | None = None
    failure_details: dict[str, Any] | None = None
    next_step: str | None = None

    def to_wire(self) -> dict[str, Any]:
        step = self.step
        wire: dict[str, Any] = {
            "StepName": step.name,
            "Action": step.action,
            "OnFailure": step.on_failure,
            "MaxAttempts": step.max_attempts,
            "StepStatus": self.status,
            "Inputs": dict(self.inputs),
            "Outputs": {name: list(values) for name, values in self.outputs.items()},
            "StepExecutionId": self.step_execution_id,
            "OverriddenParameters": {},
            "IsEnd": step.is_end,
            "IsCritical": step.is_critical,
            "ValidNextSteps": list(self.valid_next_steps),
        }
        optional = {
            "TimeoutSeconds": int(step.timeout_seconds) if step.timeout_seconds is not None else None,
            "ExecutionStartTime": self.start_time,
            "ExecutionEndTime": self.end_time,
            "Response": self.response,
            "FailureMessage": self.failure_message,
            "FailureDetails": self.failure_details,
            "NextStep": self.next_step,
        }
        wire.update({key: value for key, value in optional.items() if value is not None})
        return wire


@dataclass
class ExecutionSettings:
    """What every execution of one service shares."""

    clock: ScaledClock
    client_factory: ClientFactory
    account_id: str
    region: str
    script_environment: dict[str, str] | None


class AutomationExecution:
    """State of one execution; all mutation happens under `lock`, and `to_wire` renders a consistent snapshot."""

    def __init__(
        self,
        *,
        document_name: str,
        document_version: str,
        document: AutomationDocument,
        parameters: dict[str, Any],
        settings: ExecutionSettings,
        executed_by: str,
        mode: str = "Auto",
        parent_id: str | None = None,
        target: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> None:
        self.execution_id = str(uuid.uuid4())
        self.document_name = document_name
        self.document_version = document_version
        self.document = document
        self.parameters = parameters
        self.settings = settings
        self.executed_by = executed_by
        self.mode = mode
        self.parent_id = parent_id
        self.target = target
        self.tags = tags or []
        # Set only on a parent with Targets.
        self.targets: list[dict[str, Any]] | None = None
        self.target_parameter_name: str | None = None
        # A parent reports the Parameters it was started with; its children get typed values.
        self.supplied_parameters: dict[str, list[str]] = {}
        self.resolved_targets: list[str] | None = None
        self.max_concurrency: str | None = None
        self.max_errors: str | None = None
        self.children: list[AutomationExecution] = []

        self.lock = threading.RLock()
        self.status = "Pending"
        self.start_time = settings.clock.now()
        self.end_time: float | None = None
        self.failure_message: str | None = None
        self.steps: list[StepExecutionRecord] = []
        self.step_outputs: dict[str, dict[str, Any]] = {}
        self.succeeded_steps: set[str] = set()
        self.current_step: StepDefinition | None = None
        self.cancel_event = threading.Event()
        self.cancel_requested = False
        self.signals = SignalChannel(settings.clock, self.cancel_event)
        self.done = threading.Event()
        self._done_listeners: list[Callable[[AutomationExecution], None]] = []

    # ---- state changes -------------------------------------------------------------------------------------------

    @property
    def is_finished(self) -> bool:
        return self.status in FINAL_STATUSES

    def add_done_listener(self, listener: Callable[[AutomationExecution], None]) -> None:
        with self.lock:
            if not self.is_finished:
                self._done_listeners.append(listener)
                return
        listener(self)

    def request_cancel(self) -> None:
        with self.lock:
            self.cancel_requested = True
            self.status = "Cancelling"
        self.cancel_event.set()
        self.signals.wake()
        for child in list(self.children):
            if not child.is_finished:
                child.request_cancel()

    def set_waiting(self, waiting: bool) -> None:
        """A step started or stopped waiting for a signal: execution and step report Waiting meanwhile."""
        with self.lock:
            if self.steps and self.steps[-1].status in ("InProgress", "Waiting"):
                self.steps[-1].status = "Waiting" if waiting else "InProgress"
            if self.cancel_requested:
                self.status = "Cancelling"
            else:
                self.status = "Waiting" if waiting else "InProgress"

    def finish(self, status: str, failure_message: str | None = None) -> None:
        with self.lock:
            self.status = status
            self.failure_message = failure_message
            self.end_time = self.settings.clock.now()
            self.current_step = None
            listeners, self._done_listeners = self._done_listeners, []
        self.done.set()
        for listener in listeners:
            listener(self)

    # ---- wire shapes ---------------------------------------------------------------------------------------------

    def outputs_to_wire(self) -> dict[str, list[str]]:
        outputs: dict[str, list[str]] = {}
        for reference in self.document.outputs:
            step_name, _, output_name = reference.partition(".")
            values = self.step_outputs.get(step_name, {})
            if step_name in self.succeeded_steps and output_name in values:
                outputs[reference] = output_to_wire(values[output_name])
            else:
                outputs[reference] = [NO_OUTPUT_YET]
        return outputs

    def _common_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "AutomationExecutionId": self.execution_id,
            "DocumentName": self.document_name,
            "DocumentVersion": self.document_version,
            "AutomationExecutionStatus": self.status,
            "ExecutionStartTime": self.start_time,
            "ExecutedBy": self.executed_by,
            "Outputs": self.outputs_to_wire(),
            "Mode": self.mode,
        }
        optional = {
            "ExecutionEndTime": self.end_time,
            "FailureMessage": self.failure_message,
            "ParentAutomationExecutionId": self.parent_id,
            "CurrentStepName": self.current_step.name if self.current_step else None,
            "CurrentAction": self.current_step.action if self.current_step else None,
            "TargetParameterName": self.target_parameter_name,
            "Targets": self.targets,
            "ResolvedTargets": (
                {"ParameterValues": list(self.resolved_targets), "Truncated": False}
                if self.resolved_targets is not None
                else None
            ),
            "MaxConcurrency": self.max_concurrency,
            "MaxErrors": self.max_errors,
            "Target": self.target,
        }
        wire.update({key: value for key, value in optional.items() if value is not None})
        return wire

    def to_wire(self) -> dict[str, Any]:
        """GetAutomationExecution's AutomationExecution."""
        with self.lock:
            wire = self._common_wire()
            wire["StepExecutions"] = [record.to_wire() for record in self.steps]
            wire["StepExecutionsTruncated"] = False
            if self.resolved_targets is not None:
                wire["Parameters"] = {name: list(values) for name, values in self.supplied_parameters.items()}
            else:
                wire["Parameters"] = {name: to_wire_values(value) for name, value in self.parameters.items()}
            if self.children:
                wire["ProgressCounters"] = self._progress_counters()
            return wire

    def to_metadata(self) -> dict[str, Any]:
        """DescribeAutomationExecutions' AutomationExecutionMetadata."""
        with self.lock:
            wire = self._common_wire()
            wire["AutomationType"] = "Local"
            return wire

    def _progress_counters(self) -> dict[str, int]:
        statuses = [child.status for child in self.children]
        return {
            "TotalSteps": len(self.resolved_targets or []),
            "SuccessSteps": statuses.count("Success"),
            "FailedSteps": statuses.count("Failed"),
            "CancelledSteps": statuses.count("Cancelled"),
            "TimedOutSteps": statuses.count("TimedOut"),
        }


class ExecutionRunner:
    """Walks a document's steps for one execution, applying nextStep, isEnd, onFailure, onCancel and retries.

    Steps act as the document's assumeRole when it names one and the client factory can assume roles (the twin's
    can, through STS AssumeRole, with the execution id as session name); otherwise as the factory's own identity.
    """

    def __init__(self, execution: AutomationExecution) -> None:
        self.execution = execution
        self.settings = execution.settings
        self.document = execution.document
        self.client_factory: ClientFactory = execution.settings.client_factory
        self.script_environment: dict[str, str] | None = execution.settings.script_environment

    def start(self) -> None:
        threading.Thread(target=self.run, name=f"automation-{self.execution.execution_id}", daemon=True).start()

    def run(self) -> None:
        execution = self.execution
        try:
            self._run_steps()
        except Exception as error:  # the thread must always leave a final status behind
            execution.finish("Failed", f"Internal error in the automation engine: {error!r}")
            traceback.print_exc()

    def _run_steps(self) -> None:
        execution = self.execution
        with execution.lock:
            if execution.cancel_requested:
                execution.finish("Cancelled")
                return
            execution.status = "InProgress"
        try:
            self._act_as_assume_role()
        except RoleAssumptionError as error:
            execution.finish("Failed", f"The defined assume role is unable to be assumed: {error}")
            return
        first_failure: tuple[str, str] | None = None
        cancel_deadline: float | None = None
        step_name: str | None = self.document.steps[0].name
        while step_name is not None:
            if len(execution.steps) >= MAX_STEP_EXECUTIONS:
                first_failure = first_failure or (
                    "Failed",
                    f"The execution ran {MAX_STEP_EXECUTIONS} steps without ending; is there an endless loop?",
                )
                break
            step = self.document.step(step_name)
            status, outcome, message = self._run_step(step, cancel_deadline)
            cancelled_now = execution.cancel_event.is_set() and cancel_deadline is None
            if status == "Cancelled" or cancelled_now:
                if step.on_cancel_step is None:
                    break
                # The onCancel workflow runs with cancellation lifted, for at most two minutes.
                cancel_deadline = self.settings.clock.now() + CANCEL_WORKFLOW_SECONDS
                execution.cancel_event.clear()
                step_name = step.on_cancel_step
                continue
            if status == "Success":
                if step.is_end:
                    break
                step_name = (
                    (outcome.next_step if outcome else None) or step.next_step or self.document.step_after(step.name)
                )
                continue
            if step.is_critical and first_failure is None:
                first_failure = (status, message or f"Step {step.name} {status}")
            if step.on_failure == "Abort" or step.is_end:
                break
            step_name = step.on_failure_step or step.next_step or self.document.step_after(step.name)
        if execution.cancel_requested:
            execution.finish("Cancelled")
        elif first_failure is not None:
            execution.finish(first_failure[0], first_failure[1])
        else:
            execution.finish("Success")

    def _act_as_assume_role(self) -> None:
        """Take the credentials of the document's assumeRole, when it names one and the factory can assume it."""
        factory = self.settings.client_factory
        if self.document.assume_role is None or not isinstance(factory, RoleAssumingClientFactory):
            return
        role_arn = substitute(self.document.assume_role, self._scope())
        if not isinstance(role_arn, str) or not role_arn.strip():
            return  # empty: the execution acts with the permissions of whoever started it
        session = factory.assume_role(role_arn.strip(), self.execution.execution_id)
        self.client_factory = session.client_factory
        self.script_environment = session.script_environment

    def _scope(self) -> VariableScope:
        execution = self.execution
        with execution.lock:
            statuses = {run.step.name: run.status for run in execution.steps}
        return VariableScope(
            parameters=execution.parameters,
            execution_id=execution.execution_id,
            account_id=self.settings.account_id,
            region=self.settings.region,
            now=self.settings.clock.now(),
            step_outputs=execution.step_outputs,
            step_statuses=statuses,
        )

    def _valid_next_steps(self, step: StepDefinition) -> list[str]:
        if step.is_end:
            return []
        jumps = step.action_handler.referenced_steps(step.inputs)
        following = step.next_step or self.document.step_after(step.name)
        return list(dict.fromkeys(jumps + ([following] if following else [])))

    def _run_step(
        self, step: StepDefinition, cancel_deadline: float | None
    ) -> tuple[str, StepOutcome | None, str | None]:
        """Run one step with its retries; returns (status, outcome, execution failure message)."""
        execution, clock = self.execution, self.settings.clock
        record = StepExecutionRecord(step=step, valid_next_steps=self._valid_next_steps(step))
        with execution.lock:
            execution.steps.append(record)
            execution.current_step = step
            record.status = "InProgress"
            record.start_time = clock.now()
        attempt = 0
        while True:
            attempt += 1
            status, outcome, failure = self._attempt(step, record, cancel_deadline)
            if status in ("Success", "Cancelled") or attempt >= step.max_attempts or execution.cancel_event.is_set():
                break
        with execution.lock:
            record.status = status
            record.end_time = clock.now()
            if outcome is not None:
                record.next_step = outcome.next_step
        if status == "Success":
            return status, outcome, None
        if status == "Cancelled":
            return status, None, None
        assert failure is not None
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        return status, None, f"Step {step.name} {'timed out' if status == 'TimedOut' else 'failed'}{tries}: {failure}"

    def _attempt(
        self, step: StepDefinition, record: StepExecutionRecord, cancel_deadline: float | None
    ) -> tuple[str, StepOutcome | None, str | None]:
        execution, clock = self.execution, self.settings.clock
        scope = self._scope()
        try:
            inputs = substitute(step.inputs, scope)
        except UnresolvedOutputError as error:
            # The stricter reading of what AWS leaves undocumented: reading an output that has no value fails the step.
            message = f"Step {step.name} reads {error.reference}, which has no value: {error.why}"
            self._record_failure(step, record, message, "InvalidInput", {}, None)
            return "Failed", None, message
        timeout = step.effective_timeout_seconds
        deadline = clock.now() + timeout if timeout is not None else None
        if cancel_deadline is not None:
            deadline = cancel_deadline if deadline is None else min(deadline, cancel_deadline)
        with execution.lock:
            record.inputs = {name: json.dumps(value) for name, value in inputs.items()}
        context = StepContext(
            clock=clock,
            client_factory=self.client_factory,
            scope=scope,
            step_name=step.name,
            cancel_event=execution.cancel_event,
            signals=execution.signals,
            deadline=deadline,
            script_environment=self.script_environment,
            on_waiting=execution.set_waiting,
            executed_by=execution.executed_by,
        )
        try:
            try:
                outcome = step.action_handler.execute(inputs, context)
            finally:
                execution.signals.reset()
            outputs = dict(outcome.outputs)
            for declared in step.outputs:
                found, value = select(outcome.response, declared.selector)
                if found:
                    outputs[declared.name] = coerce_output(value, declared.type)
        except StepFailedError as error:
            self._record_failure(step, record, error.message, error.failure_type, error.outputs, error.response)
            return "Failed", None, error.message
        except OutputTypeError as error:
            self._record_failure(step, record, f"Output selection failed: {error}", "Verification", {}, None)
            return "Failed", None, str(error)
        except StepTimedOutError:
            message = f"Step timed out after {timeout if timeout is not None else CANCEL_WORKFLOW_SECONDS:.0f} seconds"
            self._record_failure(step, record, message, "Timeout", {}, None)
            return "TimedOut", None, message
        except StepCancelledError:
            with execution.lock:
                record.failure_message = "Step cancelled"
            return "Cancelled", None, None
        except Exception as error:  # an action bug or an unexpected SDK error fails the step, not the engine
            message = f"{type(error).__name__}: {error}"
            self._record_failure(step, record, message, "Unknown", {}, None)
            return "Failed", None, message
        with execution.lock:
            execution.step_outputs[step.name] = outputs
            execution.succeeded_steps.add(step.name)
            record.outputs = {name: output_to_wire(value) for name, value in outputs.items()}
            record.response = json.dumps(outcome.response) if outcome.response is not None else None
            record.failure_message = None
            record.failure_details = None
        return "Success", outcome, None

    def _record_failure(
        self,
        step: StepDefinition,
        record: StepExecutionRecord,
        message: str,
        failure_type: str,
        outputs: dict[str, Any],
        response: Any,
    ) -> None:
        execution = self.execution
        with execution.lock:
            if outputs:
                execution.step_outputs[step.name] = outputs
                record.outputs = {name: output_to_wire(value) for name, value in outputs.items()}
            if response is not None:
                record.response = json.dumps(response)
            record.failure_message = message
            record.failure_details = {
                "FailureStage": "Inputs" if failure_type == "InvalidInput" else "Execution",
                "FailureType": failure_type,
                "Details": {"ExceptionMessage": [message]},
            }
