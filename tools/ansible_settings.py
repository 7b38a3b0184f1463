"""Render templates the way `ansible-playbook site.yml` would: one run of playbooks/backtest_settings.yml against an
inventory, with the caller's -e and vault options, and the rendered values read back from the JSON callback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
PLAYBOOK = REPO_ROOT / "playbooks" / "backtest_settings.yml"
# Task names of playbooks/backtest_settings.yml whose results this module reads.
RENDER_TASKS = ("Render the guard settings", "Render the monitor settings")
RETIRED_TASK = "List the variables that no role reads"
_JSON_CALLBACK = "ansible.posix.json"


class AnsibleSettingsError(RuntimeError):
    """Ansible could not resolve the settings; the message says what failed (no traceback), `labels` which of the
    request's templates failed to render."""

    def __init__(self, message: str, labels: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.labels = list(labels)


@dataclass(frozen=True)
class AnsibleOptions:
    """What is passed on to ansible-playbook as given: the inventory, -e arguments and vault options."""

    inventory: Path
    extra_vars: Sequence[str] = ()
    vault_password_files: Sequence[str] = ()
    vault_ids: Sequence[str] = ()
    ask_vault_pass: bool = False

    def arguments(self) -> list[str]:
        arguments = ["-i", str(self.inventory)]
        for value in self.extra_vars:
            arguments += ["-e", value]
        for path in self.vault_password_files:
            arguments += ["--vault-password-file", path]
        for vault_id in self.vault_ids:
            arguments += ["--vault-id", vault_id]
        if self.ask_vault_pass:
            arguments.append("--ask-vault-pass")
        return arguments


@dataclass(frozen=True)
class RenderRequest:
    """Templates to render in each play ({label: template}) and the role variables to check against the role's
    argument spec first; `retired` names are reported back when the deployment defines them."""

    guard: Mapping[str, Any]
    guard_checked: Sequence[str]
    monitor: Mapping[str, Any]
    monitor_checked: Sequence[str]
    retired: Sequence[str] = ()
    # Defined as the role's set_fact tasks define them (rendered lazily, like any variable).
    facts: Mapping[str, Any] = field(default_factory=dict)

    def extra_vars(self) -> dict[str, Any]:
        return {
            **self.facts,
            "backtest_settings_guard": dict(self.guard),
            "backtest_settings_guard_checked": list(self.guard_checked),
            "backtest_settings_monitor": dict(self.monitor),
            "backtest_settings_monitor_checked": list(self.monitor_checked),
            # varnames needs a pattern that matches nothing when there is nothing to look for.
            "backtest_settings_retired": list(self.retired) or ["(?!)"],
        }


@dataclass(frozen=True)
class Rendered:
    """The rendered value of every label of the request, and the retired names the deployment defines."""

    values: dict[str, Any]
    retired_defined: list[str]


def ansible_playbook() -> str:
    """The virtualenv's ansible-playbook (next to this interpreter), else the one on PATH."""
    beside = Path(sys.executable).with_name("ansible-playbook")
    if beside.is_file():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if found is None:
        raise AnsibleSettingsError("ansible-playbook not found next to this Python or on PATH")
    return found


def _environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment["ANSIBLE_STDOUT_CALLBACK"] = _JSON_CALLBACK
    environment["ANSIBLE_NOCOLOR"] = "1"
    # The repository's ansible.cfg (collections and roles paths), as `ansible-playbook site.yml` from its root reads.
    environment.setdefault("ANSIBLE_CONFIG", str(REPO_ROOT / "ansible.cfg"))
    return environment


def check_inventory(inventory: Path) -> None:
    if "," not in str(inventory) and not inventory.exists():
        raise AnsibleSettingsError(f"--inventory {inventory}: no such inventory file or directory")


def render(options: AnsibleOptions, request: RenderRequest) -> Rendered:
    """Run the playbook once; AnsibleSettingsError with Ansible's own message when any task or the run fails."""
    check_inventory(options.inventory)
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="backtest-settings-") as variables:
        json.dump(request.extra_vars(), variables)
        variables.flush()
        # Ours first: a later -e of the caller wins, as the last -e does for ansible-playbook.
        command = [ansible_playbook(), str(PLAYBOOK), "-e", f"@{variables.name}", *options.arguments()]
        # --ask-vault-pass prompts on stderr when there is no terminal: leave stderr to the user then.
        completed = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=None if options.ask_vault_pass else subprocess.PIPE,
            text=True,
            env=_environment(),
            check=False,
        )
    report = _json_report(completed.stdout)
    failures = _failures(report)
    if failures:
        raise AnsibleSettingsError("; ".join(message for _, message in failures), [label for label, _ in failures])
    if completed.returncode != 0 or report is None:
        raise AnsibleSettingsError(_stderr_error(completed.stderr or "", completed.returncode))
    return _rendered(report)


def _json_report(stdout: str) -> dict[str, Any] | None:
    start = stdout.find("{")
    if start < 0:
        return None
    try:
        report = json.loads(stdout[start:])
    except ValueError:
        return None
    return report if isinstance(report, dict) else None


def _task_results(report: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    if report is None:
        return []
    return [
        (task["task"]["name"], task["hosts"]["localhost"])
        for play in report.get("plays", [])
        for task in play.get("tasks", [])
        if "localhost" in task.get("hosts", {})
    ]


def _failures(report: dict[str, Any] | None) -> list[tuple[str | None, str]]:
    """What failed in Ansible's words, each with the label of the template that failed (None: not a template)."""
    failures: list[tuple[str | None, str]] = []
    for name, result in _task_results(report):
        if not result.get("failed") and not result.get("unreachable"):
            continue
        failed_items = [item for item in result.get("results", []) if item.get("failed")]
        for item in failed_items or [result]:
            label = item.get("item")
            errors = item.get("argument_errors") or [item.get("msg")]
            failures.extend((label, f"{label or name}: {_one_line(error)} [task: {name}]") for error in errors)
    return failures


def _one_line(message: Any) -> str:
    return " ".join(str(message).split())


def _stderr_error(stderr: str, returncode: int) -> str:
    """Ansible's error from stderr (from its first [ERROR] line), without warnings; tracebacks appear only at -vvv."""
    lines = stderr.strip().splitlines()
    for index, line in enumerate(lines):
        if line.startswith(("[ERROR]", "ERROR!")):
            return "ansible-playbook failed: " + " ".join(part.strip() for part in lines[index:] if part.strip())
    detail = " ".join(line.strip() for line in lines if line.strip()) or "no message"
    return f"ansible-playbook failed (exit {returncode}): {detail}"


def _rendered(report: dict[str, Any]) -> Rendered:
    values: dict[str, Any] = {}
    retired: list[str] = []
    for name, result in _task_results(report):
        if name in RENDER_TASKS:
            values.update({item["item"]: item.get("msg") for item in result.get("results", [])})
        elif name == RETIRED_TASK:
            retired = [str(variable) for variable in result.get("msg") or []]
    return Rendered(values, retired)
