"""Backtest the deployed slow-call monitor: Ansible resolves the deployment's variables and renders the monitor as the
sumo_monitoring role deploys it, the remediation Lambda's guard and closed-loop settings come with it, and the
generic backtest replays a log file with them.

    python -m tools.backtest_inventory access.log --inventory inventory/local [-e NAME=VALUE ...] [--threshold 8]

One ansible-playbook run of playbooks/backtest_settings.yml does the resolving (inventory, role defaults and vars,
the site.yml plays' vars, -e, lookups, vault); this module only says what to render: the sumologic_monitor task's own
arguments (roles/sumo_monitoring/tasks/), the role's set_fact expressions, and the guard variables. Flags of the
backtest (--threshold, --query, ...) win, and a setting a flag gives is not rendered at all.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from ansible.module_utils.parsing.convert_bool import boolean

from tools.ansible_settings import AnsibleOptions, AnsibleSettingsError, RenderRequest, render
from tools.backtest import SETTING_KEYS, BacktestError, build_parser, parse_arguments, run_cli

REPO_ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS_PATH = REPO_ROOT / "collections"
ROLES = REPO_ROOT / "roles"
MONITOR_ROLE = "sumo_monitoring"
LAMBDA_ROLE = "remediation_lambda"
MONITOR_MODULE = "autoremediation.sumo_aws.sumologic_monitor"
SET_FACT = "ansible.builtin.set_fact"
COLLECTION = "ansible_collections.autoremediation.sumo_aws"

# Where each backtest setting comes from: a remediation_lambda variable (the guard), a sumo_monitoring variable, or
# (every other key) the argument of the role's sumologic_monitor task of the same name.
GUARD_VARIABLES = {
    "cooldown_seconds": "remediation_lambda_cooldown_seconds",
    "max_attempts": "remediation_lambda_max_attempts",
    "window_seconds": "remediation_lambda_attempt_window_seconds",
    "verify_seconds": "remediation_lambda_verify_seconds",
    "relapse_seconds": "remediation_lambda_relapse_seconds",
    "max_relapses": "remediation_lambda_max_relapses",
    "circuit_heal_seconds": "remediation_lambda_circuit_heal_seconds",
}
MONITOR_VARIABLES = {"source_category": "sumo_monitoring_source_category"}
TASK_ARGUMENTS = {"field": ("trigger_field",), "missing_data_time_range": ("missing_data", "missing_data_time_range")}
# Task arguments the generic backtest cannot model (a separate resolution condition).
UNSUPPORTED_ARGUMENTS = ("resolution_threshold", "resolution_threshold_type")
# Names an earlier backtest read, or the closed loop's settings without the role's prefix (as docs/runbook.md names
# one); no role reads them, so setting them changes nothing. Warned about, not used.
RETIRED_NAMES = {
    "sumo_monitor_query": "the role renders it from sumo_monitoring_* variables",
    "sumo_monitor_threshold": "sumo_monitoring_slow_call_count (or sumo_monitoring_volume_threshold)",
    "sumo_monitor_threshold_type": "the role always uses GreaterThan",
    "sumo_monitor_time_range": "sumo_monitoring_time_range",
    "sumo_monitor_trigger_field": "the role derives it from sumo_monitoring_mode",
    "sumo_monitor_missing_data_time_range": "sumo_monitoring_missing_data_time_range",
    "sumo_source_category": "sumo_monitoring_source_category",
    "remediation_cooldown_seconds": "remediation_lambda_cooldown_seconds",
    "remediation_max_attempts": "remediation_lambda_max_attempts",
    "remediation_attempt_window_seconds": "remediation_lambda_attempt_window_seconds",
    "remediation_verify_seconds": "remediation_lambda_verify_seconds",
    "remediation_relapse_seconds": "remediation_lambda_relapse_seconds",
    "remediation_max_relapses": "remediation_lambda_max_relapses",
    "remediation_circuit_heal_seconds": "remediation_lambda_circuit_heal_seconds",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InventoryError(ValueError):
    """The deployment does not give the settings; the message says why and what to pass instead."""


def collection_module(name: str) -> ModuleType:
    """A module of the in-repo collection (`plugins.modules.sumologic_monitor`), importable as Ansible imports it."""
    if str(COLLECTIONS_PATH) not in sys.path:
        sys.path.append(str(COLLECTIONS_PATH))
    return importlib.import_module(f"{COLLECTION}.{name}")


@cache
def _module_defaults() -> dict[str, Any]:
    """The sumologic_monitor module's defaults, for arguments the role's task leaves out."""
    spec = collection_module("plugins.modules.sumologic_monitor").argument_spec()
    return {name: option.get("default") for name, option in spec.items()}


# ---------------------------------------------------------------------------------------------------------------
# The roles' files: what to render (Ansible renders it)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InventoryError(f"cannot read {path}: {error}") from error


def _tasks(document: Any) -> list[dict[str, Any]]:
    """Every task of a tasks file, blocks flattened."""
    found: list[dict[str, Any]] = []
    for task in document or []:
        if not isinstance(task, dict):
            continue
        nested = [task[key] for key in ("block", "rescue", "always") if task.get(key)]
        if nested:
            for section in nested:
                found.extend(_tasks(section))
        else:
            found.append(task)
    return found


def _module_arguments(task: Mapping[str, Any], module: str) -> dict[str, Any] | None:
    """The arguments of `task` when it calls `module` (by its full or short name), else None."""
    for key in (module, module.rsplit(".", 1)[-1]):
        if key in task:
            return dict(task[key]) if isinstance(task[key], dict) else {}
    return None


@dataclass(frozen=True)
class MonitorRole:
    """The sumo_monitoring role as files: its sumologic_monitor task's arguments, its set_fact arguments, its vars."""

    monitor_task: dict[str, Any]
    facts: dict[str, Any]
    role_vars: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, role: Path) -> MonitorRole:
        tasks = [task for path in sorted((role / "tasks").glob("*.yml")) for task in _tasks(_load_yaml(path))]
        monitor = [arguments for task in tasks if (arguments := _module_arguments(task, MONITOR_MODULE)) is not None]
        if len(monitor) != 1:
            raise InventoryError(
                f"{role}/tasks: expected one {MONITOR_MODULE} task, found {len(monitor)}; "
                "tools/backtest_inventory.py needs updating to match the role"
            )
        facts: dict[str, Any] = {}
        for task in tasks:
            arguments = _module_arguments(task, SET_FACT) or {}
            facts.update({name: value for name, value in arguments.items() if name != "cacheable"})
        role_vars = _load_yaml(role / "vars" / "main.yml") if (role / "vars" / "main.yml").is_file() else {}
        return cls(monitor[0], facts, role_vars or {})


