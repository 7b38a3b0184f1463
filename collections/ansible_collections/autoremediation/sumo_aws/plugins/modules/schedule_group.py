#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: create, tag and delete an Amazon EventBridge Scheduler schedule group."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: schedule_group
short_description: Manage an Amazon EventBridge Scheduler schedule group
version_added: 0.2.0
description:
  - Creates an EventBridge Scheduler schedule group and keeps its tags, or deletes it with I(state=absent).
  - Deleting a group deletes every schedule in it. AWS does that asynchronously - the group stays C(DELETING) until
    its schedules are gone, and a schedule due meanwhile may still invoke its target - so the module waits until the
    group is gone, for at most I(wait_timeout) seconds, and fails saying it is still C(DELETING) past that.
  - A group found C(DELETING) with I(state=present) (a teardown moments ago) is waited out the same way, then
    created again.
  - The C(default) group belongs to AWS (it always exists and cannot be deleted or edited), so it is refused.
author:
  - EC2 auto-remediation maintainers
options:
  name:
    description:
      - Name of the schedule group, 1 to 64 letters, digits, C(-), C(_) or C(.).
    type: str
    required: true
  state:
    description:
      - Whether the group should exist. C(absent) deletes the group and every schedule in it.
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - Tags to set on the group. Omit to leave its tags as they are.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove tags not listed in I(tags). Ignored when I(tags) is not given.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for a group being deleted to be gone, after the module deletes it or before it creates it
        again. Past it the module fails naming the group's state.
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    description: Reports whether the group would be created, tagged or deleted, and waits for nothing.
  diff_mode:
    support: full
    description: Shows the group's name and tags before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the group the webhook Lambda puts its verification schedules in.
  autoremediation.sumo_aws.schedule_group:
    name: ec2-autoremediation-verification
    tags:
      remediation:managed-by: ansible

- name: Delete the group and every schedule in it, and wait until it is gone.
  autoremediation.sumo_aws.schedule_group:
    name: ec2-autoremediation-verification
    state: absent
"""

RETURN = r"""
schedule_group:
  description: The group after the run; an empty dict when it is absent, or would be created in check mode.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the group.
      type: str
      sample: ec2-autoremediation-verification
    arn:
      description: ARN of the group.
      type: str
      sample: arn:aws:scheduler:us-east-1:123456789012:schedule-group/ec2-autoremediation-verification
    state:
      description: C(ACTIVE), or C(DELETING) while AWS deletes it.
      type: str
      sample: ACTIVE
    creation_date:
      description: When the group was created, ISO 8601.
      type: str
      sample: "2026-12-02T07:24:47+00:00"
    last_modification_date:
      description: When the group last changed, ISO 8601.
      type: str
      sample: "2026-12-02T07:24:47+00:00"
    tags:
      description: Tags on the group.
      type: dict
      sample: {"remediation:managed-by": "ansible"}
"""

import re
import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.aws_state import converge

ARGUMENT_SPEC: dict[str, Any] = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 300},
}
POLL_SECONDS = 2.0
# CreateScheduleGroup's Name.
GROUP_NAME = re.compile(r"^[0-9a-zA-Z_.-]{1,64}$")
DEFAULT_GROUP = "default"


class ScheduleGroupError(Exception):
    """A problem with the inputs or the group's state, reported through fail_json."""


def check_name(name: str) -> None:
    if not GROUP_NAME.match(name):
        raise ScheduleGroupError(f"name must be 1 to 64 letters, digits, '-', '_' or '.', got {name!r}")
    if name == DEFAULT_GROUP:
        raise ScheduleGroupError(
            "name 'default' is the group AWS keeps in every account and region: it cannot be created, tagged or "
            "deleted; name a group of your own"
        )


