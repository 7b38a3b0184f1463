"""aws:sleep: wait a Duration (ISO 8601, e.g. PT10M) or until a Timestamp, at most 604799 seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from emulator.automation.actions.base import Action, StepContext, StepFailedError, StepOutcome
from emulator.automation.variables import is_variable

MAX_SLEEP_SECONDS = 604799
DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> float:
    """Seconds in an ISO 8601 duration; raises ValueError naming the text."""
    match = DURATION.match(text) if isinstance(text, str) else None
    if match is None or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"Duration {text!r} is not an ISO 8601 duration such as PT10M or PT1H30M")
    parts = {key: float(value) if value else 0.0 for key, value in match.groupdict().items()}
    return (
        parts["weeks"] * 604800
        + parts["days"] * 86400
        + parts["hours"] * 3600
        + parts["minutes"] * 60
        + parts["seconds"]
    )


def parse_timestamp(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ValueError(f"Timestamp {text!r} is not an ISO 8601 time such as 2026-01-01T12:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class Sleep(Action):
    name = "aws:sleep"
    optional_inputs = frozenset({"Duration", "Timestamp"})

    def check_inputs(self, step_name: str, inputs: dict[str, Any], step_names: frozenset[str]) -> list[str]:
        given = [key for key in ("Duration", "Timestamp") if key in inputs]
        if len(given) != 1:
            return [f"exactly one of Duration or Timestamp is required, got {given or 'neither'}"]
        value = inputs[given[0]]
        if is_variable(value):
            return []
        try:
            seconds = parse_duration(value) if given[0] == "Duration" else (parse_timestamp(value) and 0)
        except ValueError as error:
            return [str(error)]
        if seconds > MAX_SLEEP_SECONDS:
            return [f"Duration {value!r} is {seconds:.0f} seconds; the maximum is {MAX_SLEEP_SECONDS}"]
        return []

    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        try:
            if "Duration" in inputs:
                seconds = parse_duration(inputs["Duration"])
            else:
                seconds = parse_timestamp(inputs["Timestamp"]) - context.clock.now()
        except ValueError as error:
            raise StepFailedError(str(error), "InvalidInput") from None
        if seconds > MAX_SLEEP_SECONDS:
            raise StepFailedError(
                f"Sleep of {seconds:.0f} seconds exceeds the maximum {MAX_SLEEP_SECONDS}", "InvalidInput"
            )
        if seconds > 0:
            context.sleep(seconds)
        return StepOutcome()
