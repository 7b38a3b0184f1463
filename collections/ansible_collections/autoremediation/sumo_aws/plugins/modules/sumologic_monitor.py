#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: create, update or delete a Sumo Logic Logs monitor, found by its path in the monitor library."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sumologic_monitor
short_description: Manage a Sumo Logic Logs monitor with a static threshold and a webhook notification
version_added: 0.1.0
description:
  - Creates, updates or deletes a Sumo Logic Logs monitor using the Monitors API v1 (C(/api/v1/monitors)).
  - The monitor is found by its path, O(folder) + C(/) + O(name). Renaming the monitor or changing O(folder) therefore
    creates a new monitor; delete the old one with O(state=absent).
  - The monitor folder is created when missing, including nested folders such as C(/Monitor/Team/Remediation).
  - The monitor has one query and one C(LogsStaticCondition) trigger pair, C(Critical) and C(ResolvedCritical) over the
    same time range, plus an optional C(LogsMissingDataCondition) pair (C(MissingData) and C(ResolvedMissingData)).
  - When a connection is given, one notification goes to it for every trigger type the monitor has.
  - The wanted monitor is compared with Sumo Logic's after normalising (time ranges C(10m) and C(-10m) are equal, so
    are C(5) and C(5.0)); read-only fields are ignored. A difference is written with one PUT carrying the current
    C(version).
  - Every input is checked before the first call to Sumo Logic, so a bad name, time range or payload changes nothing.
author:
  - EC2 auto-remediation maintainers (@autoremediation)
requirements:
  - sumologic-sdk
  - requests
attributes:
  check_mode:
    support: full
    description: Predicts create, update or delete (and the folders it would create) without calling a write API.
  diff_mode:
    support: full
    description: Shows the monitor before and after as YAML text, the query as a block, so each changed line shows.
options:
  name:
    description: Name of the monitor; it may not contain C(/) nor start or end with a space.
    type: str
    required: true
  folder:
    description: Monitor folder path, starting with C(/Monitor). Missing folders are created.
    type: str
    default: /Monitor
  state:
    description: V(present) creates or updates the monitor; V(absent) deletes it if it exists (folders stay).
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the monitor.
    type: str
    default: ""
  query:
    description: The Sumo Logic log query. Required when O(state=present).
    type: str
  trigger_field:
    description: Result field the threshold is compared with, such as C(slow_calls); when omitted, the row count.
    type: str
  threshold:
    description: Alert threshold. Required when O(state=present).
    type: float
  threshold_type:
    description: How the value is compared with O(threshold) to fire.
    type: str
    choices: [GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual]
    default: GreaterThan
  time_range:
    description:
      - Window the query covers, as C(5m), C(10m), C(15m), C(30m), C(1h), C(3h), C(6h), C(12h) or C(24h) (a leading
        C(-) is accepted). Critical and ResolvedCritical always share it.
    type: str
    default: 10m
  resolution_threshold:
    description: Threshold that resolves the alert; defaults to O(threshold).
    type: float
  resolution_threshold_type:
    description:
      - Comparison that resolves the alert; defaults to the opposite of O(threshold_type) (C(GreaterThan) resolves
        with C(LessThanOrEqual), C(GreaterThanOrEqual) with C(LessThan), and the other way round).
    type: str
    choices: [GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual]
  missing_data:
    description: Also alert when the query returns no data for O(missing_data_time_range).
    type: bool
    default: false
  missing_data_time_range:
    description: Window for the missing-data condition; defaults to O(time_range).
    type: str
  connection_id:
    description:
      - Id of the connection to notify. Mutually exclusive with O(connection_name).
      - The connection is checked to exist, and to fit O(connection_type), before anything changes.
    type: str
  connection_name:
    description:
      - Name of the connection to notify, looked up in the Connections API.
      - Mutually exclusive with O(connection_id).
    type: str
  connection_type:
    description:
      - Connection type of the notification; it must fit the connection's webhook type (the same name, except
        C(AzureFunctions) for an C(Azure) webhook).
    type: str
    default: Webhook
    choices: [AWSLambda, AzureFunctions, Datadog, HipChat, Jira, MicrosoftTeams, NewRelic, Opsgenie, PagerDuty,
              ServiceNow, Slack, SumoCloudSOAR, Webhook]
  payload_override:
    description: JSON template that replaces the connection's default payload for this monitor's alerts.
    type: str
  resolution_payload_override:
    description: JSON template that replaces the connection's resolution payload for this monitor.
    type: str
  evaluation_delay:
    description:
      - How far the evaluation window is shifted into the past, such as C(0m) or C(5m). The default is the API's.
      - Sumo Logic runs log monitors two minutes behind whatever this says below that.
    type: str
    default: 0m
  is_disabled:
    description: Create or keep the monitor disabled.
    type: bool
    default: false
  group_notifications:
    description: Send one notification per monitor rather than one per result row.
    type: bool
    default: true
  alert_name:
    description: Name of the alerts the monitor raises; Sumo Logic uses the monitor name when omitted.
    type: str
  playbook:
    description: Playbook text (markdown) shown with each alert.
    type: str
    default: ""
  tags:
    description: Tags (string to string). When omitted, the monitor's tags are left as they are.
    type: dict
