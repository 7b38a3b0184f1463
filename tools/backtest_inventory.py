"""Backtest the deployed slow-call monitor: read a deployment inventory, render the monitor as the sumo_monitoring
role deploys it and take the remediation Lambda's guard settings, then replay a log file with the generic backtest.

    python -m tools.backtest_inventory access.log --inventory inventory/local [-e NAME=VALUE ...] [--threshold 8]

Variables come in Ansible's precedence order: the defaults of roles/sumo_monitoring and roles/remediation_lambda,
then the inventory's group_vars/all, then those roles' vars/main.yml and the role's set_fact arguments, then `-e`.
The monitor's settings are the sumologic_monitor task's own arguments (roles/sumo_monitoring/tasks/), rendered
against those variables, with the query and trigger field from the collection's sumologic_query (the functions
behind the role's filters) and the module's defaults for arguments the task leaves out. Flags of the backtest
(--threshold, --query, ...) win over what the inventory gives.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from emulator.sumo.backtest import SETTING_KEYS, BacktestError, build_parser, parse_arguments, run_cli
from tools.inventory_vars import (
    InventoryError,
    VariableResolver,
    group_vars_files,
    load_vars_file,
    load_yaml_document,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS_PATH = REPO_ROOT / "collections"
MONITOR_ROLE = "sumo_monitoring"
LAMBDA_ROLE = "remediation_lambda"
MONITOR_MODULE = "autoremediation.sumo_aws.sumologic_monitor"
COLLECTION = "ansible_collections.autoremediation.sumo_aws"

# Where each backtest setting comes from: a remediation_lambda variable (the guard), or the role's source category.
GUARD_VARIABLES = {
    "cooldown_seconds": "remediation_lambda_cooldown_seconds",
    "max_attempts": "remediation_lambda_max_attempts",
    "window_seconds": "remediation_lambda_attempt_window_seconds",
}
SOURCE_CATEGORY_VARIABLE = "sumo_monitoring_source_category"
# Names an earlier backtest read; no role reads them, so setting them changes nothing. Warned about, not used.
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
}
_ANSIBLE_TRUE = {"y", "yes", "on", "1", "true", "t", "1.0"}
_ANSIBLE_FALSE = {"n", "no", "off", "0", "false", "f", "0.0"}


def collection_module(name: str) -> ModuleType:
    """A module of the in-repo collection (`plugins.module_utils.sumologic_query`), importable as Ansible imports it."""
    if str(COLLECTIONS_PATH) not in sys.path:
        sys.path.append(str(COLLECTIONS_PATH))
    return importlib.import_module(f"{COLLECTION}.{name}")


def _query_filters() -> dict[str, Callable[..., Any]]:
    """The role's two filters by their full names, each calling the collection's sumologic_query function."""
    query = collection_module("plugins.module_utils.sumologic_query")

    def wrap(function: Callable[[Mapping[str, Any]], Any], name: str) -> Callable[[Mapping[str, Any]], Any]:
        def apply(settings: Mapping[str, Any]) -> Any:
            try:
                return function(settings)
            except ValueError as error:
                raise InventoryError(f"{name}: {error}", "__sumo_monitoring_query_settings") from error

        return apply

    return {
        "autoremediation.sumo_aws.sumo_monitor_query": wrap(query.render_monitor_query, "sumo_monitor_query"),
        "autoremediation.sumo_aws.sumo_monitor_trigger_field": wrap(
            query.monitor_trigger_field, "sumo_monitor_trigger_field"
        ),
    }


# ---------------------------------------------------------------------------------------------------------------
# The role's files


def _tasks(document: Any) -> list[dict[str, Any]]:
    """Every task of a tasks file, blocks flattened."""
    found: list[dict[str, Any]] = []
    for task in document or []:
        if not isinstance(task, dict):
            continue
        nested = [task.get(key) for key in ("block", "rescue", "always") if task.get(key)]
        if nested:
            for section in nested:
                found.extend(_tasks(section))
        else:
            found.append(task)
    return found


def _module_arguments(task: dict[str, Any], module: str) -> dict[str, Any] | None:
    """The arguments of `task` when it calls `module` (by its full or short name), else None."""
    for key in (module, module.rsplit(".", 1)[-1]):
        if key in task:
            arguments = task[key]
            return dict(arguments) if isinstance(arguments, dict) else {}
    return None


def role_tasks(role: Path) -> list[dict[str, Any]]:
    """Every task in the role's tasks/*.yml, in file order."""
    tasks: list[dict[str, Any]] = []
    for path in sorted((role / "tasks").glob("*.yml")):
        tasks.extend(_tasks(load_yaml_document(path)))
    return tasks