def spec_options(role: Path) -> set[str]:
    """The variables the role's meta/argument_specs.yml checks at the role's start."""
    document = _load_yaml(role / "meta" / "argument_specs.yml") or {}
    return set(((document.get("argument_specs") or {}).get("main") or {}).get("options") or {})


def referenced_variables(templates: Iterable[Any], definitions: Mapping[str, Any]) -> set[str]:
    """Every name the templates mention, following the role's own definitions (vars, set_fact) of the names they
    mention; what of it the argument spec lists is what rendering them reads."""
    found: set[str] = set()
    pending = [json.dumps(template) for template in templates]
    while pending:
        for name in _NAME.findall(pending.pop()):
            if name not in found:
                found.add(name)
                if name in definitions:
                    pending.append(json.dumps(definitions[name]))
    return found


def _variable(name: str) -> str:
    return "{{ " + name + " }}"


def labels_of(key: str) -> tuple[str, ...]:
    """The labels of what is rendered for the setting `key`: variable names, or the monitor task's argument names."""
    if key in GUARD_VARIABLES:
        return (GUARD_VARIABLES[key],)
    if key in MONITOR_VARIABLES:
        return (MONITOR_VARIABLES[key],)
    if key == "missing_data_time_range":
        return (*TASK_ARGUMENTS[key], "time_range")
    return TASK_ARGUMENTS.get(key, (key,))


