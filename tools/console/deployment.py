"""Which deployment the console talks to: the names and the connection site.yml uses, resolved from an inventory by
Ansible itself (one ansible-playbook run of playbooks/backtest_settings.yml, rendering playbooks/vars/resources.yml's
`remediation_names`), so the console never repeats the naming rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.ansible_settings import AnsibleOptions, AnsibleSettingsError, RenderRequest, check_inventory, render
from tools.console.errors import ConsoleError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INVENTORY = REPO_ROOT / "inventory" / "local"
# The keys of remediation_names the console reads.
NAME_KEYS = ("table", "switch_parameter", "document", "function", "log_group")
# What is rendered, as in playbooks/aws.yml's connection defaults (an empty value: the standard chain decides).
_TEMPLATES = {
    "names": "{{ remediation_names }}",
    "region": "{{ remediation_aws_region }}",
    "endpoint_url": "{{ remediation_aws_endpoint_url | default('', true) }}",
    "access_key": "{{ remediation_aws_access_key | default('', true) }}",
    "secret_key": "{{ remediation_aws_secret_key | default('', true) }}",
}


@dataclass(frozen=True)
class Deployment:
    """The deployed resources by name, and where and as whom to reach them. Empty endpoint and keys: real AWS with
    the standard credential chain; inventory/local gives the twin's endpoint and its test keys."""

    region: str
    table: str
    switch_parameter: str
    document: str
    function: str
    log_group: str
    endpoint_url: str = ""
    access_key: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    # Where the names came from, for messages ("deploy it with ... -i <inventory>").
    inventory: str = ""

    @property
    def where(self) -> str:
        """The AWS the deployment lives in, in words: `us-east-1 at http://127.0.0.1:4566` or `eu-west-1`."""
        return f"{self.region} at {self.endpoint_url}" if self.endpoint_url else self.region

    def deploy_hint(self) -> str:
        inventory = f" -i {self.inventory}" if self.inventory else ""
        return f"is it deployed? (ansible-playbook site.yml{inventory})"


def deployment_from_values(values: Mapping[str, Any], inventory: str = "") -> Deployment:
    """A Deployment from the rendered values (`names` is remediation_names); ConsoleError naming what is missing."""
    names = values.get("names")
    if not isinstance(names, Mapping):
        raise ConsoleError(f"inventory {inventory}: remediation_names did not render to a mapping, got {names!r}")
    missing = [key for key in NAME_KEYS if not names.get(key)]
    if missing:
        raise ConsoleError(f"inventory {inventory}: remediation_names has no {', '.join(missing)}")
    if not values.get("region"):
        raise ConsoleError(f"inventory {inventory}: remediation_aws_region is empty")
    return Deployment(
        region=str(values["region"]),
        **{key: str(names[key]) for key in NAME_KEYS},
        endpoint_url=str(values.get("endpoint_url") or "").rstrip("/"),
        access_key=str(values.get("access_key") or ""),
        secret_key=str(values.get("secret_key") or ""),
        inventory=inventory,
    )


def resolve_deployment(
    inventory: Path,
    extra_vars: Sequence[str] = (),
    vault_password_files: Sequence[str] = (),
    vault_ids: Sequence[str] = (),
    ask_vault_pass: bool = False,
) -> Deployment:
    """Render the deployment's names and connection from `inventory` as site.yml would see them."""
    options = AnsibleOptions(
        inventory, tuple(extra_vars), tuple(vault_password_files), tuple(vault_ids), ask_vault_pass
    )
    request = RenderRequest(guard=_TEMPLATES, guard_checked=[], monitor={}, monitor_checked=[])
    try:
        check_inventory(inventory)
    except AnsibleSettingsError as error:
        raise ConsoleError(str(error)) from None
    try:
        rendered = render(options, request)
    except AnsibleSettingsError as error:
        raise ConsoleError(f"inventory {inventory}: {error}") from None
    return deployment_from_values(rendered.values, str(inventory))
