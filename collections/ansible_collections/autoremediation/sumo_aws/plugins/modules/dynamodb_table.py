#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: an on-demand DynamoDB table with one hash key and an optional TTL attribute."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dynamodb_table
short_description: Manage an on-demand DynamoDB table keyed by one hash key, with time to live
version_added: 0.1.0
description:
  - Creates a C(PAY_PER_REQUEST) table with a single hash key, turns time to live on for one attribute, and keeps its
    tags; deletes it with I(state=absent).
  - A narrow alternative to C(community.aws.dynamodb_table) for key-value state tables. It reads only the fields it
    manages, so it also works against emulators whose C(DescribeTable) answer omits fields such as C(TableId).
  - The key schema cannot change after creation; a different I(hash_key_name) or I(hash_key_type) is an error.
author:
  - EC2 auto-remediation maintainers
options:
  name:
    description: Name of the table.
    type: str
    required: true
  state:
    description: Whether the table should exist.
    type: str
    choices: [present, absent]
    default: present
  hash_key_name:
    description: Name of the hash (partition) key.
    type: str
    default: pk
  hash_key_type:
    description: Type of the hash key - C(S) string, C(N) number, C(B) binary.
    type: str
    choices: [S, N, B]
    default: S
  ttl_attribute:
    description: Attribute holding each item's expiry (epoch seconds). Omit to leave time to live off.
    type: str
  tags:
    description: Tags to set on the table.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description: Remove tags not listed in I(tags). Ignored when I(tags) is not given.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for a new table to become C(ACTIVE) or a deleted one to disappear.
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    description: Predicts creation, TTL and tag changes, and deletion.
  diff_mode:
    support: full
    description: Shows key, billing mode, TTL attribute and tags before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the alert table; items expire at their expires_at attribute.
  autoremediation.sumo_aws.dynamodb_table:
    name: ec2-autoremediation-state
    hash_key_name: pk
    hash_key_type: S
    ttl_attribute: expires_at
    tags:
      remediation:managed-by: ansible
