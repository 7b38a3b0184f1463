"""The Automation API as a library: one method per SSM operation, request and response dicts in botocore's wire shapes.

The HTTP front parses requests into these dicts and renders the returned dicts (and AutomationError) as JSON.
"""

from __future__ import annotations

import base64
import enum
import functools
import hashlib
import json
import re
import threading
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError
from botocore.validate import ParamValidator

from emulator.automation.actions.base import ClientFactory
from emulator.automation.document import AutomationDocument, validate_document
from emulator.automation.document_source import DocumentSource
from emulator.automation.errors import AutomationError, invalid_parameters, validation_error
from emulator.automation.execution import AutomationExecution, ExecutionRunner, ExecutionSettings
from emulator.automation.parameters import resolve_parameters
from emulator.automation.signals import Signal
from emulator.automation.targets import DEFAULT_MAX_CONCURRENCY, ParentRunner, check_rate_control, resolve_targets
from emulator.clock import ScaledClock

DOCUMENT_NAME = re.compile(r"^[a-zA-Z0-9_\-.:/]{3,128}$")
DOCUMENT_VERSION = re.compile(r"^(\$LATEST|\$DEFAULT|[1-9][0-9]*)$")
UNSUPPORTED_START_MEMBERS = ("TargetMaps", "TargetLocations", "TargetLocationsURL", "AlarmConfiguration")
EXECUTION_FILTER_KEYS = (
    "DocumentNamePrefix", "ExecutionStatus", "ExecutionId", "ParentExecutionId", "CurrentAction", "StartTimeBefore",
    "StartTimeAfter", "AutomationType", "TagKey", "TargetResourceGroup", "AutomationSubtype", "OpsItemId",
)  # fmt: skip
STEP_FILTER_KEYS = (
    "StartTimeBefore", "StartTimeAfter", "StepExecutionStatus", "StepExecutionId", "StepName", "Action",
    "ParentStepExecutionId", "ParentStepIteration", "ParentStepIteratorValue",
)  # fmt: skip
MAX_PAGE = 50


class TokenReuse(enum.Enum):
    """What StartAutomationExecution answers to an identical request with a ClientToken already used."""

    REFUSE = "refuse"  # the stricter reading, the default: IdempotentParameterMismatch
    SAME_EXECUTION = "same_execution"  # the kinder one: the execution the token started


@functools.cache
def _ssm_model() -> Any:
    """botocore's SSM model (loading it takes a second, so once per process)."""
    return botocore.session.get_session().get_service_model("ssm")


