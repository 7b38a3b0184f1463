"""The interface every action implements, and the context a running step receives (clock, AWS clients, signals)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from emulator.automation.signals import Signal, SignalChannel, StepCancelledError, StepTimedOutError
from emulator.automation.variables import VariableScope
from emulator.clock import ScaledClock

ClientFactory = Callable[[str], Any]


class RoleAssumptionError(Exception):
    """The role a document names in assumeRole could not be assumed."""


@dataclass(frozen=True)
class RoleSession:
    """AWS access as one assumed role: the clients steps call AWS with, and the environment scripts run in."""

    client_factory: ClientFactory
    script_environment: dict[str, str] | None


@runtime_checkable
class RoleAssumingClientFactory(Protocol):
    """A client factory that can also act as another role, as SSM acts as a document's assumeRole."""

    def __call__(self, service_name: str) -> Any: ...

    def assume_role(self, role_arn: str, session_name: str) -> RoleSession:
        """Clients and script environment with the role's credentials; raises RoleAssumptionError."""
        ...


class StepFailedError(Exception):
    """The action ran and failed; `failure_type` goes to FailureDetails (Verification, InvalidInput, ...)."""

    def __init__(
        self,
        message: str,
        failure_type: str = "Verification",
        response: Any = None,
        outputs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.failure_type = failure_type
        self.response = response
        self.outputs = outputs or {}


@dataclass
class StepOutcome:
    """What a successful action produced: typed outputs, the raw response (if any) and a branch's chosen step."""

    outputs: dict[str, Any] = field(default_factory=dict)
    response: Any = None
    next_step: str | None = None


@dataclass
class StepContext:
    """What an action may use while it runs. Every wait goes through `sleep` or `wait_for_signal` (the clock)."""

    clock: ScaledClock
    client_factory: ClientFactory
    scope: VariableScope
    step_name: str
    cancel_event: threading.Event
    signals: SignalChannel
    deadline: float | None
    script_environment: dict[str, str] | None = None
    on_waiting: Callable[[bool], None] | None = None
    executed_by: str = ""

    def check(self) -> None:
        """Raise when the step was cancelled or its time is up."""
        if self.cancel_event.is_set():
            raise StepCancelledError()
        if self.deadline is not None and self.clock.now() >= self.deadline:
            raise StepTimedOutError()

    def remaining(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - self.clock.now())

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` of virtual time, waking early (and raising) on cancel or timeout."""
        self.check()
        end = self.clock.now() + seconds
        while True:
            now = self.clock.now()
            if now >= end:
                return
            wake_at = end if self.deadline is None else min(end, self.deadline)
            if self.clock.wait_for(self.cancel_event, max(0.0, wake_at - now)):
                raise StepCancelledError()
            self.check()

    def wait_for_signal(self, accepted: frozenset[str]) -> Signal:
        return self.signals.wait(accepted, self.deadline, self.on_waiting)


class Action(ABC):
    """One automation action (e.g. aws:sleep). Document validation reads the class attributes; runs call execute()."""

    name: ClassVar[str]
    required_inputs: ClassVar[frozenset[str]] = frozenset()
    optional_inputs: ClassVar[frozenset[str]] = frozenset()
    # executeAwsApi-like actions take the API's own parameters as extra input keys.
    accepts_api_parameters: ClassVar[bool] = False
    # Outputs the action always produces, usable as {{ step.Name }} without declaring them.
    builtin_outputs: ClassVar[frozenset[str]] = frozenset()
    # Whether a step may declare its own outputs (Name/Selector/Type).
    allows_declared_outputs: ClassVar[bool] = False
    default_timeout_seconds: ClassVar[float | None] = None

    def check_inputs(self, step_name: str, inputs: dict[str, Any], step_names: frozenset[str]) -> list[str]:
        """Action-specific problems with literal inputs (variables are checked at run time)."""
        return []

    def referenced_steps(self, inputs: dict[str, Any]) -> list[str]:
        """Steps this action may jump to (branch)."""
        return []

    @abstractmethod
    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        """Run with resolved inputs; raise StepFailedError on failure."""
