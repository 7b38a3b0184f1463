"""Rate-controlled runs over Targets: resolve targets to parameter values, then run one child per value."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from emulator.automation.actions.base import ClientFactory
from emulator.automation.errors import AutomationError, invalid_document, validation_error
from emulator.automation.execution import AutomationExecution

MAX_CONCURRENCY = re.compile(r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")
MAX_ERRORS = re.compile(r"^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$")
DEFAULT_MAX_CONCURRENCY = "10"
# A document's TargetType narrows tag targets to one resource type; '/' (or none) leaves every tagged resource.
ALL_RESOURCE_TYPES = "/"
TARGET_TYPE = re.compile(r"^\/[\w\.\-\:\/]*$")  # the CreateDocument API model's pattern
# TargetType -> the EC2 DescribeTags resource-type it keeps. Tagged AMIs and snapshots are targets only under '/'.
TAGGED_RESOURCE_TYPES = {
    "/AWS::EC2::Instance": "instance",
    "/AWS::EC2::Volume": "volume",
    "/AWS::EC2::NetworkInterface": "network-interface",
    "/AWS::EC2::SecurityGroup": "security-group",
    "/AWS::EC2::Subnet": "subnet",
    "/AWS::EC2::VPC": "vpc",
}
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


def check_target_type(target_type: str | None) -> None:
    """A document's TargetType (CreateDocument/UpdateDocument): absent, '/' or one resource type the twin resolves."""
    if target_type in (None, "", ALL_RESOURCE_TYPES) or target_type in TAGGED_RESOURCE_TYPES:
        return
    if not isinstance(target_type, str) or len(target_type) > 200 or not TARGET_TYPE.match(target_type):
        raise validation_error(
            f"TargetType {target_type!r} must start with '/' and be at most 200 characters, e.g. /AWS::EC2::Instance"
        )
    raise invalid_document(
        f"TargetType {target_type!r} is not a resource type this twin resolves; expected '/' (every type) or one of "
        f"{sorted(TAGGED_RESOURCE_TYPES)}"
    )


def resolve_targets(
    targets: list[dict[str, Any]], client_factory: ClientFactory, target_type: str | None = None
) -> list[str]:
    """Parameter values for one Targets entry; `target_type` is the document's TargetType (None: every type).

    tag:KEY and tag-key resolve through EC2 DescribeTags to every tagged resource the target type allows,
    AWS::EC2::Instance through DescribeInstances, ParameterValues as given.
    """
    if len(targets) != 1:
        raise AutomationError("InvalidTarget", f"Exactly one target is supported, got {len(targets)}")
    check_target_type(target_type)
    key, values = targets[0].get("Key"), list(targets[0].get("Values") or [])
    if key == "ParameterValues":
        resolved = values
    elif isinstance(key, str) and (key.startswith("tag:") or key == "tag-key"):
        resolved = _tagged_resources(client_factory, _tag_filters(key, values), target_type)
    elif key == "AWS::EC2::Instance":
        if values in ([], ["*"]):
            resolved = _instances(client_factory, [])
        else:
            resolved = _instances(client_factory, [{"Name": "instance-id", "Values": values}])
    else:
        raise AutomationError(
            "InvalidTarget",
            f"Target key {key!r} is not supported; expected tag:KEY, tag-key, ParameterValues or AWS::EC2::Instance",
        )
    if not resolved:
        raise AutomationError("InvalidTarget", f"Target {targets[0]!r} matches no resources")
    return resolved


def _tag_filters(key: str, values: list[str]) -> list[dict[str, Any]]:
    """DescribeTags filters for a tag:KEY (values = tag values) or tag-key (values = tag keys) target."""
    if not values:
        raise AutomationError(
            "InvalidTarget", f"Target {key!r} has no Values; give the tag value(s), or the tag key(s) for tag-key"
        )
    if key == "tag-key":
        return [{"Name": "key", "Values": values}]
    return [{"Name": "key", "Values": [key.removeprefix("tag:")]}, {"Name": "value", "Values": values}]


def _tagged_resources(
    client_factory: ClientFactory, tag_filters: list[dict[str, Any]], target_type: str | None
) -> list[str]:
    """Ids of the tagged EC2 resources of the target type, in DescribeTags order; terminated instances left out."""
    resource_type = TAGGED_RESOURCE_TYPES.get(target_type or ALL_RESOURCE_TYPES)
    filters = [*tag_filters, *([{"Name": "resource-type", "Values": [resource_type]}] if resource_type else [])]
    try:
        pages = client_factory("ec2").get_paginator("describe_tags").paginate(Filters=filters)
        tags = [tag for page in pages for tag in page.get("Tags", [])]
    except (ClientError, BotoCoreError) as error:
        raise AutomationError("InvalidTarget", f"Could not resolve tag targets through EC2: {error}") from None
    found = {tag["ResourceId"]: tag.get("ResourceType") for tag in tags}  # one entry per resource, first seen first
    instance_ids = [resource_id for resource_id, kind in found.items() if kind == "instance"]
    live = set(_instances(client_factory, [{"Name": "instance-id", "Values": instance_ids}])) if instance_ids else set()
    return [resource_id for resource_id, kind in found.items() if kind != "instance" or resource_id in live]


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