extends_documentation_fragment:
  - autoremediation.sumo_aws.sumologic
seealso:
  - module: autoremediation.sumo_aws.sumologic_connection
"""

EXAMPLES = r"""
- name: Alert when more than 5 /api/data calls are slower than 3 s within 10 minutes
  autoremediation.sumo_aws.sumologic_monitor:
    name: api-data slow calls
    folder: /Monitor/Remediation
    query: |
      _sourceCategory=prod/api "/api/data" response_time
      | parse regex "response_time=(?<response_time>[0-9.]+)ms"
      | num(response_time)
      | if(response_time > 3000, 1, 0) as is_slow
      | sum(is_slow) as slow_calls
    trigger_field: slow_calls
    threshold: 5
    threshold_type: GreaterThan
    time_range: 10m
    missing_data: true
    connection_name: ec2-autoremediation
    deployment: us2
  register: monitor

- name: Delete the monitor
  autoremediation.sumo_aws.sumologic_monitor:
    name: api-data slow calls
    folder: /Monitor/Remediation
    state: absent
    endpoint: http://127.0.0.1:4567/api
"""

RETURN = r"""
id:
  description: Id of the monitor; null when absent (or not yet created in check mode).
  returned: always
  type: str
  sample: 0000000000ABC123
path:
  description: Path of the monitor in the monitor library.
  returned: always
  type: str
  sample: /Monitor/Remediation/api-data slow calls
folder_id:
  description: Id of the monitor folder; null when it does not exist yet (check mode).
  returned: when O(state=present)
  type: str
created_folders:
  description: Folder paths created (or that would be, in check mode).
  returned: when O(state=present)
  type: list
  elements: str
  sample: [/Monitor/Remediation]
monitor:
  description: The monitor as Sumo Logic holds it after the task (what it would be, in check mode).
  returned: when O(state=present)
  type: dict
  contains:
    id:
      description: Monitor id.
      type: str
    version:
      description: Version, increased by each update.
      type: int
    queries:
      description: The query, as C([{rowId, query}]).
      type: list
      elements: dict
    triggers:
      description: Trigger conditions.
      type: list
      elements: dict
    notifications:
      description: Notifications.
      type: list
      elements: dict
  sample:
    id: 0000000000ABC123
    name: api-data slow calls
    monitorType: Logs
    version: 1
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_client import (
    SUMO_MUTUALLY_EXCLUSIVE,
    SUMO_REQUIRED_ONE_OF,
    SumoApiError,
    SumoClient,
    client_from_module,
    sumo_argument_spec,
)
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_compare import (
    as_number,
    duration_seconds,
    render_for_diff,
    validate_json_template,
)