class AutomationService:
    """SSM Automation: StartAutomationExecution and the APIs that watch and steer executions."""

    def __init__(
        self,
        clock: ScaledClock,
        client_factory: ClientFactory,
        document_source: DocumentSource,
        account_id: str,
        region: str,
        script_environment: dict[str, str] | None = None,
    ) -> None:
        self.document_source = document_source
        self.settings = ExecutionSettings(
            clock=clock,
            client_factory=client_factory,
            account_id=account_id,
            region=region,
            script_environment=script_environment,
        )
        self._model = _ssm_model()
        self._lock = threading.Lock()
        self._executions: dict[str, AutomationExecution] = {}
        self._client_tokens: dict[str, tuple[str, str]] = {}
        self.token_reuse = TokenReuse.REFUSE
        self._documents: dict[str, AutomationDocument] = {}

    # ---- StartAutomationExecution --------------------------------------------------------------------------------

    def start_automation_execution(self, request: dict[str, Any], caller: str | None = None) -> dict[str, Any]:
        """Start an execution. A ClientToken "can't be reused" (API reference): a reuse with other parameters is
        IdempotentParameterMismatch, as documented; an identical reuse, which AWS does not document, is refused the
        same way unless `token_reuse` is SAME_EXECUTION, the kinder reading that answers with the first execution."""
        self._validate_request("StartAutomationExecution", request)
        token = request.get("ClientToken")
        fingerprint = self._fingerprint(request)
        if token is not None:
            with self._lock:
                known = self._client_tokens.get(token.lower())
            if known is not None:
                return self._reused_token(token, fingerprint, known)
        execution = self._create(request, caller)
        if token is not None:
            with self._lock:
                known = self._client_tokens.setdefault(token.lower(), (fingerprint, execution.execution_id))
            if known[1] != execution.execution_id:  # a concurrent start with the same token won
                return self._reused_token(token, fingerprint, known)
        self._launch(execution)
        return {"AutomationExecutionId": execution.execution_id}

    def _reused_token(self, token: str, fingerprint: str, known: tuple[str, str]) -> dict[str, Any]:
        if known[0] != fingerprint:
            raise AutomationError(
                "IdempotentParameterMismatch", f"ClientToken {token} was already used with a different request"
            )
        if self.token_reuse is TokenReuse.REFUSE:
            raise AutomationError(
                "IdempotentParameterMismatch", f"ClientToken {token} was already used; a ClientToken can't be reused"
            )
        return {"AutomationExecutionId": known[1]}

    def _create(self, request: dict[str, Any], caller: str | None) -> AutomationExecution:
        name = request["DocumentName"]
        if not DOCUMENT_NAME.match(name):
            raise validation_error(f"DocumentName {name!r} must match {DOCUMENT_NAME.pattern}")
        version = request.get("DocumentVersion")
        if version is not None and not DOCUMENT_VERSION.match(version):
            raise validation_error(f"DocumentVersion {version!r} must be $DEFAULT, $LATEST or a version number")
        mode = request.get("Mode", "Auto")
        if mode != "Auto":
            raise validation_error(f"Mode {mode!r} is not supported by this engine; expected Auto")
        for member in UNSUPPORTED_START_MEMBERS:
            if request.get(member):
                raise validation_error(f"{member} is not supported by this engine")
        targets, target_parameter = request.get("Targets"), request.get("TargetParameterName")
        if target_parameter and not targets:
            raise validation_error("TargetParameterName is given but Targets is missing")
        if targets and not target_parameter:
            raise validation_error("Targets need TargetParameterName, the parameter that receives each target")
        check_rate_control(request.get("MaxConcurrency"), request.get("MaxErrors"))
        document, resolved_version = self._document(name, version)
        supplied = request.get("Parameters") or {}
        executed_by = caller or f"arn:aws:iam::{self.settings.account_id}:root"
        common = {
            "document_name": name,
            "document_version": resolved_version,
            "document": document,
            "settings": self.settings,
            "executed_by": executed_by,
            "tags": request.get("Tags"),
        }
        if not targets:
            parameters = resolve_parameters(document.parameters, supplied, self._ssm_parameter)
            return AutomationExecution(parameters=parameters, **common)
        if target_parameter not in document.parameters:
            raise invalid_parameters(
                f"TargetParameterName {target_parameter!r} is not a parameter of {name}; "
                f"expected one of {sorted(document.parameters)} (names are case sensitive)"
            )
        if target_parameter in supplied:
            raise invalid_parameters(f"Parameter {target_parameter!r} is set by the targets; do not pass it as well")
        target_type = self.document_source.target_type(name, resolved_version)
        values = resolve_targets(targets, self.settings.client_factory, target_type)
        for value in values:  # every child's parameters must be valid before anything starts
            resolve_parameters(document.parameters, {**supplied, target_parameter: [value]}, self._ssm_parameter)
        parent = AutomationExecution(parameters={}, **common)
        parent.supplied_parameters = supplied
        parent.targets = targets
        parent.target_parameter_name = target_parameter
        parent.resolved_targets = values
        parent.max_concurrency = request.get("MaxConcurrency", DEFAULT_MAX_CONCURRENCY)
        parent.max_errors = request.get("MaxErrors")
        return parent

    def _launch(self, execution: AutomationExecution) -> None:
        with self._lock:
            self._executions[execution.execution_id] = execution
        if execution.resolved_targets is None:
            ExecutionRunner(execution).start()
            return
        ParentRunner(
            execution, lambda value: self._launch_child(execution, value), execution.max_concurrency or "10",
            execution.max_errors,
        ).start()  # fmt: skip

    def _launch_child(self, parent: AutomationExecution, value: str) -> AutomationExecution:
        supplied = {**parent.supplied_parameters, str(parent.target_parameter_name): [value]}
        child = AutomationExecution(
            document_name=parent.document_name,
            document_version=parent.document_version,
            document=parent.document,
            parameters=resolve_parameters(parent.document.parameters, supplied, self._ssm_parameter),
            settings=self.settings,
            executed_by=parent.executed_by,
            parent_id=parent.execution_id,
            target=value,
            tags=parent.tags,
        )
        with parent.lock:
            parent.children.append(child)
        with self._lock:
            self._executions[child.execution_id] = child
        ExecutionRunner(child).start()
        return child

    def _document(self, name: str, version: str | None) -> tuple[AutomationDocument, str]:
        content, document_format, resolved_version = self.document_source.get_document(name, version)
        key = hashlib.sha256(f"{document_format}\0{content}".encode()).hexdigest()
        with self._lock:
            document = self._documents.get(key)
        if document is None:
            document = validate_document(content, document_format)
            with self._lock:
                self._documents[key] = document
        return document, resolved_version

    def _ssm_parameter(self, name: str) -> str:
        try:
            return self.settings.client_factory("ssm").get_parameter(Name=name)["Parameter"]["Value"]
        except (ClientError, BotoCoreError) as error:
            raise invalid_parameters(f"Parameter Store parameter {name!r} could not be read: {error}") from None

    @staticmethod
    def _fingerprint(request: dict[str, Any]) -> str:
        significant = {key: value for key, value in request.items() if key != "ClientToken"}
        return json.dumps(significant, sort_keys=True, default=str)

    # ---- GetAutomationExecution ----------------------------------------------------------------------------------

    def get_automation_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        self._validate_request("GetAutomationExecution", request)
        return {"AutomationExecution": self._execution(request["AutomationExecutionId"]).to_wire()}

    def _execution(self, execution_id: str) -> AutomationExecution:
        with self._lock:
            execution = self._executions.get(execution_id)
        if execution is None:
            raise AutomationError(
                "AutomationExecutionNotFoundException", f"Automation execution {execution_id!r} does not exist"
            )
        return execution

    # ---- DescribeAutomationExecutions ----------------------------------------------------------------------------

    def describe_automation_executions(self, request: dict[str, Any]) -> dict[str, Any]:
        self._validate_request("DescribeAutomationExecutions", request)
        filters = self._filters(request.get("Filters") or [], EXECUTION_FILTER_KEYS)
        with self._lock:
            executions = list(self._executions.values())
        matching = [execution for execution in executions if self._execution_matches(execution, filters)]
        matching.sort(key=lambda execution: execution.start_time, reverse=True)
        page, next_token = self._page(matching, request)
        response: dict[str, Any] = {"AutomationExecutionMetadataList": [execution.to_metadata() for execution in page]}
        if next_token:
            response["NextToken"] = next_token
        return response

    @staticmethod
    def _execution_matches(execution: AutomationExecution, filters: dict[str, list[str]]) -> bool:
        with execution.lock:
            current_action = execution.current_step.action if execution.current_step else None
            status = execution.status
        checks = {
            "DocumentNamePrefix": lambda values: any(execution.document_name.startswith(v) for v in values),
            "ExecutionStatus": lambda values: status in values,
            "ExecutionId": lambda values: execution.execution_id in values,
            "ParentExecutionId": lambda values: execution.parent_id in values,
            "CurrentAction": lambda values: current_action in values,
            "StartTimeBefore": lambda values: all(execution.start_time < _timestamp(v) for v in values),
            "StartTimeAfter": lambda values: all(execution.start_time > _timestamp(v) for v in values),
            "AutomationType": lambda values: "Local" in values,
            "TagKey": lambda values: any(tag.get("Key") in values for tag in execution.tags),
        }
        # TargetResourceGroup, AutomationSubtype and OpsItemId never apply to executions of this engine.
        return all(checks.get(key, lambda _values: False)(values) for key, values in filters.items())

    # ---- DescribeAutomationStepExecutions ------------------------------------------------------------------------

    def describe_automation_step_executions(self, request: dict[str, Any]) -> dict[str, Any]:
        self._validate_request("DescribeAutomationStepExecutions", request)
        execution = self._execution(request["AutomationExecutionId"])
        filters = self._filters(request.get("Filters") or [], STEP_FILTER_KEYS)
        with execution.lock:
            steps = [record.to_wire() for record in execution.steps]
        matching = [step for step in steps if self._step_matches(step, filters)]
        if request.get("ReverseOrder"):
            matching.reverse()
        page, next_token = self._page(matching, request)
        response: dict[str, Any] = {"StepExecutions": page}
        if next_token:
            response["NextToken"] = next_token
        return response

    @staticmethod
    def _step_matches(step: dict[str, Any], filters: dict[str, list[str]]) -> bool:
        start = step.get("ExecutionStartTime")
        checks = {
            "StepExecutionStatus": lambda values: step["StepStatus"] in values,
            "StepExecutionId": lambda values: step["StepExecutionId"] in values,
            "StepName": lambda values: step["StepName"] in values,
            "Action": lambda values: step["Action"] in values,
            "StartTimeBefore": lambda values: start is not None and all(start < _timestamp(v) for v in values),
            "StartTimeAfter": lambda values: start is not None and all(start > _timestamp(v) for v in values),
        }
        # Parent step filters apply to loop iterations (aws:loop), which this engine does not run.
        return all(checks.get(key, lambda _values: False)(values) for key, values in filters.items())

    # ---- StopAutomationExecution ---------------------------------------------------------------------------------

    def stop_automation_execution(self, request: dict[str, Any]) -> dict[str, Any]:
        self._validate_request("StopAutomationExecution", request)
        execution = self._execution(request["AutomationExecutionId"])
        stop_type = request.get("Type", "Cancel")
        if stop_type not in ("Cancel", "Complete"):
            raise validation_error(f"Type {stop_type!r} must be Cancel or Complete")
        with execution.lock:
            if execution.is_finished or execution.cancel_requested:
                raise AutomationError(
                    "InvalidAutomationStatusUpdateException",
                    f"Execution {execution.execution_id} is {execution.status} and cannot be stopped",
                )
            execution.request_cancel()
        return {}

    # ---- SendAutomationSignal ------------------------------------------------------------------------------------

    def send_automation_signal(self, request: dict[str, Any], caller: str | None = None) -> dict[str, Any]:
        self._validate_request("SendAutomationSignal", request)
        execution = self._execution(request["AutomationExecutionId"])
        signal_type, payload = request["SignalType"], request.get("Payload") or {}
        if execution.is_finished:
            raise AutomationError(
                "InvalidAutomationSignalException",
                f"Execution {execution.execution_id} is {execution.status}; it accepts no signals",
            )
        if signal_type in ("StartStep", "StopStep"):
            step_names = payload.get("StepName") or []
            missing = [name for name in step_names if name not in execution.document.step_names]
            if not step_names or missing:
                raise AutomationError(
                    "AutomationStepNotFoundException",
                    f"Step(s) {missing or step_names} not found in {execution.document_name}",
                )
            raise AutomationError(
                "InvalidAutomationSignalException",
                f"{signal_type} applies to Interactive executions; {execution.execution_id} runs in Auto mode",
            )
        if signal_type not in ("Approve", "Reject", "Resume"):
            raise AutomationError("InvalidAutomationSignalException", f"SignalType {signal_type!r} is not supported")
        sender = caller or f"arn:aws:iam::{self.settings.account_id}:root"
        execution.signals.deliver(Signal(signal_type=signal_type, payload=payload, sender=sender))
        return {}

    # ---- library helpers (not AWS APIs) --------------------------------------------------------------------------

    def wait_until_finished(self, execution_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Block (real seconds) until the execution ends; returns its AutomationExecution. For tests and demos."""
        execution = self._execution(execution_id)
        if not execution.done.wait(timeout):
            raise TimeoutError(f"execution {execution_id} still {execution.status} after {timeout} s")
        return execution.to_wire()

    def close(self) -> None:
        """Cancel every running execution (the twin is shutting down)."""
        with self._lock:
            running = [execution for execution in self._executions.values() if not execution.is_finished]
        for execution in running:
            if not execution.cancel_requested:
                execution.request_cancel()

    # ---- request checking and paging ----------------------------------------------------------------------------

    def _validate_request(self, operation: str, request: dict[str, Any]) -> None:
        if not isinstance(request, dict):
            raise validation_error(f"{operation} request must be a JSON object, got {type(request).__name__}")
        report = ParamValidator().validate(request, self._model.operation_model(operation).input_shape)
        if report.has_errors():
            raise validation_error(report.generate_report())

    @staticmethod
    def _filters(raw_filters: list[dict[str, Any]], known_keys: tuple[str, ...]) -> dict[str, list[str]]:
        filters: dict[str, list[str]] = {}
        for raw in raw_filters:
            key, values = raw["Key"], raw["Values"]
            if key not in known_keys:
                raise AutomationError("InvalidFilterKey", f"Filter key {key!r} is not one of {list(known_keys)}")
            if key.startswith("StartTime"):
                for value in values:
                    _timestamp(value)
            filters.setdefault(key, []).extend(values)
        return filters

    @staticmethod
    def _page(items: list[Any], request: dict[str, Any]) -> tuple[list[Any], str | None]:
        size = request.get("MaxResults") or MAX_PAGE
        token = request.get("NextToken")
        start = 0
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode())
            except ValueError:
                raise AutomationError(
                    "InvalidNextToken", f"NextToken {token!r} was not issued by this service"
                ) from None
        end = start + size
        next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
        return items[start:end], next_token


def _timestamp(value: str) -> float:
    """Epoch seconds from a filter value: ISO 8601 (2026-01-01T00:00:00Z) or epoch seconds."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AutomationError(
            "InvalidFilterValue", f"{value!r} is not a time; expected ISO 8601 such as 2026-01-01T00:00:00Z"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
