"""Backtest the deployed slow-call monitor: read a deployment inventory, render the monitor as the sumo_monitoring
role deploys it and take the remediation Lambda's guard settings, then replay a log file with the generic backtest.

    python -m tools.backtest_inventory access.log --inventory inventory/local [-e NAME=VALUE ...] [--threshold 8]

Each role's variables come in Ansible's precedence order: the role's defaults, the inventory's group_vars/all, the
vars and vars_files of the site.yml play that applies the role, the role's vars/main.yml and set_fact arguments, `-e`.
The monitor's settings are the sumologic_monitor task's own arguments (roles/sumo_monitoring/tasks/), rendered
against those variables, with the query and trigger field from the collection's sumologic_query (the functions
behind the role's filters) and the module's defaults for arguments the task leaves out; the guard's are the
remediation_lambda role's. Flags of the backtest (--threshold, --query, ...) win over what the deployment gives.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


def deployment_plays(playbook: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The plays `playbook` runs, in order, following import_playbook (paths relative to the importing file)."""
    plays: list[tuple[Path, dict[str, Any]]] = []
    for entry in load_yaml_document(playbook) or []:
        if not isinstance(entry, dict):
            continue
        imported = entry.get("ansible.builtin.import_playbook") or entry.get("import_playbook")
        if imported:
            plays.extend(deployment_plays(playbook.parent / str(imported)))
        else:
            plays.append((playbook, entry))
    return plays


def _role_names(play: dict[str, Any]) -> list[str]:
    return [str(item.get("role") or item.get("name")) if isinstance(item, dict) else str(item)
            for item in play.get("roles") or []]  # fmt: skip


def play_layers(site: Path, role: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The `vars` and `vars_files` of the one play of `site` that applies `role`, in Ansible's precedence order."""
    matching = [(path, play) for path, play in deployment_plays(site) if role in _role_names(play)]
    if len(matching) != 1:
        raise InventoryError(
            f"{site}: expected one play applying the role {role}, found {len(matching)}; "
            "tools/backtest_inventory.py needs updating to match the playbooks"
        )
    path, play = matching[0]
    play_vars = play.get("vars")
    layers: list[tuple[str, Mapping[str, Any]]] = [
        (f"{path} (play vars)", play_vars if isinstance(play_vars, dict) else {})
    ]
    for vars_file in play.get("vars_files") or []:
        if not isinstance(vars_file, str) or "{{" in vars_file:
            raise InventoryError(f"{path}: vars_files entry {vars_file!r} is not a plain path the backtest can read")
        layers.append((str(path.parent / vars_file), load_vars_file(path.parent / vars_file)))
    return layers


def role_resolver(
    inventory: Path,
    role: Path,
    plays: list[tuple[str, Mapping[str, Any]]],
    extra_vars: Mapping[str, Any],
    facts: Mapping[str, Any] | None = None,
) -> VariableResolver:
    """The variables as `role` sees them, lowest precedence first: its defaults, the inventory's group_vars/all, the
    play's vars and vars_files, its vars/main.yml, facts its tasks set, extra vars."""
    layers: list[tuple[str, Mapping[str, Any]]] = [
        (f"{role.name}/defaults/main.yml", _optional_vars(role / "defaults" / "main.yml")),
        *((str(path), load_vars_file(path)) for path in group_vars_files(inventory)),
        *plays,
        (f"{role.name}/vars/main.yml", _optional_vars(role / "vars" / "main.yml")),
        (f"{role.name}/tasks (set_fact)", facts or {}),
        ("-e", extra_vars),
    ]
    return VariableResolver(layers, filters=_query_filters())


@dataclass(frozen=True)
class Deployment:
    """Where the backtest reads the deployment from: the inventory, the roles and the playbook that applies them."""

    inventory: Path
    roles: Path = REPO_ROOT / "roles"
    site: Path = REPO_ROOT / "site.yml"


def deployment_resolvers(
    deployment: Deployment, extra_vars: Mapping[str, Any]
) -> tuple[VariableResolver, dict[str, Any], VariableResolver]:
    """The monitor role's variables and its sumologic_monitor task's arguments, and the Lambda role's variables."""
    if not deployment.inventory.is_dir():
        raise InventoryError(
            f"--inventory {deployment.inventory}: expected an inventory directory (holding group_vars/)"
        )
    monitor_role, lambda_role = deployment.roles / MONITOR_ROLE, deployment.roles / LAMBDA_ROLE
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
    monitor = role_resolver(
        deployment.inventory, monitor_role, play_layers(deployment.site, MONITOR_ROLE), extra_vars, facts
    )
    guard = role_resolver(deployment.inventory, lambda_role, play_layers(deployment.site, LAMBDA_ROLE), extra_vars)
    return monitor, monitor_tasks[0], guard


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

    def __init__(self, monitor: VariableResolver, monitor_task: Mapping[str, Any], guard: VariableResolver) -> None:
        self._resolver = monitor
        self._task = monitor_task
        self._guard = guard

    def task_argument(self, name: str) -> Any:
        """The monitor task's argument `name` rendered (the module's default when the task omits it)."""
        if name not in self._task:
            return _module_defaults().get(name)
        return self._resolver.render(self._task[name], f"the {MONITOR_ROLE} monitor task's {name}")

    def compute(self, key: str) -> Any:
        """The setting `key` (a SETTING_KEYS name of the generic backtest)."""
        if key in GUARD_VARIABLES:
            return self._guard.value(GUARD_VARIABLES[key])
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
    deployment: Deployment, extra_vars: Mapping[str, Any], given_by_flags: set[str]
) -> tuple[dict[str, Any], VariableResolver]:
    """The backtest's base settings from the deployment, skipping the ones a flag gives, and the monitor role's
    variables; InventoryError names the variable that could not be rendered and the flag (or -e) to use instead."""
    resolver, monitor_task, guard = deployment_resolvers(deployment, extra_vars)
    monitor = MonitorSettings(resolver, monitor_task, guard)
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
            known = error.variable is not None and (error.variable in resolver or error.variable in guard)
            if known and not str(error.variable).startswith("__"):
                instead += f" or -e {error.variable}=VALUE"
            raise InventoryError(f"{error}; pass {instead}", error.variable) from error
    check_argument_specs(resolver, deployment.roles / MONITOR_ROLE)
    check_argument_specs(guard, deployment.roles / LAMBDA_ROLE)
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


def check_argument_specs(resolver: VariableResolver, role: Path) -> None:
    """Refuse, as the role would at its start, a variable used here whose type or value its argument spec rejects."""
    spec_file = role / "meta" / "argument_specs.yml"
    if not spec_file.is_file():
        return
    resolved = resolver.resolved
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
        base, resolver = settings_from_inventory(Deployment(args.inventory), _extra_vars(args.extra_vars), given)
    except (InventoryError, BacktestError) as error:
        print(f"backtest_inventory: {error}", file=sys.stderr)
        return 2
    for warning in retired_names_in(resolver):
        print(f"backtest_inventory: warning: {warning}", file=sys.stderr)
    return run_cli(args, base, prefix="backtest_inventory")


if __name__ == "__main__":
    raise SystemExit(main())