MONITORS = "/monitors"
ROOT_FOLDER = "/Monitor"
THRESHOLD_TYPES = ["GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"]
OPPOSITE_THRESHOLD_TYPE = {
    "GreaterThan": "LessThanOrEqual",
    "GreaterThanOrEqual": "LessThan",
    "LessThan": "GreaterThanOrEqual",
    "LessThanOrEqual": "GreaterThan",
}
CONNECTION_TYPES = [
    "AWSLambda",
    "AzureFunctions",
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
# The only windows Sumo accepts for Logs conditions, keyed by length in seconds.
TIME_RANGES = {300: "-5m", 600: "-10m", 900: "-15m", 1800: "-30m", 3600: "-1h", 10800: "-3h", 21600: "-6h"}
TIME_RANGES.update({43200: "-12h", 86400: "-24h"})
# A notification's connectionType for each webhook type whose name differs.
NOTIFICATION_TYPE_FOR_WEBHOOK_TYPE = {"Azure": "AzureFunctions"}
# Stands for a connection that an earlier task would create, in check mode only.
PLANNED_CONNECTION_ID = "(created by an earlier task)"
TRIGGER_ORDER = ["Critical", "ResolvedCritical", "MissingData", "ResolvedMissingData"]


def argument_spec() -> dict[str, Any]:
    return {
        "name": {"type": "str", "required": True},
        "folder": {"type": "str", "default": ROOT_FOLDER},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "description": {"type": "str", "default": ""},
        "query": {"type": "str"},
        "trigger_field": {"type": "str"},
        "threshold": {"type": "float"},
        "threshold_type": {"type": "str", "default": "GreaterThan", "choices": THRESHOLD_TYPES},
        "time_range": {"type": "str", "default": "10m"},
        "resolution_threshold": {"type": "float"},
        "resolution_threshold_type": {"type": "str", "choices": THRESHOLD_TYPES},
        "missing_data": {"type": "bool", "default": False},
        "missing_data_time_range": {"type": "str"},
        "connection_id": {"type": "str"},
        "connection_name": {"type": "str"},
        "connection_type": {"type": "str", "default": "Webhook", "choices": CONNECTION_TYPES},
        "payload_override": {"type": "str"},
        "resolution_payload_override": {"type": "str"},
        "evaluation_delay": {"type": "str", "default": "0m"},
        "is_disabled": {"type": "bool", "default": False},
        "group_notifications": {"type": "bool", "default": True},
        "alert_name": {"type": "str"},
        "playbook": {"type": "str", "default": ""},
        "tags": {"type": "dict"},
        **sumo_argument_spec(),
    }


def build_module() -> AnsibleModule:
    return AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        mutually_exclusive=[*SUMO_MUTUALLY_EXCLUSIVE, ("connection_id", "connection_name")],
        required_one_of=SUMO_REQUIRED_ONE_OF,
        required_if=[("state", "present", ("query", "threshold"))],
    )


def logs_time_range(option: str, value: str) -> str:
    """The API's form of a window ("10m" -> "-10m"); ValueError naming the option and the allowed windows."""
    allowed = ", ".join(text.lstrip("-") for text in TIME_RANGES.values())
    try:
        return TIME_RANGES[duration_seconds(value)]
    except (ValueError, KeyError):
        raise ValueError(f"{option} must be one of {allowed} (a leading - is allowed), got {value!r}") from None


def validate_name_and_folder(params: dict[str, Any]) -> list[str]:
    """The folder's path segments below /Monitor; ValueError on a bad name or folder path."""
    name = params["name"]
    if not name or "/" in name or name != name.strip():
        raise ValueError(f"name must be non-empty, contain no '/' and have no leading or trailing space, got {name!r}")
    folder = params["folder"].rstrip("/") or ROOT_FOLDER
    if folder != ROOT_FOLDER and not folder.startswith(ROOT_FOLDER + "/"):
        raise ValueError(
            f"folder must be {ROOT_FOLDER} or a path below it such as /Monitor/Remediation, got {folder!r}"
        )
    segments = folder.split("/")[2:]
    if any(not segment or segment != segment.strip() for segment in segments):
        raise ValueError(f"folder has an empty or space-padded segment: {folder!r}")
    return segments


