#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: create, version, promote and delete an AWS Systems Manager document."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ssm_document
short_description: Manage an AWS Systems Manager (SSM) document and its default version
version_added: 0.1.0
description:
  - Creates an SSM document (for example an Automation runbook) when it does not exist.
  - When the content differs from the document's latest version, adds a new version and, once that version is
    C(Active), makes it the default version.
  - Content is compared structurally (parsed YAML or JSON), so re-indenting a file does not create a new version.
  - Deletes the document and all its versions with I(state=absent).
  - A document found C(Creating) or C(Updating) (another run or the console is changing it) is waited out, for at
    most I(wait_timeout) seconds, before it is read or changed.
  - Fails when the deployed document's type is not I(document_type), since AWS cannot change the type of a document.
author:
  - EC2 auto-remediation maintainers
options:
  name:
    description:
      - Name of the document. Letters, digits, C(_), C(-) and C(.), 3 to 128 characters;
        must not start with C(aws) or C(amazon).
    type: str
    required: true
  state:
    description:
      - Whether the document should exist.
    type: str
    choices: [present, absent]
    default: present
  content:
    description:
      - The document content, as a YAML or JSON string, or as a dictionary (sent as I(document_format)).
      - Mutually exclusive with I(content_path). One of the two is required when I(state=present).
    type: raw
  content_path:
    description:
      - Path on the controller host of a file holding the document content.
      - Mutually exclusive with I(content).
    type: path
  document_type:
    description:
      - Type of the document. AWS cannot change the type of an existing document, so when the deployed document has
        another type the module fails naming both; delete the document (I(state=absent)) to recreate it.
    type: str
    choices: [Automation, Command, Policy, Session]
    default: Automation
  target_type:
    description:
      - The resource type the document runs on, such as C(/AWS::EC2::Instance) (CreateDocument's C(TargetType)).
      - A rate-controlled run by tag reaches only resources of this type; without one, every resource with the tag
        becomes a target, EBS volumes and network interfaces included.
      - Sent with every new version, since UpdateDocument forgets a target type it is not given. A change of
        target type alone adds a version with the same content; AWS may refuse that as C(DuplicateDocumentContent),
        and the module then fails saying so.
      - Omit to leave the document without a target type.
    type: str
  document_format:
    description:
      - Format the content is sent in.
    type: str
    choices: [YAML, JSON]
    default: YAML
  set_default:
    description:
      - Make the new (or latest) version the default version, once it is C(Active).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for a document found C(Creating) or C(Updating) to settle before reading or changing it,
        and again for a new version to become C(Active) before making it the default.
      - Past it the module fails naming the status; nothing is changed by a run that timed out waiting to start.
    type: int
    default: 120
  tags:
    description:
      - Tags to set on the document.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove tags not listed in I(tags). Ignored when I(tags) is not given.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reports what would change (including the version that would become default) without changing it.
  diff_mode:
    support: full
    description: Shows the content, default version and tags before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Publish the remediation runbook and make its newest version the default.
  autoremediation.sumo_aws.ssm_document:
    name: ec2-autoremediation-remediate-instance
    document_type: Automation
    document_format: YAML
    content_path: ssm_documents/remediate-ec2-instance.yaml
    tags:
      remediation:managed-by: ansible

- name: Delete the runbook and all its versions.
  autoremediation.sumo_aws.ssm_document:
    name: ec2-autoremediation-remediate-instance
    state: absent
"""

RETURN = r"""
document:
  description: The document after the change (before it, in check mode when nothing exists yet, an empty dict).
  returned: when I(state=present)
  type: dict
  contains:
    name:
      description: Name of the document.
      type: str
      sample: ec2-autoremediation-remediate-instance
    document_type:
      description: Type of the document.
      type: str
      sample: Automation
    target_type:
      description: The resource type the document runs on, if it has one.
      type: str
      sample: /AWS::EC2::Instance
    document_format:
      description: Format of the latest version.
      type: str
      sample: YAML
    status:
      description: >-
        Status of the latest version. Never C(Creating) or C(Updating) after a change, since the module waits
        (at most I(wait_timeout) seconds) for C(Active).
      type: str
      sample: Active
    latest_version:
      description: The latest version number.
      type: str
      sample: "2"
    default_version:
      description: The default version number.
      type: str
      sample: "2"
    schema_version:
      description: Schema version of the content.
      type: str
      sample: "0.3"
    tags:
      description: Tags on the document.
      type: dict
      sample: {"remediation:managed-by": "ansible"}
version_created:
  description: The version this run added, if any (C(null) in check mode).
  returned: always
  type: str
  sample: "2"
"""

import json
import re
import time
from typing import Any

try:
    import yaml

    HAS_YAML = True
except ImportError:
    HAS_YAML = False
from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.aws_state import converge

ARGUMENT_SPEC: dict[str, Any] = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "content": {"type": "raw"},
    "content_path": {"type": "path"},
    "document_type": {
        "type": "str",
        "choices": ["Automation", "Command", "Policy", "Session"],
        "default": "Automation",
    },
    "target_type": {"type": "str"},
    "document_format": {"type": "str", "choices": ["YAML", "JSON"], "default": "YAML"},
    "set_default": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 120},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}
MUTUALLY_EXCLUSIVE = [["content", "content_path"]]
REQUIRED_IF = [["state", "present", ["content", "content_path"], True]]
POLL_SECONDS = 1.0
# CreateDocument's TargetType: "/" or a resource type such as /AWS::EC2::Instance, at most 200 characters.
TARGET_TYPE = re.compile(r"^/[\w.\-:/]*$")
# Statuses in which AWS is still working on the document; reading or changing it then races that work.
SETTLING_STATUSES = ("Creating", "Updating")


class DocumentError(Exception):
    """A problem with the inputs or the document's state, reported through fail_json."""


def render_content(content: Any, content_path: str | None, document_format: str) -> str:
    """Return the content to send, as text in `document_format`; raise DocumentError when it does not parse."""
    if content_path:
        try:
            with open(content_path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as error:
            raise DocumentError(f"content_path {content_path!r} cannot be read: {error}") from error
    elif isinstance(content, dict):
        return yaml.safe_dump(content, sort_keys=False) if document_format == "YAML" else json.dumps(content, indent=2)
    elif isinstance(content, str):
        text = content
    else:
        raise DocumentError(f"content must be a string or a dictionary, got {type(content).__name__}")
    parsed = parse_content(text, document_format)
    if not isinstance(parsed, dict) or "schemaVersion" not in parsed:
        raise DocumentError(f"content must be a {document_format} mapping with a schemaVersion, got {text[:80]!r}")
    return text


def parse_content(text: str, document_format: str) -> Any:
    """Parse document content so two renderings of the same document compare equal."""
    try:
        return json.loads(text) if document_format == "JSON" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise DocumentError(f"content is not valid {document_format}: {error}") from error


def same_content(current_text: str, current_format: str, desired_text: str, desired_format: str) -> bool:
    """True when both texts describe the same document, whatever their formatting."""
    try:
        return parse_content(current_text, current_format) == parse_content(desired_text, desired_format)
    except DocumentError:
        return False


class DocumentManager:
    """Reads and changes one SSM document; every change is skipped (and predicted) in check mode."""

    def __init__(self, module: Any, client: Any) -> None:
        self.module = module
        self.client = client
        self.name: str = module.params["name"]

    def describe(self) -> dict[str, Any] | None:
        try:
            return self.client.describe_document(aws_retry=True, Name=self.name)["Document"]
        except is_boto3_error_code("InvalidDocument"):
            return None

    def wait_settled(self, described: dict[str, Any] | None) -> dict[str, Any] | None:
        """Poll while the document is Creating or Updating; the settled description (None if it vanished)."""
        deadline = time.monotonic() + self.module.params["wait_timeout"]
        while described is not None and described.get("Status") in SETTLING_STATUSES:
            if time.monotonic() >= deadline:
                raise DocumentError(
                    f"document {self.name} is still {described['Status']} after "
                    f"{self.module.params['wait_timeout']} s (wait_timeout); nothing was changed"
                )
            time.sleep(POLL_SECONDS)
            described = self.describe()
        return described

    def content_of(self, version: str) -> tuple[str, str]:
        response = self.client.get_document(aws_retry=True, Name=self.name, DocumentVersion=version)
        return response["Content"], response.get("DocumentFormat", "JSON")

    def tags(self) -> dict[str, str]:
        response = self.client.list_tags_for_resource(aws_retry=True, ResourceType="Document", ResourceId=self.name)
        return {tag["Key"]: tag["Value"] for tag in response.get("TagList", [])}

    def create(self, content: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "Name": self.name,
            "Content": content,
            "DocumentType": self.module.params["document_type"],
            "DocumentFormat": self.module.params["document_format"],
        }
        if self.module.params["target_type"]:
            request["TargetType"] = self.module.params["target_type"]
        if self.module.params["tags"]:
            request["Tags"] = [{"Key": key, "Value": str(value)} for key, value in self.module.params["tags"].items()]
        return self.client.create_document(aws_retry=True, **request)["DocumentDescription"]

    def add_version(self, content: str, target_type: str | None) -> str:
        """UpdateDocument with `content`; `target_type` (the one to keep or set) is sent, or UpdateDocument drops it."""
        request: dict[str, Any] = {
            "Name": self.name,
            "Content": content,
            "DocumentVersion": "$LATEST",
            "DocumentFormat": self.module.params["document_format"],
        }
        if target_type:
            request["TargetType"] = target_type
        try:
            response = self.client.update_document(aws_retry=True, **request)
        except is_boto3_error_code("DuplicateDocumentContent"):
            raise DocumentError(
                f"document {self.name}: AWS refused a new version whose content is unchanged "
                f"(DuplicateDocumentContent), so its target type cannot change to {target_type} "
                f"alone; change the content with it, or delete the document with state=absent to recreate it"
            ) from None
        return response["DocumentDescription"]["DocumentVersion"]

    def wait_active(self, version: str) -> None:
        """Poll until `version` is Active: only an Active version may become the default."""
        deadline = time.monotonic() + self.module.params["wait_timeout"]
        while True:
            described = self.client.describe_document(aws_retry=True, Name=self.name, DocumentVersion=version)
            status = described["Document"].get("Status", "Active")
            if status == "Active":
                return
            if status == "Failed":
                reason = described["Document"].get("StatusInformation", "no reason given")
                raise DocumentError(f"version {version} of document {self.name} failed: {reason}")
            if time.monotonic() >= deadline:
                raise DocumentError(
                    f"version {version} of document {self.name} is still {status} after "
                    f"{self.module.params['wait_timeout']} s (wait_timeout)"
                )
            time.sleep(POLL_SECONDS)

    def set_default(self, version: str) -> None:
        self.client.update_document_default_version(aws_retry=True, Name=self.name, DocumentVersion=version)

    def update_tags(self, current: dict[str, str]) -> bool:
        desired = self.module.params["tags"]
        if desired is None:
            return False
        to_add, to_remove = compare_aws_tags(current, desired, self.module.params["purge_tags"])
        if not to_add and not to_remove:
            return False
        if self.module.check_mode:
            return True
        if to_remove:
            self.client.remove_tags_from_resource(
                aws_retry=True, ResourceType="Document", ResourceId=self.name, TagKeys=to_remove
            )
        if to_add:
            self.client.add_tags_to_resource(
                aws_retry=True,
                ResourceType="Document",
                ResourceId=self.name,
                Tags=[{"Key": key, "Value": value} for key, value in to_add.items()],
            )
        return True

    def delete(self) -> None:
        self.client.delete_document(aws_retry=True, Name=self.name)


def summarize(described: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    """The RETURN.document shape, from a DescribeDocument answer."""
    return {
        "name": described.get("Name"),
        "document_type": described.get("DocumentType"),
        "target_type": described.get("TargetType"),
        "document_format": described.get("DocumentFormat"),
        "status": described.get("Status"),
        "latest_version": described.get("LatestVersion"),
        "default_version": described.get("DefaultVersion"),
        "schema_version": described.get("SchemaVersion"),
        "tags": tags,
    }


def diff_view(
    content: str | None, default_version: str | None, tags: dict[str, str] | None, target_type: str | None = None
) -> dict[str, Any]:
    if content is None:
        return {}
    return {"content": content, "target_type": target_type, "default_version": default_version, "tags": tags or {}}


def ensure_present(manager: DocumentManager) -> dict[str, Any]:
    params = manager.module.params
    check_mode = manager.module.check_mode
    desired = render_content(params["content"], params["content_path"], params["document_format"])
    target_type = params["target_type"]
    if target_type is not None and (len(target_type) > 200 or not TARGET_TYPE.match(target_type)):
        raise DocumentError(
            f"target_type must be / or a resource type such as /AWS::EC2::Instance (at most 200 characters), "
            f"got {target_type!r}"
        )
    current = manager.wait_settled(manager.describe())
    if current is not None and current.get("DocumentType", params["document_type"]) != params["document_type"]:
        raise DocumentError(
            f"document {manager.name} has the type {current['DocumentType']} in AWS, not "
            f"{params['document_type']} (document_type); AWS cannot change a document's type: delete it with "
            f"state=absent to recreate it, or set document_type: {current['DocumentType']}"
        )

    if current is None:
        after_tags = params["tags"] or {}
        result: dict[str, Any] = {
            "changed": True,
            "version_created": None if check_mode else "1",
            "diff": {"before": {}, "after": diff_view(desired, "1", after_tags, target_type)},
        }
        if check_mode:
            result["document"] = {}
            return result
        created = manager.create(desired)
        manager.wait_active(created.get("DocumentVersion", "1"))
        result["document"] = summarize(manager.describe() or created, manager.tags())
        return result

    latest, default = current["LatestVersion"], current["DefaultVersion"]
    current_text, current_format = manager.content_of("$LATEST")
    before_tags = manager.tags()
    current_target_type = current.get("TargetType") or None
    before = diff_view(current_text, default, before_tags, current_target_type)
    changed = False
    version_created = None
    after_content, after_default = current_text, default
    after_target_type = target_type if target_type is not None else current_target_type
    content_changed = not same_content(current_text, current_format, desired, params["document_format"])

    if content_changed or after_target_type != current_target_type:
        changed = True
        after_content = desired
        predicted = str(int(latest) + 1) if latest.isdigit() else latest
        if check_mode:
            after_default = predicted if params["set_default"] else default
        else:
            version_created = manager.add_version(desired, after_target_type)
            manager.wait_active(version_created)
            after_default = default
            if params["set_default"]:
                manager.set_default(version_created)
                after_default = version_created
    elif params["set_default"] and default != latest:
        changed = True
        after_default = latest
        if not check_mode:
            manager.set_default(latest)

    tags_changed = manager.update_tags(before_tags)
    changed = changed or tags_changed
    after_tags = before_tags
    if params["tags"] is not None:
        after_tags = dict(params["tags"]) if params["purge_tags"] else {**before_tags, **params["tags"]}

    document = summarize(manager.describe() or current, manager.tags()) if changed and not check_mode else None
    return {
        "changed": changed,
        "version_created": version_created,
        "document": document or summarize(current, after_tags if check_mode else before_tags),
        "diff": {"before": before, "after": diff_view(after_content, after_default, after_tags, after_target_type)},
    }


def ensure_absent(manager: DocumentManager) -> dict[str, Any]:
    current = manager.wait_settled(manager.describe())
    if current is None:
        return {"changed": False, "version_created": None, "diff": {"before": {}, "after": {}}}
    current_text, _format = manager.content_of(current["DefaultVersion"])
    before = diff_view(current_text, current["DefaultVersion"], manager.tags())
    if not manager.module.check_mode:
        manager.delete()
    return {"changed": True, "version_created": None, "diff": {"before": before, "after": {}}}


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=MUTUALLY_EXCLUSIVE,
        required_if=REQUIRED_IF,
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    client = module.client("ssm", retry_decorator=AWSRetry.jittered_backoff())
    manager = DocumentManager(module, client)
    converge(
        module,
        lambda: ensure_present(manager),
        lambda: ensure_absent(manager),
        f"SSM document {module.params['name']}",
        (DocumentError,),
    )


if __name__ == "__main__":
    main()
