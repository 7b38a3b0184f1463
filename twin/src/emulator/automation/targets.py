"""Rate-controlled runs over Targets: resolve targets to parameter values, then run one child per value."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from emulator.automation.actions.base import ClientFactory
from emulator.automation.errors import AutomationError, validation_error
from emulator.automation.execution import AutomationExecution

MAX_CONCURRENCY = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
MAX_ERRORS = re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$")
DEFAULT_MAX_CONCURRENCY = "10"
# Virtual seconds between checks of running children, in case a completion notice is missed.
PARENT_POLL_SECONDS = 5.0


def check_rate_control(max_concurrency: str | None, max_errors: str | None) -> None:
    if max_concurrency is not None and not MAX_CONCURRENCY.match(max_concurrency):
        raise validation_error(f"MaxConcurrency {max_concurrency!r} must be a number (e.g. 10) or a percentage (10%)")
    if max_errors is not None and not MAX_ERRORS.match(max_errors):
        raise validation_error(f"MaxErrors {max_errors!r} must be a number (e.g. 0) or a percentage (10%)")


def concurrency_limit(max_concurrency: str, total: int) -> int:
    if max_concurrency.endswith("%"):
        return max(1, math.ceil(total * int(max_concurrency[:-1]) / 100))
    return int(max_concurrency)


def error_limit(max_errors: str | None, total: int) -> int | None:
    """How many failed children are tolerated; None = no limit (MaxErrors not given)."""
    if max_errors is None:
        return None
    if max_errors.endswith("%"):
        return math.floor(total * int(max_errors[:-1]) / 100)
    return int(max_errors)


def resolve_targets(targets: list[dict[str, Any]], client_factory: ClientFactory) -> list[str]:
    """Parameter values for one Targets entry: tag:KEY and AWS::EC2::Instance through EC2, ParameterValues as given."""
    if len(targets) != 1:
        raise AutomationError("InvalidTarget", f"Exactly one target is supported, got {len(targets)}")
    key, values = targets[0].get("Key"), targets[0].get("Values") or []
    if key == "ParameterValues":
        resolved = list(values)
    elif isinstance(key, str) and key.startswith("tag:"):
        resolved = _instances(client_factory, [{"Name": key, "Values": list(values)}])
    elif key == "AWS::EC2::Instance":
        if values in ([], ["*"]):
            resolved = _instances(client_factory, [])
        else:
            resolved = _instances(client_factory, [{"Name": "instance-id", "Values": list(values)}])
    else:
        raise AutomationError(
            "InvalidTarget",
            f"Target key {key!r} is not supported; expected tag:KEY, ParameterValues or AWS::EC2::Instance",
        )
    if not resolved:
        raise AutomationError("InvalidTarget", f"Target {targets[0]!r} matches no resources")
    return resolved


def _instances(client_factory: ClientFactory, filters: list[dict[str, Any]]) -> list[str]:
    live_states = ["pending", "running", "stopping", "stopped", "shutting-down"]
    filters = [*filters, {"Name": "instance-state-name", "Values": live_states}]
    try:
        pages = client_factory("ec2").get_paginator("describe_instances").paginate(Filters=filters)
        return [
            instance["InstanceId"]
            for page in pages
            for reservation in page.get("Reservations", [])
            for instance in reservation.get("Instances", [])
        ]
    except (ClientError, BotoCoreError) as error:
        raise AutomationError("InvalidTarget", f"Could not resolve targets through EC2: {error}") from None


class ParentRunner:
    """Runs a parent execution: launches children within MaxConcurrency and stops launching past MaxErrors."""

    def __init__(
        self,
        parent: AutomationExecution,
        launch_child: Callable[[str], AutomationExecution],
        max_concurrency: str,
        max_errors: str | None,
    ) -> None:
        self.parent = parent
        self.launch_child = launch_child
        self.max_concurrency = max_concurrency
        self.max_errors = max_errors
        self._child_finished = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self.run, name=f"automation-parent-{self.parent.execution_id}", daemon=True).start()

    def run(self) -> None:
        parent, clock = self.parent, self.parent.settings.clock
        values = list(parent.resolved_targets or [])
        concurrency = concurrency_limit(self.max_concurrency, len(values))
        tolerated = error_limit(self.max_errors, len(values))
        with parent.lock:
            parent.status = "InProgress"
        pending, running, errors, launched = list(values), [], 0, 0
        try:
            while pending or running:
                stop_launching = parent.cancel_requested or (tolerated is not None and errors > tolerated)
                while pending and len(running) < concurrency and not stop_launching:
                    self._child_finished.clear()
                    child = self.launch_child(pending.pop(0))
                    child.add_done_listener(lambda _child: self._child_finished.set())
                    running.append(child)
                    launched += 1
                if stop_launching:
                    pending.clear()
                if not running:
                    break
                clock.wait_for(self._child_finished, PARENT_POLL_SECONDS)
                self._child_finished.clear()
                for child in [child for child in running if child.is_finished]:
                    running.remove(child)
                    if child.status != "Success":
                        errors += 1
        except Exception as error:  # never leave the parent without a final status
            parent.finish("Failed", f"Internal error while running targets: {error!r}")
            return
        if parent.cancel_requested:
            parent.finish("Cancelled")
        elif errors or launched < len(values):
            parent.finish(
                "Failed",
                f"{errors} of {launched} child execution(s) did not succeed; {len(values) - launched} not started",
            )
        else:
            parent.finish("Success")
