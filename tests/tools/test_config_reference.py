"""docs/configuration.md is the roles' argument specs, rendered: it must say what the code says."""

from __future__ import annotations

import yaml

from tools.config_reference import REFERENCE, REPO_ROOT, main, render


def test_configuration_reference_is_current():
    assert main(["--check"]) == 0, "run: .venv/bin/python -m tools.config_reference"


def test_every_role_variable_appears_with_its_default():
    rendered = render()
    for spec_path in (REPO_ROOT / "roles").glob("*/meta/argument_specs.yml"):
        options = yaml.safe_load(spec_path.read_text())["argument_specs"]["main"].get("options") or {}
        for name in options:
            assert f"| `{name}` |" in rendered, f"{name} from {spec_path} is missing"
    assert REFERENCE.name == "configuration.md"