def desired_monitor(params: dict[str, Any], connection_id: str | None) -> dict[str, Any]:
    """The MonitorsLibraryMonitor create body; raises ValueError on any input Sumo would reject."""
    time_range = logs_time_range("time_range", params["time_range"])
    if not (params["query"] or "").strip():
        raise ValueError("query must not be empty")
    try:
        duration_seconds(params["evaluation_delay"])
    except ValueError:
        raise ValueError(
            f"evaluation_delay must be a duration such as 0m or 5m, got {params['evaluation_delay']!r}"
        ) from None
    validate_json_template("payload_override", params["payload_override"])
    validate_json_template("resolution_payload_override", params["resolution_payload_override"])
    threshold_type = params["threshold_type"]
    resolution_threshold = params["resolution_threshold"]
    critical = {
        "detectionMethod": "LogsStaticCondition",
        "triggerType": "Critical",
        "timeRange": time_range,
        "threshold": params["threshold"],
        "thresholdType": threshold_type,
    }
    resolved = {
        **critical,
        "triggerType": "ResolvedCritical",
        "threshold": params["threshold"] if resolution_threshold is None else resolution_threshold,
        "thresholdType": params["resolution_threshold_type"] or OPPOSITE_THRESHOLD_TYPE[threshold_type],
    }
    if params["trigger_field"]:
        critical["field"] = resolved["field"] = params["trigger_field"]
    triggers = [critical, resolved]
    trigger_types = ["Critical", "ResolvedCritical"]
    if params["missing_data"]:
        missing_range = logs_time_range(
            "missing_data_time_range", params["missing_data_time_range"] or params["time_range"]
        )
        for trigger_type in ("MissingData", "ResolvedMissingData"):
            triggers.append(
                {"detectionMethod": "LogsMissingDataCondition", "triggerType": trigger_type, "timeRange": missing_range}
            )
            trigger_types.append(trigger_type)
    body: dict[str, Any] = {
        "type": "MonitorsLibraryMonitor",
        "name": params["name"],
        "description": params["description"] or "",
        "monitorType": "Logs",
        "queries": [{"rowId": "A", "query": params["query"]}],
        "triggers": triggers,
        "notifications": [],
        "evaluationDelay": params["evaluation_delay"],
        "isDisabled": params["is_disabled"],
        "groupNotifications": params["group_notifications"],
        "playbook": params["playbook"] or "",
    }
    if connection_id is not None:
        action = {"connectionType": params["connection_type"], "connectionId": connection_id}
        if params["payload_override"] is not None:
            action["payloadOverride"] = params["payload_override"]
        if params["resolution_payload_override"] is not None:
            action["resolutionPayloadOverride"] = params["resolution_payload_override"]
        body["notifications"] = [{"notification": action, "runForTriggerTypes": trigger_types}]
    if params["alert_name"] is not None:
        body["alertName"] = params["alert_name"]
    if params["tags"] is not None:
        body["tags"] = {str(key): str(value) for key, value in params["tags"].items()}
    return body


def _normal_trigger(trigger: dict[str, Any]) -> dict[str, Any]:
    view = {
        "triggerType": trigger.get("triggerType"),
        "detectionMethod": trigger.get("detectionMethod") or "StaticCondition",
        "timeRange": _duration_text(trigger.get("timeRange")),
    }
    if view["detectionMethod"] != "LogsMissingDataCondition":
        view["threshold"] = as_number(trigger.get("threshold"))
        view["thresholdType"] = trigger.get("thresholdType")
        view["field"] = trigger.get("field") or None
    if trigger.get("resolutionWindow"):
        view["resolutionWindow"] = _duration_text(trigger["resolutionWindow"])
    return view


def _duration_text(value: Any) -> Any:
    """A duration in one canonical spelling (minutes), so -10m, 10m and 600s read the same."""
    try:
        seconds = duration_seconds(value)
    except ValueError:
        return value
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


