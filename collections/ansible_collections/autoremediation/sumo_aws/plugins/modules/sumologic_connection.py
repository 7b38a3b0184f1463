#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: create, update or delete a Sumo Logic webhook connection, found by name."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sumologic_connection
short_description: Manage a Sumo Logic webhook connection
version_added: 0.1.0
description:
  - Creates, updates or deletes a Sumo Logic webhook connection (the target a monitor notifies), using the
    Connections API v1 (C(/api/v1/connections)).
  - The connection is found by O(name); names are expected to be unique. If several connections carry the name the
    module fails and lists their ids.
  - Header values (O(headers)) are write-only. Sumo Logic masks them when a connection is read, so the module cannot
    see whether a header value changed. It compares header names only; a changed value alone (a rotated secret) is
    sent only when O(force_update_headers=true) or when another field changes.
  - O(default_payload) and O(resolution_payload) are checked to be JSON templates before any call to Sumo Logic.
author:
  - EC2 auto-remediation maintainers (@autoremediation)
requirements:
  - sumologic-sdk
  - requests
attributes:
  check_mode:
    support: full
    description: Predicts create, update or delete and reports it as C(changed) without calling a write API.
  diff_mode:
    support: full
    description: Shows the connection before and after; header values are always shown as C(********).
options:
  name:
    description: Name of the connection (1 to 127 characters). It identifies the connection.
    type: str
    required: true
  state:
    description: V(present) creates or updates the connection; V(absent) deletes it if it exists.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the connection.
    type: str
    default: ""
  url:
    description: The URL Sumo Logic sends the payload to (http or https). Required when O(state=present).
    type: str
  headers:
    description:
      - Headers sent with every call, such as V(Authorization). Values are secrets, never logged or returned.
      - Write-only, see O(force_update_headers).
    type: dict
    default: {}
  custom_headers:
    description: Non-secret headers sent with every call (at most 5).
    type: dict
    default: {}
  default_payload:
    description:
      - JSON template sent when an alert fires; variables are written C({{Name}}), C({{TriggerType}}) and so on.
      - In a playbook, protect the braces from Jinja, for example with C(!unsafe) or C({% raw %}).
      - Required when O(state=present).
    type: str
  resolution_payload:
    description: JSON template sent when an alert resolves. When omitted, Sumo Logic's value is left as it is.
    type: str
  webhook_type:
    description: Kind of webhook; V(Webhook) is a generic HTTP(S) endpoint.
    type: str
    default: Webhook
    choices: [AWSLambda, Azure, Datadog, HipChat, Jira, MicrosoftTeams, NewRelic, Opsgenie, PagerDuty, ServiceNow,
              Slack, SumoCloudSOAR, Webhook]
  force_update_headers:
    description:
      - Send O(headers) even when nothing visible changed, to push a rotated secret. The task then always reports
        C(changed) for an existing connection, because Sumo Logic cannot tell whether the value differed.
    type: bool
    default: false
extends_documentation_fragment:
  - autoremediation.sumo_aws.sumologic
seealso:
  - module: autoremediation.sumo_aws.sumologic_monitor
"""

EXAMPLES = r"""
- name: Create the webhook connection the remediation Lambda listens on
  autoremediation.sumo_aws.sumologic_connection:
    name: ec2-autoremediation
    description: Calls the remediation Lambda Function URL
    url: "{{ function_url }}"
    headers:
      Authorization: "Bearer {{ webhook_secret }}"
    default_payload: !unsafe '{"Id":"{{Id}}","Name":"{{Name}}","TriggerType":"{{TriggerType}}"}'
    resolution_payload: !unsafe '{"Id":"{{Id}}","Name":"{{Name}}","TriggerType":"{{TriggerType}}"}'
    deployment: us2
  register: connection

- name: Push a rotated webhook secret (header values cannot be compared)
  autoremediation.sumo_aws.sumologic_connection:
    name: ec2-autoremediation
    url: "{{ function_url }}"
    headers:
      Authorization: "Bearer {{ new_webhook_secret }}"
    default_payload: !unsafe '{"Id":"{{Id}}","Name":"{{Name}}","TriggerType":"{{TriggerType}}"}'
    force_update_headers: true
    endpoint: http://127.0.0.1:4567/api

