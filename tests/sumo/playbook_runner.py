"""Run a small playbook the way a user would (ansible-playbook, the in-repo collection and roles) and read its
per-task results from the ansible.posix.json callback, plus the human (default callback) text when asked.

Several scenarios share one run to keep the number of ansible-playbook processes small: `step_marker(key)` is a
no-op task that opens scenario `key`, and `PlaybookRun.steps()` groups the tasks and the time window of each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))
STEP_PREFIX = "== step "


def step_marker(key: str) -> dict[str, Any]:
    """A task that does nothing but mark where scenario `key` starts."""
    return {"name": f"{STEP_PREFIX}{key}", "ansible.builtin.debug": {"msg": key}}


@dataclass
class Step:
    """The tasks of one scenario and when it ran (epoch seconds, from its marker to the next marker)."""

    key: str
    start: float
    end: float = float("inf")
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@dataclass
class PlaybookRun:
    returncode: int
    stdout: str
    stderr: str
    tasks: list[dict[str, Any]]

    def result(self, task_name: str) -> dict[str, Any]:
        """The localhost result of the task called `task_name`."""
        for task in self.tasks:
            if task["task"]["name"] == task_name:
                return task["hosts"]["localhost"]
        raise KeyError(f"no task {task_name!r} in {[task['task']['name'] for task in self.tasks]}")

    def steps(self) -> dict[str, Step]:
        """Each marked scenario with the localhost results of its tasks, keyed by task name."""
        steps: dict[str, Step] = {}
        current: Step | None = None
        for task in self.tasks:
            name = task["task"]["name"]
            if name.startswith(STEP_PREFIX):
                started = _epoch(task["task"]["duration"]["start"])
                if current is not None:
                    current.end = started
                current = steps[name.removeprefix(STEP_PREFIX)] = Step(name.removeprefix(STEP_PREFIX), started)
            elif current is not None and "localhost" in task["hosts"]:
                current.results[name] = task["hosts"]["localhost"]
        return steps


def run_playbook(
    tmp_path: Path,
    tasks: list[dict[str, Any]],
    variables: dict[str, Any] | None = None,
    check: bool = False,
    diff: bool = False,
    human: bool = False,
    environment: dict[str, str] | None = None,
) -> PlaybookRun:
    """Run `tasks` in one localhost play; variables go through a file so they never show in a process list."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    playbook = tmp_path / "playbook.yml"
    play = {"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(variables or {}))
    command = [ANSIBLE_PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", f"@{vars_file}", str(playbook)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    env = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / "collections"),
        "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default" if human else "ansible.posix.json",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_PIPELINING": "true",
        **(environment or {}),
    }
    for inherited in ("SUMO_ACCESS_ID", "SUMO_ACCESS_KEY"):
        if inherited not in (environment or {}):
            env.pop(inherited, None)
    completed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    tasks: list[dict[str, Any]] = []
    if not human:
        try:
            report = json.loads(completed.stdout)
        except ValueError as error:
            shown = f"{completed.stdout}\n{completed.stderr}"
            raise AssertionError(f"ansible-playbook printed no JSON:\n{shown}") from error
        tasks = [task for play_report in report["plays"] for task in play_report["tasks"]]
    return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, tasks)
