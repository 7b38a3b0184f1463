"""playbooks/backtest_settings.yml gives each role the variables site.yml gives it, and can touch nothing: each play
mirrors the site.yml play that applies its role, and runs no task but argument checks and debug output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO_ROOT / "playbooks" / "backtest_settings.yml"
# What a play's variables depend on, besides the inventory and -e.
VARIABLE_KEYS = ("hosts", "connection", "gather_facts", "vars", "vars_files")
HARMLESS_ACTIONS = {"ansible.builtin.validate_argument_spec", "ansible.builtin.debug"}


def site_plays(playbook: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The plays `playbook` runs, following import_playbook."""
    plays: list[tuple[Path, dict[str, Any]]] = []
    for entry in yaml.safe_load(playbook.read_text()):
        imported = entry.get("ansible.builtin.import_playbook")
        if imported:
            plays.extend(site_plays(playbook.parent / imported))
        else:
            plays.append((playbook, entry))
    return plays


def applied_roles(play: dict[str, Any]) -> list[str]:
    return [role["role"] if isinstance(role, dict) else role for role in play.get("roles", [])]


def imported_roles(play: dict[str, Any]) -> list[str]:
    return [
        task["ansible.builtin.import_role"]["name"] for task in play["tasks"] if "ansible.builtin.import_role" in task
    ]


def backtest_plays() -> list[dict[str, Any]]:
    return yaml.safe_load(PLAYBOOK.read_text())


@pytest.mark.parametrize("role", ["remediation_lambda", "sumo_monitoring"])
def test_each_play_has_the_variables_of_the_site_play_that_applies_its_role(role: str) -> None:
    (site_path, site_play), *others = [(path, play) for path, play in site_plays(REPO_ROOT / "site.yml")
                                       if role in applied_roles(play)]  # fmt: skip
    assert others == [], f"{role} is applied by more than one play of site.yml"
    # vars_files are relative to the playbook; both playbooks live in playbooks/.
    assert site_path.parent == PLAYBOOK.parent
    (backtest_play,) = [play for play in backtest_plays() if role in imported_roles(play)]
    for key in VARIABLE_KEYS:
        assert backtest_play.get(key) == site_play.get(key), f"{key} of the play applying {role} differs"


def test_no_task_can_touch_anything() -> None:
    for play in backtest_plays():
        assert play["hosts"] == "localhost" and play["connection"] == "local"
        for task in play["tasks"]:
            if "ansible.builtin.import_role" in task:
                assert task["when"] is False, f"{task['name']} would run the role's tasks"
            else:
                assert HARMLESS_ACTIONS & set(task), f"{task['name']} runs an action that might change something"