def _normal_notification(notification: dict[str, Any]) -> dict[str, Any]:
    action = notification.get("notification") or {}
    view = {
        "connectionType": action.get("connectionType"),
        "connectionId": action.get("connectionId"),
        "runForTriggerTypes": sorted(notification.get("runForTriggerTypes") or [], key=_trigger_rank),
    }
    for key in ("payloadOverride", "resolutionPayloadOverride"):
        if action.get(key):
            view[key] = action[key]
    return view


def _trigger_rank(trigger_type: str) -> tuple[int, str]:
    return (TRIGGER_ORDER.index(trigger_type) if trigger_type in TRIGGER_ORDER else len(TRIGGER_ORDER), trigger_type)


def comparable(monitor: dict[str, Any], manage_tags: bool, manage_alert_name: bool) -> dict[str, Any]:
    """The managed fields of a monitor in one normal form, so desired and current compare with ==."""
    view = {
        "name": monitor.get("name"),
        "description": monitor.get("description") or "",
        "monitorType": monitor.get("monitorType"),
        "query": "\n".join(str(query.get("query", "")) for query in monitor.get("queries") or []),
        "triggers": sorted(
            (_normal_trigger(trigger) for trigger in monitor.get("triggers") or []),
            key=lambda trigger: _trigger_rank(str(trigger["triggerType"])),
        ),
        "notifications": sorted(
            (_normal_notification(item) for item in monitor.get("notifications") or []),
            key=lambda item: (str(item["connectionId"]), item["runForTriggerTypes"]),
        ),
        "evaluationDelay": _duration_text(monitor.get("evaluationDelay") or "0m"),
        "isDisabled": bool(monitor.get("isDisabled")),
        "groupNotifications": monitor.get("groupNotifications", True) is not False,
        "playbook": monitor.get("playbook") or "",
    }
    if manage_tags:
        view["tags"] = {str(key): str(value) for key, value in (monitor.get("tags") or {}).items()}
    if manage_alert_name:
        view["alertName"] = monitor.get("alertName") or ""
    return view


def find_connection(client: SumoClient, name: str) -> dict[str, Any] | None:
    """The one connection called `name` (every page of the list), None if there is none; several is an error."""
    token = None
    matches: list[dict[str, Any]] = []
    while True:
        page = client.get("/connections", params={"limit": 100, "token": token}) or {}
        matches.extend(item for item in page.get("data") or [] if item.get("name") == name)
        token = page.get("next")
        if not token:
            break
    if len(matches) > 1:
        ids = ", ".join(str(item.get("id")) for item in matches)
        raise SumoApiError(
            f"connection_name {name!r} names {len(matches)} Sumo Logic connections ({ids}); expected one"
        )
    return matches[0] if matches else None


def resolve_connection_id(module: AnsibleModule, client: SumoClient) -> str | None:
    """Id of the connection to notify, checked to exist and to fit connection_type before anything changes."""
    params = module.params
    if params["connection_name"]:
        connection = find_connection(client, params["connection_name"])
        if connection is None and module.check_mode:
            module.warn(
                f"connection {params['connection_name']!r} does not exist yet; in check mode the monitor is predicted "
                "as if an earlier task had created it"
            )
            return PLANNED_CONNECTION_ID
        if connection is None:
            raise SumoApiError(f"connection_name {params['connection_name']!r} names no Sumo Logic connection")
    elif params["connection_id"]:
        connection = client.get(
            f"/connections/{params['connection_id']}", params={"type": "WebhookConnection"}, missing_ok=True
        )
        if connection is None:
            raise SumoApiError(f"connection_id {params['connection_id']!r} names no Sumo Logic webhook connection")
    else:
        return None
    webhook_type = str(connection.get("webhookType") or "Webhook")
    expected = NOTIFICATION_TYPE_FOR_WEBHOOK_TYPE.get(webhook_type, webhook_type)
    if params["connection_type"] != expected:
        raise ValueError(
            f"connection_type {params['connection_type']!r} does not fit connection {connection.get('name')!r}, "
            f"whose webhook type is {webhook_type!r}; use connection_type: {expected}"
        )
    return str(connection["id"])