class ScheduleGroupManager:
    """Reads and changes one schedule group; every change is skipped (and predicted) in check mode."""

    def __init__(self, module: Any, client: Any) -> None:
        self.module = module
        self.client = client
        self.name: str = module.params["name"]

    def describe(self) -> dict[str, Any] | None:
        try:
            response = self.client.get_schedule_group(aws_retry=True, Name=self.name)
        except is_boto3_error_code("ResourceNotFoundException"):
            return None
        response.pop("ResponseMetadata", None)
        return response

    def wait_gone(self, described: dict[str, Any] | None, why: str) -> None:
        """Poll until the group no longer exists; ScheduleGroupError past wait_timeout, naming its state."""
        timeout = self.module.params["wait_timeout"]
        deadline = time.monotonic() + timeout
        while described is not None:
            if time.monotonic() >= deadline:
                raise ScheduleGroupError(
                    f"schedule group {self.name} is still {described.get('State', 'there')} after {timeout} s "
                    f"(wait_timeout) {why}; AWS deletes its schedules asynchronously, and one that comes due before "
                    f"they are gone may still invoke its target. Run again to wait longer"
                )
            time.sleep(POLL_SECONDS)
            described = self.describe()

    def tags(self, arn: str) -> dict[str, str]:
        response = self.client.list_tags_for_resource(aws_retry=True, ResourceArn=arn)
        return {tag["Key"]: tag["Value"] for tag in response.get("Tags", [])}

    def create(self) -> None:
        request: dict[str, Any] = {"Name": self.name}
        tags = desired_tags(self.module.params["tags"])
        if tags:
            request["Tags"] = [{"Key": key, "Value": value} for key, value in tags.items()]
        self.client.create_schedule_group(aws_retry=True, **request)

    def update_tags(self, arn: str, current: dict[str, str]) -> bool:
        """Add and remove tags to match `tags`; True when anything changed (or would, in check mode)."""
        if self.module.params["tags"] is None:
            return False
        desired = desired_tags(self.module.params["tags"])
        to_add, to_remove = compare_aws_tags(current, desired, self.module.params["purge_tags"])
        if not to_add and not to_remove:
            return False
        if self.module.check_mode:
            return True
        if to_remove:
            self.client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=to_remove)
        if to_add:
            tags = [{"Key": key, "Value": value} for key, value in to_add.items()]
            self.client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=tags)
        return True

    def delete(self) -> None:
        try:
            self.client.delete_schedule_group(aws_retry=True, Name=self.name)
        except is_boto3_error_code("ResourceNotFoundException"):
            pass  # deleted by someone else between the read and now: the outcome asked for


def desired_tags(tags: dict[str, Any] | None) -> dict[str, str]:
    """Tags as AWS keeps them: every value a string (YAML may have given a number or a boolean)."""
    return {key: str(value) for key, value in (tags or {}).items()}


def summarize(described: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """The RETURN.schedule_group shape, from a GetScheduleGroup answer."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if hasattr(value, "isoformat") else value

    return {
        "name": described.get("Name"),
        "arn": described.get("Arn"),
        "state": described.get("State"),
        "creation_date": iso(described.get("CreationDate")),
        "last_modification_date": iso(described.get("LastModificationDate")),
        "tags": tags,
    }


def diff_view(name: str, tags: dict[str, Any] | None) -> dict[str, Any]:
    return {"name": name, "tags": desired_tags(tags)}


def ensure_present(manager: ScheduleGroupManager) -> dict[str, Any]:
    params = manager.module.params
    check_mode = manager.module.check_mode
    check_name(manager.name)
    current = manager.describe()
    if current is not None and current.get("State") == "DELETING":
        if check_mode:
            current = None
        else:
            manager.wait_gone(current, "before it could be created again")
            current = manager.describe()

    if current is None:
        after = diff_view(manager.name, params["tags"])
        if check_mode:
            return {"changed": True, "schedule_group": {}, "diff": {"before": {}, "after": after}}
        manager.create()
        created = manager.describe()
        if created is None:
            raise ScheduleGroupError(f"schedule group {manager.name} was created, but AWS does not find it")
        tags = manager.tags(created["Arn"])
        return {
            "changed": True,
            "schedule_group": summarize(created, tags),
            "diff": {"before": {}, "after": after},
        }

    before_tags = manager.tags(current["Arn"])
    changed = manager.update_tags(current["Arn"], before_tags)
    after_tags = before_tags
    if params["tags"] is not None:
        after_tags = desired_tags(params["tags"])
        if not params["purge_tags"]:
            after_tags = {**before_tags, **after_tags}
    if changed and not check_mode:
        after_tags = manager.tags(current["Arn"])
        current = manager.describe() or current
    return {
        "changed": changed,
        "schedule_group": summarize(current, after_tags),
        "diff": {"before": diff_view(manager.name, before_tags), "after": diff_view(manager.name, after_tags)},
    }


def ensure_absent(manager: ScheduleGroupManager) -> dict[str, Any]:
    check_name(manager.name)
    current = manager.describe()
    if current is None:
        return {"changed": False, "schedule_group": {}, "diff": {"before": {}, "after": {}}}
    before = diff_view(manager.name, manager.tags(current["Arn"]))
    # A group already DELETING (another run, the console) needs no request of ours, only the wait.
    deleting_here = current.get("State") != "DELETING"
    if not manager.module.check_mode:
        if deleting_here:
            manager.delete()
        manager.wait_gone(manager.describe(), "after it was deleted")
    return {"changed": deleting_here, "schedule_group": {}, "diff": {"before": before, "after": {}}}


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = module.client("scheduler", retry_decorator=AWSRetry.jittered_backoff())
    manager = ScheduleGroupManager(module, client)
    converge(
        module,
        lambda: ensure_present(manager),
        lambda: ensure_absent(manager),
        f"EventBridge Scheduler schedule group {module.params['name']}",
        (ScheduleGroupError,),
    )


if __name__ == "__main__":
    main()
