#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: manage a Lambda Function URL and the resource-policy statements that let callers use it."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: lambda_function_url
short_description: Manage an AWS Lambda Function URL and its public-invoke permissions
version_added: 0.1.0
description:
  - Creates, updates or deletes the Function URL configuration of a Lambda function (or of one of its aliases).
  - With I(auth_type=NONE) and I(public_permissions=true), also keeps the two resource-policy statements that let
    anyone call the URL - C(lambda:InvokeFunctionUrl) with condition C(lambda:FunctionUrlAuthType=NONE), and, as
    required for URLs created since October 2025, C(lambda:InvokeFunction) limited to calls made through the URL.
  - With I(auth_type=AWS_IAM) those public statements are removed; callers then need IAM permissions of their own.
  - A function created moments ago is C(Pending); the module waits for it to be C(Active) (see I(wait_timeout)).
  - I(auth_type=NONE) means Lambda authenticates nobody; the function must check the caller itself (for example a
    shared secret compared in constant time).
author:
  - EC2 auto-remediation maintainers
options:
  function_name:
    description:
      - Name or ARN of the Lambda function.
    type: str
    required: true
  qualifier:
    description:
      - Alias name the URL belongs to. Omit for the unqualified function.
    type: str
  state:
    description:
      - Whether the Function URL should exist.
    type: str
    choices: [present, absent]
    default: present
  auth_type:
    description:
      - C(AWS_IAM) requires SigV4-signed calls; C(NONE) lets anyone call the URL.
    type: str
    choices: [AWS_IAM, NONE]
    default: AWS_IAM
  invoke_mode:
    description:
      - C(BUFFERED) returns the whole response at once; C(RESPONSE_STREAM) streams it.
    type: str
    choices: [BUFFERED, RESPONSE_STREAM]
    default: BUFFERED
  cors:
    description:
      - Cross-origin settings. Omit for none.
    type: dict
    suboptions:
      allow_credentials:
        description: Whether cookies and credentials are allowed.
        type: bool
      allow_headers:
        description: Allowed request headers.
        type: list
        elements: str
      allow_methods:
        description: Allowed HTTP methods.
        type: list
        elements: str
      allow_origins:
        description: Allowed origins.
        type: list
        elements: str
      expose_headers:
        description: Response headers exposed to the browser.
        type: list
        elements: str
      max_age:
        description: Seconds a browser may cache a preflight answer.
        type: int
  public_permissions:
    description:
      - Keep the public-invoke statements in the function's resource policy when I(auth_type=NONE)
        (and remove them otherwise, or when I(state=absent)).
      - Set to C(false) to manage the resource policy elsewhere.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for a function that is still C(Pending) (just created) to become C(Active) before the URL
        and its statements are changed; Lambda refuses both until then. A C(Failed) function fails at once.
    type: int
    default: 300
attributes:
  check_mode:
    support: full
    description: Predicts every change; returns C(function_url=null) when the URL would be created.
  diff_mode:
    support: full
    description: Shows the URL configuration and the public statements before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Expose the webhook function through a public URL (the function checks a shared secret).
  autoremediation.sumo_aws.lambda_function_url:
    function_name: ec2-autoremediation-webhook
    auth_type: NONE
  register: webhook_url

- name: Remove the URL and its public statements.
  autoremediation.sumo_aws.lambda_function_url:
    function_name: ec2-autoremediation-webhook
    state: absent
"""

RETURN = r"""
function_url:
  description: The URL (C(null) when absent, or when it would be created in check mode).
  returned: always
  type: str
  sample: https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/
function_arn:
  description: ARN of the function the URL invokes.
  returned: when the URL exists
  type: str
  sample: arn:aws:lambda:us-east-1:123456789012:function:ec2-autoremediation-webhook
auth_type:
  description: The URL's auth type.
  returned: when I(state=present)
  type: str
  sample: NONE
invoke_mode:
  description: The URL's invoke mode.
  returned: when I(state=present)
  type: str
  sample: BUFFERED
cors:
  description: The URL's CORS settings, in snake case.
  returned: when I(state=present)
  type: dict
  sample: {}
public_statement_ids:
  description: Ids of the public-invoke statements in the resource policy after the run.
  returned: always
  type: list
  elements: str
  sample: [FunctionURLAllowPublicAccess, FunctionURLAllowInvokeAction]