def _by_path(client: SumoClient, path: str) -> dict[str, Any] | None:
    return client.get(f"{MONITORS}/path", params={"path": path}, missing_ok=True)


def ensure_folder(client: SumoClient, segments: list[str], check_mode: bool) -> tuple[str | None, list[str]]:
    """Id of the folder /Monitor/<segments...>, creating the missing ones; (None, planned paths) in check mode."""
    root = client.get(f"{MONITORS}/root")
    parent_id: str | None = root["id"]
    path = ROOT_FOLDER
    created: list[str] = []
    for segment in segments:
        path = f"{path}/{segment}"
        found = _by_path(client, path) if parent_id is not None else None
        if found is not None:
            if found.get("contentType") != "Folder" and "Folder" not in str(found.get("type")):
                raise SumoApiError(f"{path} is a monitor, not a folder; choose another folder path")
            parent_id = found["id"]
            continue
        created.append(path)
        if check_mode:
            parent_id = None
            continue
        folder = client.post(
            MONITORS,
            {"type": "MonitorsLibraryFolder", "name": segment, "description": ""},
            params={"parentId": parent_id},
        )
        parent_id = folder["id"]
    return parent_id, created


def run(module: AnsibleModule, client: SumoClient, segments: list[str]) -> dict[str, Any]:
    params = module.params
    folder_path = "/".join([ROOT_FOLDER, *segments])
    path = f"{folder_path}/{params['name']}"
    current = _by_path(client, path)
    if current is not None and current.get("contentType") == "Folder":
        raise SumoApiError(f"{path} is a folder, not a monitor; choose another name")
    manage_tags, manage_alert_name = params["tags"] is not None, params["alert_name"] is not None
    before = comparable(current, manage_tags, manage_alert_name) if current else None
    result: dict[str, Any] = {"changed": False, "id": current.get("id") if current else None, "path": path}

    if params["state"] == "absent":
        if current is not None:
            result["changed"] = True
            if not module.check_mode:
                client.delete(f"{MONITORS}/{current['id']}", missing_ok=True)
        result["diff"] = {"before": render_for_diff({"path": path, **before}) if before else "", "after": ""}
        return result

    connection_id = resolve_connection_id(module, client)
    wanted = desired_monitor(params, connection_id)
    after = comparable(wanted, manage_tags, manage_alert_name)

    if current is None:
        folder_id, created = ensure_folder(client, segments, module.check_mode)
        result.update(changed=True, folder_id=folder_id, created_folders=created, monitor=wanted)
        if not module.check_mode:
            result["monitor"] = client.post(MONITORS, wanted, params={"parentId": folder_id})
            result["id"] = result["monitor"]["id"]
    else:
        result.update(folder_id=current.get("parentId"), created_folders=[], monitor=current)
        if before != after:
            result["changed"] = True
            update = {**wanted, "type": "MonitorsLibraryMonitorUpdate", "version": current["version"]}
            result["monitor"] = {**current, **wanted}
            if not module.check_mode:
                result["monitor"] = client.put(f"{MONITORS}/{current['id']}", update)
    result["diff"] = {
        "before": render_for_diff({"path": path, **before}) if before else "",
        "after": render_for_diff({"path": path, **after}),
    }
    return result


def main() -> None:
    module = build_module()
    try:
        segments = validate_name_and_folder(module.params)
        if module.params["state"] == "present":
            # Dry run of every input check, with a placeholder id, before any call to Sumo Logic.
            desired_monitor(module.params, module.params["connection_id"] or "0")
    except ValueError as error:
        module.fail_json(msg=str(error))
    client = client_from_module(module)
    try:
        result = run(module, client, segments)
    except (SumoApiError, ValueError) as error:
        module.fail_json(msg=str(error), **_error_fields(error))
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


def _error_fields(error: Exception) -> dict[str, Any]:
    if isinstance(error, SumoApiError):
        return {"status": error.status, "code": error.code, "request_id": error.request_id}
    return {}


if __name__ == "__main__":
    main()
