"""`{{ Variable }}` substitution in step inputs: parameters, step outputs, `global:*` and `automation:EXECUTION_ID`.

A string that is exactly one variable takes the variable's value with its type (a StringList stays a list); a
variable inside a larger string is rendered as text (JSON for lists and maps). A step output that has no value (its
step did not run, has not finished, or ended without it) raises UnresolvedOutputError naming the step and the
output: AWS documents `{{ step.Output }}` only for steps that ran, so the stricter reading is that the step reading
it fails. Any other variable without a value stays as literal `{{ … }}` text, except where `strict` asks for an
error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_:./\-]+)\s*\}\}")
SYSTEM_VARIABLES = frozenset(
    {"global:ACCOUNT_ID", "global:REGION", "global:DATE", "global:DATE_TIME", "global:AWS_PARTITION",
     "automation:EXECUTION_ID"}
)  # fmt: skip


class UnresolvedVariableError(Exception):
    """A variable named in strict substitution has no value."""


class UnresolvedOutputError(UnresolvedVariableError):
    """A variable names an output of a step that did not run, has not finished, or ended without that output."""

    def __init__(self, step_name: str, output_name: str, why: str) -> None:
        self.step_name = step_name
        self.output_name = output_name
        self.why = why
        self.reference = f"output {output_name} of step {step_name} ({{{{ {step_name}.{output_name} }}}})"
        super().__init__(f"{self.reference} has no value: {why}")


@dataclass
class VariableScope:
    """Everything a variable can name while one execution runs."""

    parameters: dict[str, Any]
    execution_id: str
    account_id: str
    region: str
    now: float
    step_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The latest status of every step that has started in this execution; a step absent here did not run.
    step_statuses: dict[str, str] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    def lookup(self, name: str) -> tuple[bool, Any]:
        """(found, value) for one variable name; raises UnresolvedOutputError for a step output without a value."""
        if name in self.parameters:
            return True, self.parameters[name]
        moment = datetime.fromtimestamp(self.now, tz=UTC)
        system = {
            "global:ACCOUNT_ID": self.account_id,
            "global:REGION": self.region,
            "global:AWS_PARTITION": self.partition,
            "global:DATE": moment.strftime("%Y-%m-%d"),
            "global:DATE_TIME": moment.strftime("%Y-%m-%d_%H.%M.%S"),
            "automation:EXECUTION_ID": self.execution_id,
        }
        if name in system:
            return True, system[name]
        step_name, _, output_name = name.partition(".")
        if not output_name or ":" in name:
            return False, None
        outputs = self.step_outputs.get(step_name)
        if outputs is not None and output_name in outputs:
            return True, outputs[output_name]
        raise UnresolvedOutputError(step_name, output_name, self._why_no_output(step_name))

    def _why_no_output(self, step_name: str) -> str:
        status = self.step_statuses.get(step_name)
        if status is None:
            return f"step {step_name} did not run in this execution"
        if status in ("Pending", "InProgress", "Waiting"):
            return f"step {step_name} has not finished"
        return f"step {step_name} ended {status} without producing it"

    def system_context(self) -> dict[str, str]:
        """The system variables by name, as handed to scripts as their `context`."""
        return {name: self.lookup(name)[1] for name in sorted(SYSTEM_VARIABLES)}


def render_text(value: Any) -> str:
    """A value as it appears when a variable sits inside a larger string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def substitute(value: Any, scope: VariableScope, strict: bool = False) -> Any:
    """`value` with every variable replaced, recursing into lists and maps."""
    if isinstance(value, dict):
        return {key: substitute(item, scope, strict) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, scope, strict) for item in value]
    if not isinstance(value, str):
        return value
    whole = VARIABLE.fullmatch(value.strip())
    if whole:
        found, resolved = scope.lookup(whole.group(1))
        if found:
            return resolved
        if strict:
            raise UnresolvedVariableError(f"variable {value.strip()} has no value")
        return value

    def replace(match: re.Match[str]) -> str:
        found, resolved = scope.lookup(match.group(1))
        if found:
            return render_text(resolved)
        if strict:
            raise UnresolvedVariableError(f"variable {match.group(0)} has no value")
        return match.group(0)

    return VARIABLE.sub(replace, value)


def variable_names(value: Any) -> list[str]:
    """Every variable name used anywhere in `value` (strings, lists, maps)."""
    if isinstance(value, dict):
        return [name for item in value.values() for name in variable_names(item)]
    if isinstance(value, list):
        return [name for item in value for name in variable_names(item)]
    if isinstance(value, str):
        return [match.group(1) for match in VARIABLE.finditer(value)]
    return []


def is_variable(value: Any) -> bool:
    """True when `value` is a string containing a variable, so its final value is only known at run time."""
    return isinstance(value, str) and VARIABLE.search(value) is not None