"""

import json
import time
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict, snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.aws_state import converge

CORS_SUBOPTIONS: dict[str, Any] = {
    "allow_credentials": {"type": "bool"},
    "allow_headers": {"type": "list", "elements": "str"},
    "allow_methods": {"type": "list", "elements": "str"},
    "allow_origins": {"type": "list", "elements": "str"},
    "expose_headers": {"type": "list", "elements": "str"},
    "max_age": {"type": "int"},
}
ARGUMENT_SPEC: dict[str, Any] = {
    "function_name": {"type": "str", "required": True},
    "qualifier": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "auth_type": {"type": "str", "choices": ["AWS_IAM", "NONE"], "default": "AWS_IAM"},
    "invoke_mode": {"type": "str", "choices": ["BUFFERED", "RESPONSE_STREAM"], "default": "BUFFERED"},
    "cors": {"type": "dict", "options": CORS_SUBOPTIONS},
    "public_permissions": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 300},
}
POLL_SECONDS = 1.0
# The statement ids the Lambda console uses for the same two permissions.
URL_STATEMENT_ID = "FunctionURLAllowPublicAccess"
INVOKE_STATEMENT_ID = "FunctionURLAllowInvokeAction"
PUBLIC_STATEMENTS: dict[str, dict[str, Any]] = {
    URL_STATEMENT_ID: {"Action": "lambda:InvokeFunctionUrl", "Principal": "*", "FunctionUrlAuthType": "NONE"},
    INVOKE_STATEMENT_ID: {"Action": "lambda:InvokeFunction", "Principal": "*", "InvokedViaFunctionUrl": True},
}


def desired_cors(cors: dict[str, Any] | None) -> dict[str, Any]:
    """The CORS block in the API's shape, without the options left unset."""
    if not cors:
        return {}
    given = {key: value for key, value in cors.items() if value is not None}
    return snake_dict_to_camel_dict(given, capitalize_first=True)


class FunctionNotReady(Exception):
    """A function that cannot take a URL: Failed, deleted, or still Pending after wait_timeout."""


