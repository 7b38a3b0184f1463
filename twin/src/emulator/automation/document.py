"""Schema 0.3 Automation documents: parse YAML/JSON and reject anything this engine would not run exactly as written."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from emulator.automation.actions import ACTIONS, FORBIDDEN_ON_CANCEL_TARGETS, Action
from emulator.automation.errors import invalid_document
from emulator.automation.outputs import OUTPUT_TYPES, OutputDefinition, check_selector
from emulator.automation.parameters import ParameterDefinition, parse_parameter_definitions
from emulator.automation.variables import SYSTEM_VARIABLES, variable_names

TOP_LEVEL_KEYS = frozenset(
    {"schemaVersion", "description", "assumeRole", "parameters", "mainSteps", "outputs", "files"}
)
STEP_KEYS = frozenset(
    {"name", "action", "inputs", "outputs", "description", "maxAttempts", "timeoutSeconds", "onFailure", "onCancel",
     "isEnd", "nextStep", "isCritical"}
)  # fmt: skip
OUTPUT_KEYS = frozenset({"Name", "Selector", "Type"})
STEP_NAME = re.compile(r"^[a-zA-Z0-9_]+$")
STEP_JUMP = re.compile(r"^step:([a-zA-Z0-9_]+)$")


@dataclass(frozen=True)
class StepDefinition:
    """One entry of `mainSteps`, with every control key read and defaulted as AWS does."""

    name: str
    action: str
    inputs: dict[str, Any]
    outputs: tuple[OutputDefinition, ...] = ()
    description: str = ""
    max_attempts: int = 1
    timeout_seconds: float | None = None
    on_failure: str = "Abort"
    on_cancel: str = "Abort"
    is_end: bool = False
    next_step: str | None = None
    is_critical: bool = True

    @property
    def action_handler(self) -> Action:
        return ACTIONS[self.action]

    @property
    def effective_timeout_seconds(self) -> float | None:
        return self.timeout_seconds if self.timeout_seconds is not None else self.action_handler.default_timeout_seconds

    @property
    def on_failure_step(self) -> str | None:
        match = STEP_JUMP.match(self.on_failure)
        return match.group(1) if match else None

    @property
    def on_cancel_step(self) -> str | None:
        match = STEP_JUMP.match(self.on_cancel)
        return match.group(1) if match else None

    def output_names(self) -> frozenset[str]:
        return frozenset(output.name for output in self.outputs) | self.action_handler.builtin_outputs


@dataclass(frozen=True)
class AutomationDocument:
    """A validated schema 0.3 document."""

    parameters: dict[str, ParameterDefinition]
    steps: tuple[StepDefinition, ...]
    outputs: tuple[str, ...] = ()
    description: str = ""
    assume_role: str | None = None
    content: dict[str, Any] = field(default_factory=dict)

    def step(self, name: str) -> StepDefinition:
        return self.steps[self.index_of(name)]

    def index_of(self, name: str) -> int:
        for index, step in enumerate(self.steps):
            if step.name == name:
                return index
        raise KeyError(name)

    @property
    def step_names(self) -> frozenset[str]:
        return frozenset(step.name for step in self.steps)

    def step_after(self, name: str) -> str | None:
        """The step that follows `name` in document order, or None at the end."""
        index = self.index_of(name) + 1
        return self.steps[index].name if index < len(self.steps) else None


def parse_content(content: str, document_format: str) -> Any:
    """The document text as data; raises InvalidDocumentContent for bad syntax or an unknown format."""
    if not isinstance(content, str) or not content.strip():
        raise invalid_document("document content is empty")
    kind = (document_format or "").upper()
    try:
        if kind == "JSON":
            return json.loads(content)
        if kind == "YAML":
            return yaml.safe_load(content)
    except (ValueError, yaml.YAMLError) as error:
        raise invalid_document(f"document is not valid {kind}: {error}") from None
    raise invalid_document(f"document format {document_format!r} is not supported; expected JSON or YAML")


def validate_document(content: str, document_format: str) -> AutomationDocument:
    """Parse and check a schema 0.3 Automation document; raises AutomationError InvalidDocumentContent."""
    data = parse_content(content, document_format)
    if not isinstance(data, dict):
        raise invalid_document(f"document must be a map at the top level, got {type(data).__name__}")
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise invalid_document(f"unknown top-level key(s) {unknown}; expected some of {sorted(TOP_LEVEL_KEYS)}")
    if str(data.get("schemaVersion")) != "0.3":
        raise invalid_document(
            f"schemaVersion must be '0.3' for Automation documents, got {data.get('schemaVersion')!r}"
        )
    if "files" in data:
        raise invalid_document("'files' (script attachments) is not supported by this engine; use inline Script")
    parameters = parse_parameter_definitions(data.get("parameters"))
    raw_steps = data.get("mainSteps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise invalid_document("mainSteps is required and must be a non-empty list of steps")
    steps = tuple(_parse_step(index, raw) for index, raw in enumerate(raw_steps))
    _check_unique_names(steps)
    step_by_name = {step.name: step for step in steps}
    for step in steps:
        _check_references(step, step_by_name)
        _check_variables(f"step '{step.name}'", step.inputs, parameters, step_by_name)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise invalid_document(f"description must be a string, got {description!r}")
    assume_role = data.get("assumeRole")
    if assume_role is not None:
        if not isinstance(assume_role, str):
            raise invalid_document(f"assumeRole must be a string, got {assume_role!r}")
        _check_variables("assumeRole", assume_role, parameters, {})
    outputs = _parse_document_outputs(data.get("outputs"), step_by_name)
    return AutomationDocument(
        parameters=parameters,
        steps=steps,
        outputs=outputs,
        description=description,
        assume_role=assume_role,
        content=data,
    )


def _parse_step(index: int, raw: Any) -> StepDefinition:
    if not isinstance(raw, dict):
        raise invalid_document(f"mainSteps[{index}] must be a map, got {type(raw).__name__}")
    name = raw.get("name")
    if not isinstance(name, str) or not STEP_NAME.match(name):
        raise invalid_document(f"mainSteps[{index}]: step name {name!r} is missing or does not match [a-zA-Z0-9_]+")
    where = f"step '{name}'"
    unknown = sorted(set(raw) - STEP_KEYS)
    if unknown:
        raise invalid_document(f"{where}: unknown key(s) {unknown}; expected some of {sorted(STEP_KEYS)}")
    action_name = raw.get("action")
    if action_name not in ACTIONS:
        raise invalid_document(f"{where}: unknown action {action_name!r}; this engine runs {sorted(ACTIONS)}")
    action = ACTIONS[action_name]
    inputs = _check_inputs(where, action, raw.get("inputs"))
    on_failure = raw.get("onFailure", "Abort")
    if not isinstance(on_failure, str) or not (on_failure in ("Abort", "Continue") or STEP_JUMP.match(on_failure)):
        raise invalid_document(f"{where}: onFailure {on_failure!r} must be Abort, Continue or step:<step name>")
    on_cancel = raw.get("onCancel", "Abort")
    if not isinstance(on_cancel, str) or not (on_cancel == "Abort" or STEP_JUMP.match(on_cancel)):
        raise invalid_document(f"{where}: onCancel {on_cancel!r} must be Abort or step:<step name>")
    next_step = raw.get("nextStep")
    if next_step is not None and not isinstance(next_step, str):
        raise invalid_document(f"{where}: nextStep must be a step name, got {next_step!r}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise invalid_document(f"{where}: description must be a string, got {description!r}")
    return StepDefinition(
        name=name,
        action=action_name,
        inputs=inputs,
        outputs=_parse_step_outputs(where, action, raw.get("outputs")),
        description=description,
        max_attempts=_positive_int(where, "maxAttempts", raw.get("maxAttempts", 1)),
        timeout_seconds=(
            float(_positive_int(where, "timeoutSeconds", raw["timeoutSeconds"])) if "timeoutSeconds" in raw else None
        ),
        on_failure=on_failure,
        on_cancel=on_cancel,
        is_end=_boolean(where, "isEnd", raw.get("isEnd", False)),
        next_step=next_step,
        is_critical=_boolean(where, "isCritical", raw.get("isCritical", on_failure != "Continue")),
    )


def _check_inputs(where: str, action: Action, raw_inputs: Any) -> dict[str, Any]:
    if raw_inputs is None:
        raw_inputs = {}
    if not isinstance(raw_inputs, dict):
        raise invalid_document(f"{where}: inputs must be a map, got {type(raw_inputs).__name__}")
    missing = sorted(action.required_inputs - set(raw_inputs))
    if missing:
        raise invalid_document(f"{where}: {action.name} requires input(s) {missing}")
    if not action.accepts_api_parameters:
        unknown = sorted(set(raw_inputs) - action.required_inputs - action.optional_inputs)
        if unknown:
            allowed = sorted(action.required_inputs | action.optional_inputs)
            raise invalid_document(
                f"{where}: {action.name} does not take input(s) {unknown}; expected some of {allowed}"
            )
    return raw_inputs


def _parse_step_outputs(where: str, action: Action, raw_outputs: Any) -> tuple[OutputDefinition, ...]:
    if raw_outputs is None:
        return ()
    if not action.allows_declared_outputs:
        raise invalid_document(f"{where}: {action.name} does not take declared outputs")
    if not isinstance(raw_outputs, list):
        raise invalid_document(f"{where}: outputs must be a list of {{Name, Selector, Type}}, got {raw_outputs!r}")
    parsed: list[OutputDefinition] = []
    for raw in raw_outputs:
        if not isinstance(raw, dict) or set(raw) != OUTPUT_KEYS:
            raise invalid_document(f"{where}: each output needs exactly Name, Selector and Type, got {raw!r}")
        name, selector, output_type = raw["Name"], raw["Selector"], raw["Type"]
        if not isinstance(name, str) or not STEP_NAME.match(name):
            raise invalid_document(f"{where}: output Name {name!r} must match [a-zA-Z0-9_]+")
        if any(existing.name == name for existing in parsed):
            raise invalid_document(f"{where}: output '{name}' is declared twice")
        if output_type not in OUTPUT_TYPES:
            raise invalid_document(f"{where}: output '{name}' Type {output_type!r} must be one of {list(OUTPUT_TYPES)}")
        problem = check_selector(selector) if isinstance(selector, str) else f"selector {selector!r} is not a string"
        if problem:
            raise invalid_document(f"{where}: output '{name}': {problem}")
        parsed.append(OutputDefinition(name=name, selector=selector, type=output_type))
    return tuple(parsed)


def _positive_int(where: str, key: str, value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid_document(f"{where}: {key} must be a positive integer, got {value!r}")
    return value


def _boolean(where: str, key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise invalid_document(f"{where}: {key} must be true or false, got {value!r}")


def _check_unique_names(steps: tuple[StepDefinition, ...]) -> None:
    seen: set[str] = set()
    for step in steps:
        if step.name in seen:
            raise invalid_document(f"step '{step.name}': the name is used by more than one step")
        seen.add(step.name)


def _check_references(step: StepDefinition, step_by_name: dict[str, StepDefinition]) -> None:
    where = f"step '{step.name}'"
    if step.next_step is not None and step.next_step not in step_by_name:
        raise invalid_document(f"{where}: nextStep '{step.next_step}' is not a step of this document")
    if step.on_failure_step is not None and step.on_failure_step not in step_by_name:
        raise invalid_document(f"{where}: onFailure '{step.on_failure}' names a step that is not in this document")
    if step.on_cancel_step is not None:
        target = step_by_name.get(step.on_cancel_step)
        if target is None:
            raise invalid_document(f"{where}: onCancel '{step.on_cancel}' names a step that is not in this document")
        if target.action in FORBIDDEN_ON_CANCEL_TARGETS:
            raise invalid_document(
                f"{where}: onCancel cannot move to step '{target.name}' because it is {target.action}"
            )
    problems = step.action_handler.check_inputs(step.name, step.inputs, frozenset(step_by_name))
    if problems:
        raise invalid_document(f"{where}: " + "; ".join(problems))


def _check_variables(
    where: str, value: Any, parameters: dict[str, ParameterDefinition], step_by_name: dict[str, StepDefinition]
) -> None:
    for name in variable_names(value):
        if name.startswith("ssm:"):
            raise invalid_document(
                f"{where}: {{{{{name}}}}} is not allowed in step inputs; Parameter Store references belong in a "
                "parameter default"
            )
        if name in SYSTEM_VARIABLES or name in parameters:
            continue
        if ":" in name:
            raise invalid_document(
                f"{where}: unknown system variable {{{{{name}}}}}; expected one of {sorted(SYSTEM_VARIABLES)}"
            )
        step_name, dot, output_name = name.partition(".")
        if not dot:
            raise invalid_document(f"{where}: variable {{{{{name}}}}} is not a parameter of this document")
        source = step_by_name.get(step_name)
        if source is None:
            raise invalid_document(
                f"{where}: variable {{{{{name}}}}} refers to step '{step_name}', which does not exist"
            )
        if output_name not in source.output_names():
            raise invalid_document(
                f"{where}: variable {{{{{name}}}}}: step '{step_name}' has no output '{output_name}'; "
                f"it has {sorted(source.output_names())}"
            )


def _parse_document_outputs(raw_outputs: Any, step_by_name: dict[str, StepDefinition]) -> tuple[str, ...]:
    if raw_outputs is None:
        return ()
    if not isinstance(raw_outputs, list) or not all(isinstance(item, str) for item in raw_outputs):
        raise invalid_document(f"outputs must be a list of 'step.Output' strings, got {raw_outputs!r}")
    for item in raw_outputs:
        step_name, dot, output_name = item.partition(".")
        step = step_by_name.get(step_name)
        if not dot or step is None:
            raise invalid_document(
                f"outputs: '{item}' must name an output of a step ('step.Output'); no step '{step_name}'"
            )
        if output_name not in step.output_names():
            raise invalid_document(
                f"outputs: step '{step_name}' has no output '{output_name}'; it has {sorted(step.output_names())}"
            )
    return tuple(raw_outputs)