def _optional_vars(path: Path) -> dict[str, Any]:
    return load_vars_file(path) if path.is_file() else {}


def monitor_resolver(
    inventory: Path, extra_vars: Mapping[str, Any], roles: Path = REPO_ROOT / "roles"
) -> tuple[VariableResolver, dict[str, Any]]:
    """The variables as the sumo_monitoring role sees them, and its sumologic_monitor task's arguments."""
    if not inventory.is_dir():
        raise InventoryError(f"--inventory {inventory}: expected an inventory directory (holding group_vars/)")
    monitor_role, lambda_role = roles / MONITOR_ROLE, roles / LAMBDA_ROLE
    tasks = role_tasks(monitor_role)
    monitor_tasks = [arguments for task in tasks if (arguments := _module_arguments(task, MONITOR_MODULE)) is not None]
    if len(monitor_tasks) != 1:
        raise InventoryError(
            f"{monitor_role}/tasks: expected one {MONITOR_MODULE} task, found {len(monitor_tasks)}; "
            "tools/backtest_inventory.py needs updating to match the role"
        )
    facts: dict[str, Any] = {}
    for task in tasks:
        arguments = _module_arguments(task, "ansible.builtin.set_fact")
        if arguments:
            facts.update({name: value for name, value in arguments.items() if name != "cacheable"})
    layers: list[tuple[str, Mapping[str, Any]]] = [
        (f"{lambda_role}/defaults/main.yml", _optional_vars(lambda_role / "defaults" / "main.yml")),
        (f"{monitor_role}/defaults/main.yml", _optional_vars(monitor_role / "defaults" / "main.yml")),
        *((str(path), load_vars_file(path)) for path in group_vars_files(inventory)),
        (f"{lambda_role}/vars/main.yml", _optional_vars(lambda_role / "vars" / "main.yml")),
        (f"{monitor_role}/vars/main.yml", _optional_vars(monitor_role / "vars" / "main.yml")),
        (f"{monitor_role}/tasks (set_fact)", facts),
        ("-e", extra_vars),
    ]
    return VariableResolver(layers, filters=_query_filters()), monitor_tasks[0]


# ---------------------------------------------------------------------------------------------------------------
# Settings