class FunctionUrlManager:
    """Reads and changes one function's URL config and public statements; skips every change in check mode."""

    def __init__(self, module: Any, client: Any) -> None:
        self.module = module
        self.client = client
        self.function_name: str = module.params["function_name"]
        self.qualifier: str | None = module.params["qualifier"]

    def _target(self) -> dict[str, str]:
        target = {"FunctionName": self.function_name}
        if self.qualifier:
            target["Qualifier"] = self.qualifier
        return target

    def function_configuration(self) -> dict[str, Any] | None:
        """The function's configuration (State among it), or None when there is no such function."""
        try:
            return self.client.get_function(aws_retry=True, **self._target())["Configuration"]
        except is_boto3_error_code("ResourceNotFoundException"):
            return None

    def wait_until_ready(self, configuration: dict[str, Any]) -> None:
        """Return once the function has left Pending (Lambda refuses URL and permission changes until then); a
        Failed function, one deleted meanwhile or one still Pending after wait_timeout raise FunctionNotReady."""
        deadline = time.monotonic() + self.module.params["wait_timeout"]
        while configuration.get("State") == "Pending":
            if time.monotonic() >= deadline:
                timeout = self.module.params["wait_timeout"]
                raise FunctionNotReady(f"function {self.function_name} is still Pending, not Active, after {timeout} s")
            time.sleep(POLL_SECONDS)
            current = self.function_configuration()
            if current is None:
                raise FunctionNotReady(f"function {self.function_name} was deleted while the module waited for it")
            configuration = current
        if configuration.get("State") == "Failed":
            reason = configuration.get("StateReason") or configuration.get("StateReasonCode") or "no reason given"
            raise FunctionNotReady(f"function {self.function_name} is in state Failed: {reason}")

    def url_config(self) -> dict[str, Any] | None:
        try:
            response = self.client.get_function_url_config(aws_retry=True, **self._target())
        except is_boto3_error_code("ResourceNotFoundException"):
            return None
        response.pop("ResponseMetadata", None)
        return response

    def public_statement_ids(self) -> list[str]:
        """Ids of our public statements present in the resource policy (any form the service stores them in)."""
        try:
            policy = json.loads(self.client.get_policy(aws_retry=True, **self._target())["Policy"])
        except is_boto3_error_code("ResourceNotFoundException"):
            return []
        present = {statement.get("Sid") for statement in policy.get("Statement", [])}
        return [sid for sid in PUBLIC_STATEMENTS if sid in present]

    def create_url(self, auth_type: str, invoke_mode: str, cors: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {**self._target(), "AuthType": auth_type, "InvokeMode": invoke_mode}
        if cors:
            request["Cors"] = cors
        response = self.client.create_function_url_config(aws_retry=True, **request)
        response.pop("ResponseMetadata", None)
        return response

    def update_url(self, auth_type: str, invoke_mode: str, cors: dict[str, Any]) -> dict[str, Any]:
        request = {**self._target(), "AuthType": auth_type, "InvokeMode": invoke_mode, "Cors": cors}
        response = self.client.update_function_url_config(aws_retry=True, **request)
        response.pop("ResponseMetadata", None)
        return response

    def delete_url(self) -> None:
        self.client.delete_function_url_config(aws_retry=True, **self._target())

    def add_statement(self, statement_id: str) -> None:
        statement = PUBLIC_STATEMENTS[statement_id]
        self.client.add_permission(aws_retry=True, StatementId=statement_id, **self._target(), **statement)

    def remove_statement(self, statement_id: str) -> None:
        try:
            self.client.remove_permission(aws_retry=True, StatementId=statement_id, **self._target())
        except is_boto3_error_code("ResourceNotFoundException"):
            pass


def config_view(config: dict[str, Any] | None, statement_ids: list[str]) -> dict[str, Any]:
    """What diff mode shows: the URL's settings and which public statements exist."""
    if config is None and not statement_ids:
        return {}
    view: dict[str, Any] = {"public_statement_ids": sorted(statement_ids)}
    if config is not None:
        view.update(
            auth_type=config.get("AuthType"),
            invoke_mode=config.get("InvokeMode", "BUFFERED"),
            cors=camel_dict_to_snake_dict(config.get("Cors") or {}),
        )
    return view


def needs_update(current: dict[str, Any], auth_type: str, invoke_mode: str, cors: dict[str, Any]) -> bool:
    return (
        current.get("AuthType") != auth_type
        or current.get("InvokeMode", "BUFFERED") != invoke_mode
        or (current.get("Cors") or {}) != cors
    )


def sync_statements(manager: FunctionUrlManager, current: list[str], wanted: list[str]) -> bool:
    """Add the missing public statements and remove the unwanted ones; True when anything would change."""
    to_add = [sid for sid in wanted if sid not in current]
    to_remove = [sid for sid in current if sid not in wanted]
    if manager.module.check_mode:
        return bool(to_add or to_remove)
    for sid in to_remove:
        manager.remove_statement(sid)
    for sid in to_add:
        manager.add_statement(sid)
    return bool(to_add or to_remove)


def ensure_present(manager: FunctionUrlManager) -> dict[str, Any]:
    params = manager.module.params
    check_mode = manager.module.check_mode
    auth_type, invoke_mode = params["auth_type"], params["invoke_mode"]
    cors = desired_cors(params["cors"])
    manage_statements = params["public_permissions"]
    wanted_statements = list(PUBLIC_STATEMENTS) if manage_statements and auth_type == "NONE" else []
    predicted = {"AuthType": auth_type, "InvokeMode": invoke_mode, "Cors": cors}

    configuration = manager.function_configuration()
    if configuration is None:
        if not check_mode:
            raise_missing_function(manager)
        # In check mode the function may be created by an earlier task that did not run: predict creation.
        return {
            "changed": True,
            "function_url": None,
            "auth_type": auth_type,
            "invoke_mode": invoke_mode,
            "cors": camel_dict_to_snake_dict(cors),
            "public_statement_ids": wanted_statements,
            "diff": {"before": {}, "after": config_view(predicted, wanted_statements)},
        }

    if not check_mode:
        manager.wait_until_ready(configuration)
    current = manager.url_config()
    current_statements = manager.public_statement_ids() if manage_statements else []
    before = config_view(current, current_statements)
    changed = False
    config = current
    if current is None:
        changed = True
        config = predicted if check_mode else manager.create_url(auth_type, invoke_mode, cors)
    elif needs_update(current, auth_type, invoke_mode, cors):
        changed = True
        config = {**current, **predicted} if check_mode else manager.update_url(auth_type, invoke_mode, cors)

    after_statements = current_statements
    if manage_statements:
        changed = sync_statements(manager, current_statements, wanted_statements) or changed
        after_statements = wanted_statements

    return {
        "changed": changed,
        "function_url": config.get("FunctionUrl"),
        "function_arn": config.get("FunctionArn"),
        "auth_type": config.get("AuthType"),
        "invoke_mode": config.get("InvokeMode", "BUFFERED"),
        "cors": camel_dict_to_snake_dict(config.get("Cors") or {}),
        "public_statement_ids": after_statements,
        "diff": {"before": before, "after": config_view(config, after_statements)},
    }


def ensure_absent(manager: FunctionUrlManager) -> dict[str, Any]:
    if manager.function_configuration() is None:
        return {"changed": False, "function_url": None, "public_statement_ids": [], "diff": {"before": {}, "after": {}}}
    current = manager.url_config()
    current_statements = manager.public_statement_ids() if manager.module.params["public_permissions"] else []
    changed = sync_statements(manager, current_statements, [])
    if current is not None:
        changed = True
        if not manager.module.check_mode:
            manager.delete_url()
    return {
        "changed": changed,
        "function_url": None,
        "public_statement_ids": [],
        "diff": {"before": config_view(current, current_statements), "after": {}},
    }


def raise_missing_function(manager: FunctionUrlManager) -> None:
    qualifier = f" (qualifier {manager.qualifier})" if manager.qualifier else ""
    manager.module.fail_json(
        msg=f"function_name {manager.function_name!r}{qualifier} does not exist; create the function before its URL"
    )


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = module.client("lambda", retry_decorator=AWSRetry.jittered_backoff())
    manager = FunctionUrlManager(module, client)
    converge(
        module,
        lambda: ensure_present(manager),
        lambda: ensure_absent(manager),
        f"the Function URL of {module.params['function_name']}",
        (FunctionNotReady,),
    )


if __name__ == "__main__":
    main()