def reads_of(role: MonitorRole, key: str) -> set[str]:
    """The labels and variables that rendering the setting `key` reads."""
    labels = labels_of(key)
    templates = [role.monitor_task[label] for label in labels if label in role.monitor_task]
    return {*labels, *referenced_variables(templates, {**role.role_vars, **role.facts})}


def render_request(role: MonitorRole, wanted: Iterable[str]) -> RenderRequest:
    """What Ansible renders for the settings `wanted` (SETTING_KEYS): the task's arguments it has (the others take
    the module's defaults), the monitor and guard variables, and the spec-checked variables those read."""
    monitor: dict[str, Any] = {}
    guard: dict[str, Any] = {}
    for key in wanted:
        if key in GUARD_VARIABLES:
            guard[GUARD_VARIABLES[key]] = _variable(GUARD_VARIABLES[key])
        elif key in MONITOR_VARIABLES:
            monitor[MONITOR_VARIABLES[key]] = _variable(MONITOR_VARIABLES[key])
        else:
            monitor.update({name: role.monitor_task[name] for name in labels_of(key) if name in role.monitor_task})
    definitions = {**role.role_vars, **role.facts}
    monitor_checked = referenced_variables(monitor.values(), definitions) & spec_options(ROLES / MONITOR_ROLE)
    # remediation_lambda's vars read role_path (verify_seconds: the sumo_monitoring defaults beside it), which Ansible
    # sets only for a role's own tasks; the playbook renders in a play task, so it is given as the role would have it.
    facts = {**role.facts, "role_path": str(ROLES / LAMBDA_ROLE)} if guard else dict(role.facts)
    return RenderRequest(
        guard=guard,
        guard_checked=sorted(set(guard) & spec_options(ROLES / LAMBDA_ROLE)),
        monitor=monitor,
        monitor_checked=sorted(monitor_checked),
        retired=sorted(RETIRED_NAMES),
        facts=facts,
    )


def role_reads(key: str) -> bool:
    """Whether the deployment has the setting `key`: a guard variable only once remediation_lambda defines it (the
    closed loop's came after the guard's); without it the backtest takes the Lambda's default, as the function does
    when its environment leaves the variable out."""
    return key not in GUARD_VARIABLES or GUARD_VARIABLES[key] in _role_defaults(LAMBDA_ROLE)


@cache
def _role_defaults(role: str) -> frozenset[str]:
    return frozenset(_load_yaml(ROLES / role / "defaults" / "main.yml") or {})


# ---------------------------------------------------------------------------------------------------------------
# Settings: the rendered values mapped to the generic backtest's keys


def _task_argument(values: Mapping[str, Any], name: str) -> Any:
    return values[name] if name in values else _module_defaults().get(name)


def setting(key: str, values: Mapping[str, Any]) -> Any:
    """The backtest setting `key` from what Ansible rendered (labels as in render_request)."""
    if key in GUARD_VARIABLES:
        return values[GUARD_VARIABLES[key]]
    if key in MONITOR_VARIABLES:
        return values[MONITOR_VARIABLES[key]]
    if key == "missing_data_time_range":
        missing_data = _task_argument(values, "missing_data")
        try:
            enabled = boolean(missing_data, strict=True)
        except TypeError as error:
            raise InventoryError(f"the monitor task's missing_data must be a boolean, got {missing_data!r}") from error
        if not enabled:
            return None
        return _task_argument(values, "missing_data_time_range") or _task_argument(values, "time_range")
    return _task_argument(values, "trigger_field" if key == "field" else key)


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