"""

RETURN = r"""
table:
  description: The table after the run (empty when absent, or when it would be created in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the table.
      type: str
      sample: ec2-autoremediation-state
    arn:
      description: ARN of the table.
      type: str
      sample: arn:aws:dynamodb:us-east-1:123456789012:table/ec2-autoremediation-state
    status:
      description: Table status.
      type: str
      sample: ACTIVE
    hash_key_name:
      description: Hash key name.
      type: str
      sample: pk
    hash_key_type:
      description: Hash key type.
      type: str
      sample: S
    billing_mode:
      description: Billing mode.
      type: str
      sample: PAY_PER_REQUEST
    ttl_attribute:
      description: TTL attribute, or null when time to live is off.
      type: str
      sample: expires_at
    tags:
      description: Tags on the table.
      type: dict
      sample: {"remediation:managed-by": "ansible"}
"""

import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.aws_state import converge

ARGUMENT_SPEC: dict[str, Any] = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "hash_key_name": {"type": "str", "default": "pk"},
    "hash_key_type": {"type": "str", "choices": ["S", "N", "B"], "default": "S"},
    "ttl_attribute": {"type": "str"},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 300},
}
POLL_SECONDS = 1.0
TTL_ON = ("ENABLED", "ENABLING")


class TableError(Exception):
    """A table that cannot be brought to the wanted shape; reported through fail_json."""


class TableManager:
    """Reads and changes one table; skips every change in check mode."""

    def __init__(self, module: Any, client: Any) -> None:
        self.module = module
        self.client = client
        self.name: str = module.params["name"]

    def describe(self) -> dict[str, Any] | None:
        try:
            return self.client.describe_table(aws_retry=True, TableName=self.name)["Table"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return None

    def ttl_attribute(self) -> str | None:
        described = self.client.describe_time_to_live(aws_retry=True, TableName=self.name)
        ttl = described.get("TimeToLiveDescription", {})
        return ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in TTL_ON else None

    def tags(self, arn: str) -> dict[str, str]:
        response = self.client.list_tags_of_resource(aws_retry=True, ResourceArn=arn)
        return boto3_tag_list_to_ansible_dict(response.get("Tags", []))

    def create(self) -> dict[str, Any]:
        params = self.module.params
        request: dict[str, Any] = {
            "TableName": self.name,
            "AttributeDefinitions": [
                {"AttributeName": params["hash_key_name"], "AttributeType": params["hash_key_type"]}
            ],
            "KeySchema": [{"AttributeName": params["hash_key_name"], "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if params["tags"]:
            request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
        return self.client.create_table(aws_retry=True, **request)["TableDescription"]

    def wait(self, want_gone: bool) -> dict[str, Any] | None:
        deadline = time.monotonic() + self.module.params["wait_timeout"]
        while True:
            table = self.describe()
            if (table is None) if want_gone else (table is not None and table.get("TableStatus") == "ACTIVE"):
                return table
            if time.monotonic() >= deadline:
                status = table.get("TableStatus", "present") if table else "absent"
                wanted = "gone" if want_gone else "ACTIVE"
                timeout = self.module.params["wait_timeout"]
                raise TableError(f"table {self.name} is still {status}, not {wanted}, after {timeout} s")
            time.sleep(POLL_SECONDS)

    def set_ttl(self, attribute: str, enabled: bool) -> None:
        self.client.update_time_to_live(
            aws_retry=True,
            TableName=self.name,
            TimeToLiveSpecification={"AttributeName": attribute, "Enabled": enabled},
        )

    def update_tags(self, arn: str, current: dict[str, str]) -> bool:
        desired = self.module.params["tags"]
        if desired is None:
            return False
        to_add, to_remove = compare_aws_tags(current, desired, self.module.params["purge_tags"])
        if not to_add and not to_remove:
            return False
        if self.module.check_mode:
            return True
        if to_remove:
            self.client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=to_remove)
        if to_add:
            self.client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(to_add))
        return True

    def delete(self) -> None:
        self.client.delete_table(aws_retry=True, TableName=self.name)


def hash_key_of(table: dict[str, Any]) -> tuple[str | None, str | None]:
    name = next((key["AttributeName"] for key in table.get("KeySchema", []) if key.get("KeyType") == "HASH"), None)
    kinds = {item["AttributeName"]: item["AttributeType"] for item in table.get("AttributeDefinitions", [])}
    return name, kinds.get(name) if name else None


def billing_mode_of(table: dict[str, Any]) -> str:
    # AWS omits BillingModeSummary for tables that were always provisioned.
    return table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")


def view(table: dict[str, Any] | None, ttl: str | None, tags: dict[str, str]) -> dict[str, Any]:
    if table is None:
        return {}
    hash_name, hash_type = hash_key_of(table)
    return {
        "name": table.get("TableName"),
        "arn": table.get("TableArn"),
        "status": table.get("TableStatus"),
        "hash_key_name": hash_name,
        "hash_key_type": hash_type,
        "billing_mode": billing_mode_of(table),
        "ttl_attribute": ttl,
        "tags": tags,
    }


def predicted_new_table(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "TableName": params["name"],
        "KeySchema": [{"AttributeName": params["hash_key_name"], "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": params["hash_key_name"], "AttributeType": params["hash_key_type"]}],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
    }


def ensure_present(manager: TableManager) -> dict[str, Any]:
    params = manager.module.params
    check_mode = manager.module.check_mode
    table = manager.describe()

    if table is None:
        after = view(predicted_new_table(params), params["ttl_attribute"], params["tags"] or {})
        if check_mode:
            return {"changed": True, "table": {}, "diff": {"before": {}, "after": after}}
        manager.create()
        table = manager.wait(want_gone=False)
        if params["ttl_attribute"]:
            manager.set_ttl(params["ttl_attribute"], True)
        final = view(table, manager.ttl_attribute(), manager.tags(table["TableArn"]))
        return {"changed": True, "table": final, "diff": {"before": {}, "after": final}}

    current_key = hash_key_of(table)
    if current_key != (params["hash_key_name"], params["hash_key_type"]):
        raise TableError(
            f"table {manager.name} has hash key {current_key[0]} ({current_key[1]}), expected "
            f"{params['hash_key_name']} ({params['hash_key_type']}); "
            "a key schema cannot change - delete the table first"
        )
    changed = False
    if billing_mode_of(table) != "PAY_PER_REQUEST":
        changed = True
        if not check_mode:
            manager.client.update_table(aws_retry=True, TableName=manager.name, BillingMode="PAY_PER_REQUEST")

    current_ttl = manager.ttl_attribute()
    wanted_ttl = params["ttl_attribute"]
    if wanted_ttl != current_ttl:
        changed = True
        if not check_mode:
            if current_ttl:
                manager.set_ttl(current_ttl, False)
            if wanted_ttl:
                manager.set_ttl(wanted_ttl, True)

    current_tags = manager.tags(table["TableArn"])
    changed = manager.update_tags(table["TableArn"], current_tags) or changed
    after_tags = current_tags
    if params["tags"] is not None:
        after_tags = dict(params["tags"]) if params["purge_tags"] else {**current_tags, **params["tags"]}

    before = view(table, current_ttl, current_tags)
    after = {**before, "billing_mode": "PAY_PER_REQUEST", "ttl_attribute": wanted_ttl, "tags": after_tags}
    return {"changed": changed, "table": after, "diff": {"before": before, "after": after}}


def ensure_absent(manager: TableManager) -> dict[str, Any]:
    table = manager.describe()
    if table is None:
        return {"changed": False, "table": {}, "diff": {"before": {}, "after": {}}}
    before = view(table, None, {})
    if not manager.module.check_mode:
        manager.delete()
        manager.wait(want_gone=True)
    return {"changed": True, "table": {}, "diff": {"before": before, "after": {}}}


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = module.client("dynamodb", retry_decorator=AWSRetry.jittered_backoff())
    manager = TableManager(module, client)
    converge(
        module,
        lambda: ensure_present(manager),
        lambda: ensure_absent(manager),
        f"DynamoDB table {module.params['name']}",
        (TableError,),
    )


if __name__ == "__main__":
    main()