- name: Delete the connection
  autoremediation.sumo_aws.sumologic_connection:
    name: ec2-autoremediation
    state: absent
    deployment: us2
"""

RETURN = r"""
id:
  description: Id of the connection (16 hexadecimal characters); null when absent.
  returned: always
  type: str
  sample: 000000000000A1B2
connection:
  description: The connection as Sumo Logic holds it (or would, in check mode), header values masked.
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Connection id.
      type: str
    name:
      description: Connection name.
      type: str
    description:
      description: Connection description.
      type: str
    url:
      description: Target URL.
      type: str
    headers:
      description: Header names, values shown as C(********).
      type: list
      elements: dict
    customHeaders:
      description: Custom headers.
      type: list
      elements: dict
    defaultPayload:
      description: Alert payload template.
      type: str
    resolutionPayload:
      description: Resolution payload template.
      type: str
    webhookType:
      description: Kind of webhook.
      type: str
  sample:
    id: 000000000000A1B2
    name: ec2-autoremediation
    url: https://abc.lambda-url.us-east-1.on.aws/
    headers: [{name: Authorization, value: "********"}]
    webhookType: Webhook
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_client import (
    MASK,
    SUMO_MUTUALLY_EXCLUSIVE,
    SUMO_REQUIRED_ONE_OF,
    SumoApiError,
    SumoClient,
    client_from_module,
    mask_headers,
    sumo_argument_spec,
)
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_compare import (
    render_for_diff,
    validate_json_template,
)

CONNECTIONS = "/connections"
MAX_CUSTOM_HEADERS = 5
# Fields compared between the wanted and the current connection; header values are write-only and left out.
COMPARED_FIELDS = ("name", "description", "url", "customHeaders", "defaultPayload", "resolutionPayload", "webhookType")
WEBHOOK_TYPES = [
    "AWSLambda",
    "Azure",
    "Datadog",
    "HipChat",
    "Jira",
    "MicrosoftTeams",
    "NewRelic",
    "Opsgenie",
    "PagerDuty",
    "ServiceNow",
    "Slack",
    "SumoCloudSOAR",
    "Webhook",
]


def argument_spec() -> dict[str, Any]:
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "description": {"type": "str", "default": ""},
        "url": {"type": "str"},
        "headers": {"type": "dict", "default": {}, "no_log": True},
        "custom_headers": {"type": "dict", "default": {}},
        "default_payload": {"type": "str"},
        "resolution_payload": {"type": "str"},
        "webhook_type": {"type": "str", "default": "Webhook", "choices": WEBHOOK_TYPES},
        "force_update_headers": {"type": "bool", "default": False},
        **sumo_argument_spec(),
    }


def build_module() -> AnsibleModule:
    return AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=SUMO_MUTUALLY_EXCLUSIVE,
        required_one_of=SUMO_REQUIRED_ONE_OF,
        required_if=[("state", "present", ("url", "default_payload"))],
    )


def validate_params(params: dict[str, Any]) -> None:
    """Every check that needs no API call; raises ValueError with the wrong value and what was expected."""
    name = params["name"]
    if not name or len(name) > 127 or name != name.strip():
        raise ValueError(f"name must be 1 to 127 characters without leading or trailing spaces, got {name!r}")
    if params["state"] == "absent":
        return
    url = params["url"] or ""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://, got {url!r}")
    if len(params["custom_headers"] or {}) > MAX_CUSTOM_HEADERS:
        raise ValueError(
            f"custom_headers takes at most {MAX_CUSTOM_HEADERS} headers, got {len(params['custom_headers'])}: "
            f"{', '.join(sorted(params['custom_headers']))}"
        )
    validate_json_template("default_payload", params["default_payload"])
    validate_json_template("resolution_payload", params["resolution_payload"])


def _header_list(headers: dict[str, Any] | None) -> list[dict[str, str]]:
    return [{"name": str(name), "value": str(value)} for name, value in sorted((headers or {}).items())]