@dataclass(frozen=True)
class Deployment:
    """Where the backtest reads the deployment from: the inventory, as ansible-playbook is given it."""

    inventory: Path
    vault_password_files: Sequence[str] = ()
    vault_ids: Sequence[str] = ()
    ask_vault_pass: bool = False

    def ansible_options(self, extra_vars: Sequence[str]) -> AnsibleOptions:
        vault = (tuple(self.vault_password_files), tuple(self.vault_ids), self.ask_vault_pass)
        return AnsibleOptions(self.inventory, tuple(extra_vars), *vault)


def settings_from_inventory(
    deployment: Deployment, extra_vars: Mapping[str, Any] | Sequence[str], given_by_flags: set[str]
) -> tuple[dict[str, Any], list[str]]:
    """The backtest's base settings from the deployment, skipping the ones a flag gives, and warnings about
    variables no role reads. `extra_vars`: ansible-playbook -e arguments, or a mapping passed as one JSON -e."""
    arguments = [json.dumps(dict(extra_vars))] if isinstance(extra_vars, Mapping) and extra_vars else extra_vars
    role = MonitorRole.read(ROLES / MONITOR_ROLE)
    unsupported = [name for name in UNSUPPORTED_ARGUMENTS if role.monitor_task.get(name)]
    if unsupported:
        raise InventoryError(f"the monitor task sets {', '.join(unsupported)}, which the backtest does not model")
    wanted = [key for key in SETTING_KEYS if key not in given_by_flags and role_reads(key)]
    request = render_request(role, wanted)
    try:
        rendered = render(deployment.ansible_options(list(arguments or [])), request)
    except AnsibleSettingsError as error:
        flags = [_flag(key) for key in wanted if set(error.labels) & reads_of(role, key)]
        instead = f"; a flag gives the setting instead: {', '.join(flags)}" if flags else ""
        raise InventoryError(f"{error}{instead}") from error
    base = {key: setting(key, rendered.values) for key in wanted}
    warnings = [
        f"{name} is set in the deployment but read by no role and ignored; use {RETIRED_NAMES[name]}"
        for name in rendered.retired_defined
    ]
    return base, warnings


# ---------------------------------------------------------------------------------------------------------------
# Command line


def build_inventory_parser() -> argparse.ArgumentParser:
    parser = build_parser(
        prog="python -m tools.backtest_inventory",
        description=(
            "Replay the deployed slow-call monitor over a log file: the monitor as the sumo_monitoring role renders "
            "it from an inventory, the guard as the remediation Lambda is configured. Ansible resolves the "
            "variables (one ansible-playbook run of playbooks/backtest_settings.yml). Flags override the inventory."
        ),
    )
    ansible = parser.add_argument_group("Ansible (passed on to ansible-playbook as given)")
    ansible.add_argument("-i", "--inventory", required=True, type=Path, help="inventory, e.g. inventory/local")
    ansible.add_argument(
        "-e",
        "--extra-vars",
        action="append",
        default=[],
        metavar="VARS",
        help="set deployment variables as ansible-playbook -e does: NAME=VALUE, JSON or @file (repeatable)",
    )
    ansible.add_argument("--vault-password-file", "--vault-pass-file", action="append", default=[], metavar="PATH")
    ansible.add_argument("--vault-id", action="append", default=[], metavar="ID")
    ansible.add_argument("-J", "--ask-vault-pass", "--ask-vault-password", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(build_inventory_parser(), argv)
    given = {key for key in SETTING_KEYS if getattr(args, key, None) is not None}
    deployment = Deployment(args.inventory, args.vault_password_file, args.vault_id, args.ask_vault_pass)
    try:
        base, warnings = settings_from_inventory(deployment, args.extra_vars, given)
    except (InventoryError, BacktestError) as error:
        print(f"backtest_inventory: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"backtest_inventory: warning: {warning}", file=sys.stderr)
    return run_cli(args, base, prefix="backtest_inventory")


if __name__ == "__main__":
    raise SystemExit(main())
