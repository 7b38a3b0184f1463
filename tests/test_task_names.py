"""Every role task is named in one style, a short imperative sentence: a capital first letter and a closing period.

Operators read these names in the play output (and the README quotes "Deploy the function." in a retry line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROLES = Path(__file__).resolve().parents[1] / "roles"


def _named_tasks(tasks: list[dict[str, Any]]) -> list[str]:
    names = []
    for task in tasks:
        names.append(task.get("name", ""))
        for section in ("block", "rescue", "always"):
            names.extend(_named_tasks(task.get(section) or []))
    return names


def test_every_role_task_name_is_a_sentence_ending_with_a_period() -> None:
    wrong = [
        f"{path.relative_to(ROLES)}: {name!r}"
        for path in sorted(ROLES.glob("*/tasks/*.yml"))
        for name in _named_tasks(yaml.safe_load(path.read_text()) or [])
        if not (name[:1].isupper() and name.endswith("."))
    ]
    assert wrong == [], "name each task like 'Deploy the function.':\n" + "\n".join(wrong)