def desired_definition(params: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The WebhookDefinition body to create or update with; an omitted resolution payload keeps Sumo's."""
    body = {
        "type": "WebhookDefinition",
        "name": params["name"],
        "description": params["description"] or "",
        "url": params["url"],
        "headers": _header_list(params["headers"]),
        "customHeaders": _header_list(params["custom_headers"]),
        "defaultPayload": params["default_payload"],
        "webhookType": params["webhook_type"],
    }
    resolution = params["resolution_payload"]
    if resolution is None and current is not None:
        resolution = current.get("resolutionPayload")
    if resolution is not None:
        body["resolutionPayload"] = resolution
    return body


def comparable(connection: dict[str, Any]) -> dict[str, Any]:
    """The fields that decide whether an update is needed, in one shape for both sides; header values masked."""
    view = {field: connection.get(field) for field in COMPARED_FIELDS}
    view["description"] = view["description"] or ""
    view["customHeaders"] = sorted(
        ({"name": h.get("name"), "value": h.get("value")} for h in connection.get("customHeaders") or []),
        key=lambda header: str(header["name"]),
    )
    view["headers"] = sorted(mask_headers(connection.get("headers")), key=lambda header: str(header["name"]))
    if view["resolutionPayload"] is None:
        view.pop("resolutionPayload")
    return view


def find_connection(client: SumoClient, name: str) -> dict[str, Any] | None:
    """The connection called `name`, walking every page of the list; more than one is an error."""
    matches: list[dict[str, Any]] = []
    token = None
    while True:
        page = client.get(CONNECTIONS, params={"limit": 100, "token": token}) or {}
        matches.extend(item for item in page.get("data") or [] if item.get("name") == name)
        token = page.get("next")
        if not token:
            break
    if len(matches) > 1:
        ids = ", ".join(str(item.get("id")) for item in matches)
        raise SumoApiError(
            f"{len(matches)} Sumo Logic connections are named {name!r} (ids {ids}); expected at most one"
        )
    return matches[0] if matches else None


def public_view(connection: dict[str, Any] | None) -> dict[str, Any] | None:
    if connection is None:
        return None
    shown = {key: value for key, value in connection.items() if key != "headers"}
    shown["headers"] = mask_headers(connection.get("headers"))
    return shown


def run(module: AnsibleModule, client: SumoClient) -> dict[str, Any]:
    params = module.params
    current = find_connection(client, params["name"])
    result: dict[str, Any] = {"changed": False, "id": current.get("id") if current else None}
    before_text = render_for_diff(comparable(current)) if current else ""

    if params["state"] == "absent":
        if current:
            result["changed"] = True
            if not module.check_mode:
                client.delete(f"{CONNECTIONS}/{current['id']}", params={"type": "WebhookConnection"}, missing_ok=True)
        result["diff"] = {"before": before_text, "after": ""}
        return result

    wanted = desired_definition(params, current)
    wanted_view = comparable(wanted)
    if current is None:
        result["changed"] = True
        stored = wanted
        if not module.check_mode:
            stored = client.post(CONNECTIONS, wanted)
    else:
        visible_change = comparable(current) != wanted_view
        result["changed"] = visible_change or params["force_update_headers"]
        stored = current
        if result["changed"]:
            stored = {**current, **wanted, "type": current.get("type", "WebhookConnection")}
            if not module.check_mode:
                stored = client.put(f"{CONNECTIONS}/{current['id']}", wanted)
    result["id"] = (stored or {}).get("id") or result["id"]
    result["connection"] = public_view(stored)
    after_text = render_for_diff(wanted_view)
    if params["force_update_headers"] and current is not None:
        after_text += f"# header values resent ({MASK}): Sumo Logic cannot show whether they differed\n"
    result["diff"] = {"before": before_text, "after": after_text}
    return result


def main() -> None:
    module = build_module()
    try:
        validate_params(module.params)
    except ValueError as error:
        module.fail_json(msg=str(error))
    client = client_from_module(module)
    try:
        result = run(module, client)
    except SumoApiError as error:
        module.fail_json(msg=str(error), status=error.status, code=error.code, request_id=error.request_id)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
