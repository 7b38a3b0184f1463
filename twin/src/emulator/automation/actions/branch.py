"""aws:branch: evaluate Choices in order (IF/ELIF/ELSE), with And/Or/Not nesting and an optional Default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.automation.actions.base import Action, StepContext, StepFailedError, StepOutcome
from emulator.automation.variables import UnresolvedVariableError, is_variable, substitute


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a Boolean, not a number")
    return float(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"{value!r} is not a Boolean")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "StringEquals": lambda actual, expected: _text(actual) == _text(expected),
    "EqualsIgnoreCase": lambda actual, expected: _text(actual).lower() == _text(expected).lower(),
    "StartsWith": lambda actual, expected: _text(actual).startswith(_text(expected)),
    "EndsWith": lambda actual, expected: _text(actual).endswith(_text(expected)),
    "Contains": lambda actual, expected: (
        _text(expected) in [_text(item) for item in actual]
        if isinstance(actual, list)
        else _text(expected) in _text(actual)
    ),
    "NumericEquals": lambda actual, expected: _number(actual) == _number(expected),
    "NumericGreater": lambda actual, expected: _number(actual) > _number(expected),
    "NumericLesser": lambda actual, expected: _number(actual) < _number(expected),
    "NumericGreaterOrEquals": lambda actual, expected: _number(actual) >= _number(expected),
    "NumericLesserOrEquals": lambda actual, expected: _number(actual) <= _number(expected),
    "BooleanEquals": lambda actual, expected: _boolean(actual) == _boolean(expected),
}
COMPOUND = ("And", "Or", "Not")


def check_condition(condition: Any, where: str) -> list[str]:
    """Problems with one condition: exactly one of Variable+operator, And, Or, Not."""
    if not isinstance(condition, dict):
        return [f"{where}: a condition must be a map, got {condition!r}"]
    keys = set(condition) - {"NextStep"}
    compound = [key for key in COMPOUND if key in keys]
    if compound:
        if len(keys) != 1:
            return [f"{where}: {compound[0]} cannot be combined with {sorted(keys - {compound[0]})}"]
        inner = condition[compound[0]]
        if compound[0] == "Not":
            return check_condition(inner, f"{where}.Not")
        if not isinstance(inner, list) or not inner:
            return [f"{where}: {compound[0]} must be a non-empty list of conditions"]
        return [
            problem
            for index, item in enumerate(inner)
            for problem in check_condition(item, f"{where}.{compound[0]}[{index}]")
        ]
    if "Variable" not in keys:
        return [f"{where}: a condition needs Variable and one operator, or And/Or/Not; got keys {sorted(keys)}"]
    operators = keys - {"Variable"}
    unknown = sorted(operators - set(OPERATORS))
    if unknown:
        return [f"{where}: unknown operator(s) {unknown}; expected one of {sorted(OPERATORS)}"]
    if len(operators) != 1:
        return [f"{where}: exactly one operator is allowed next to Variable, got {sorted(operators)}"]
    operator = operators.pop()
    expected = condition[operator]
    if operator.startswith("Numeric") and not is_variable(expected):
        try:
            _number(expected)
        except (TypeError, ValueError):
            return [f"{where}: {operator} needs a number, got {expected!r}"]
    if operator == "BooleanEquals" and not is_variable(expected):
        try:
            _boolean(expected)
        except ValueError:
            return [f"{where}: BooleanEquals needs true or false, got {expected!r}"]
    return []


def evaluate(condition: dict[str, Any], context: StepContext) -> bool:
    if "And" in condition:
        return all(evaluate(item, context) for item in condition["And"])
    if "Or" in condition:
        return any(evaluate(item, context) for item in condition["Or"])
    if "Not" in condition:
        return not evaluate(condition["Not"], context)
    operator = next(key for key in condition if key in OPERATORS)
    try:
        actual = substitute(condition["Variable"], context.scope, strict=True)
        expected = substitute(condition[operator], context.scope, strict=True)
    except UnresolvedVariableError as error:
        raise StepFailedError(f"Cannot evaluate choice: {error}", "InvalidInput") from None
    try:
        return OPERATORS[operator](actual, expected)
    except (TypeError, ValueError) as error:
        raise StepFailedError(
            f"{operator} cannot compare {actual!r} with {expected!r}: {error}", "InvalidInput"
        ) from None


class Branch(Action):
    name = "aws:branch"
    required_inputs = frozenset({"Choices"})
    optional_inputs = frozenset({"Default"})

    def check_inputs(self, step_name: str, inputs: dict[str, Any], step_names: frozenset[str]) -> list[str]:
        choices = inputs.get("Choices")
        if not isinstance(choices, list) or not choices:
            return [f"Choices must be a non-empty list, got {choices!r}"]
        problems: list[str] = []
        for index, choice in enumerate(choices):
            where = f"Choices[{index}]"
            if not isinstance(choice, dict) or "NextStep" not in choice:
                problems.append(f"{where}: each choice needs NextStep, got {choice!r}")
                continue
            if choice["NextStep"] not in step_names:
                problems.append(f"{where}: NextStep '{choice['NextStep']}' is not a step of this document")
            problems.extend(check_condition(choice, where))
        default = inputs.get("Default")
        if default is not None and default not in step_names:
            problems.append(f"Default '{default}' is not a step of this document")
        return problems

    def referenced_steps(self, inputs: dict[str, Any]) -> list[str]:
        steps = [choice["NextStep"] for choice in inputs.get("Choices", []) if isinstance(choice, dict)]
        return steps + ([inputs["Default"]] if inputs.get("Default") else [])

    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        # Choices are evaluated from the raw inputs so each Variable keeps its type at comparison time.
        for choice in inputs["Choices"]:
            condition = {key: value for key, value in choice.items() if key != "NextStep"}
            if evaluate(condition, context):
                return StepOutcome(next_step=choice["NextStep"])
        return StepOutcome(next_step=inputs.get("Default"))