def _ansible_bool(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _ANSIBLE_TRUE:
        return True
    if text in _ANSIBLE_FALSE:
        return False
    raise InventoryError(f"{what} must be a boolean (true/false, yes/no), got {value!r}", what)


@cache
def _module_defaults() -> dict[str, Any]:
    """The sumologic_monitor module's defaults, for arguments the role's task leaves out."""
    spec = collection_module("plugins.modules.sumologic_monitor").argument_spec()
    return {name: option.get("default") for name, option in spec.items()}


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


class MonitorSettings:
    """The backtest settings the deployment implies, each computed only when no flag already gives it."""

    def __init__(self, resolver: VariableResolver, monitor_task: Mapping[str, Any]) -> None:
        self._resolver = resolver
        self._task = monitor_task

    def task_argument(self, name: str) -> Any:
        """The monitor task's argument `name` rendered (the module's default when the task omits it)."""
        if name not in self._task:
            return _module_defaults().get(name)
        return self._resolver.render(self._task[name], f"the {MONITOR_ROLE} monitor task's {name}")

    def compute(self, key: str) -> Any:
        """The setting `key` (a SETTING_KEYS name of the generic backtest)."""
        if key in GUARD_VARIABLES:
            return self._resolver.value(GUARD_VARIABLES[key])
        if key == "source_category":
            return self._resolver.value(SOURCE_CATEGORY_VARIABLE)
        if key == "missing_data_time_range":
            if not _ansible_bool(self.task_argument("missing_data"), "missing_data"):
                return None
            return self.task_argument("missing_data_time_range") or self.task_argument("time_range")
        argument = "trigger_field" if key == "field" else key
        return self.task_argument(argument)

    def unsupported_arguments(self) -> list[str]:
        """Task arguments the generic backtest cannot model (a separate resolution condition)."""
        return [name for name in ("resolution_threshold", "resolution_threshold_type") if self._task.get(name)]


def settings_from_inventory(
    inventory: Path, extra_vars: Mapping[str, Any], given_by_flags: set[str], roles: Path = REPO_ROOT / "roles"
) -> tuple[dict[str, Any], VariableResolver]:
    """The backtest's base settings from the deployment, skipping the ones a flag gives; InventoryError names the
    variable that could not be rendered and the flag (or -e) that supplies it instead."""
    resolver, monitor_task = monitor_resolver(inventory, extra_vars, roles)
    monitor = MonitorSettings(resolver, monitor_task)
    unsupported = monitor.unsupported_arguments()
    if unsupported:
        raise InventoryError(f"the monitor task sets {', '.join(unsupported)}, which the backtest does not model")
    base: dict[str, Any] = {}
    for key in SETTING_KEYS:
        if key in given_by_flags:
            continue
        try:
            base[key] = monitor.compute(key)
        except InventoryError as error:
            instead = _flag(key)
            # A variable of the inventory can also be given with -e; the roles' internal ones cannot.
            if error.variable and error.variable in resolver and not error.variable.startswith("__"):
                instead += f" or -e {error.variable}=VALUE"
            raise InventoryError(f"{error}; pass {instead}", error.variable) from error
    check_argument_specs(resolver, [roles / MONITOR_ROLE, roles / LAMBDA_ROLE])
    return base, resolver


# ---------------------------------------------------------------------------------------------------------------
# The roles' argument specs, as Ansible checks them at role start


def _conforms(value: Any, kind: str) -> tuple[bool, Any]:
    """Whether `value` passes Ansible's type check for `kind`, and the value converted as Ansible converts it."""
    try:
        if kind == "int":
            if isinstance(value, bool):
                return False, value
            if isinstance(value, float):
                return value.is_integer(), int(value)
            return True, int(str(value).strip()) if not isinstance(value, int) else value
        if kind == "float":
            if isinstance(value, bool):
                return False, value
            return True, float(value)
        if kind == "bool":
            return True, _ansible_bool(value, "value")
    except (TypeError, ValueError):
        return False, value
    if kind == "str":
        return isinstance(value, str | int | float) and not isinstance(value, bool), str(value)
    return True, value


def check_argument_specs(resolver: VariableResolver, roles: list[Path]) -> None:
    """Refuse, as the role would at its start, a variable used here whose type or value its argument spec rejects."""
    resolved = resolver.resolved
    for role in roles:
        spec_file = role / "meta" / "argument_specs.yml"
        if not spec_file.is_file():
            continue
        options = (load_yaml_document(spec_file) or {}).get("argument_specs", {})
        for name, spec in ((options.get("main") or {}).get("options") or {}).items():
            if name not in resolved or not isinstance(spec, dict):
                continue
            value = resolved[name]
            kind = spec.get("type", "str")
            ok, converted = _conforms(value, kind)
            if not ok:
                raise InventoryError(
                    f"{name} must be of type {kind} ({role.name}'s argument spec), got {value!r} "
                    f"from {resolver.origin(name)}",
                    name,
                )
            choices = spec.get("choices")
            if choices and converted not in choices:
                raise InventoryError(
                    f"{name} must be one of {', '.join(map(str, choices))} ({role.name}'s argument spec), "
                    f"got {value!r} from {resolver.origin(name)}",
                    name,
                )


def retired_names_in(resolver: VariableResolver) -> list[str]:
    """Warnings for variables an earlier backtest read but no role reads."""
    return [
        f"{name} (from {resolver.origin(name)}) is read by no role and ignored; use {instead}"
        for name, instead in RETIRED_NAMES.items()
        if name in resolver
    ]


# ---------------------------------------------------------------------------------------------------------------
# Command line


def _extra_vars(pairs: list[str]) -> dict[str, str]:
    """`-e NAME=VALUE` pairs; values stay text, as with ansible-playbook's key=value form."""
    variables: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name.strip().isidentifier():
            raise InventoryError(f"-e expects NAME=VALUE with a variable name, got {pair!r}")
        variables[name.strip()] = value
    return variables


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(
        prog="python -m tools.backtest_inventory",
        description=(
            "Replay the deployed slow-call monitor over a log file: the monitor as the sumo_monitoring role renders "
            "it from an inventory, the guard as the remediation Lambda is configured. Flags override the inventory."
        ),
    )
    parser.add_argument("--inventory", required=True, type=Path, help="inventory directory, e.g. inventory/local")
    parser.add_argument(
        "-e",
        "--extra-vars",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a deployment variable, as ansible-playbook -e does (repeatable)",
    )
    args = parse_arguments(parser, argv)
    given = {key for key in SETTING_KEYS if getattr(args, key, None) is not None}
    try:
        base, resolver = settings_from_inventory(args.inventory, _extra_vars(args.extra_vars), given)
    except (InventoryError, BacktestError) as error:
        print(f"backtest_inventory: {error}", file=sys.stderr)
        return 2
    for warning in retired_names_in(resolver):
        print(f"backtest_inventory: warning: {warning}", file=sys.stderr)
    return run_cli(args, base, prefix="backtest_inventory")


if __name__ == "__main__":
    raise SystemExit(main())
