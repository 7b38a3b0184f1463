"""A console command that cannot do its job says why in one line on stderr, names what is wrong, exits 1 and prints
no traceback: a bad inventory, a deployment that is not there, AWS out of reach."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.testing import free_port
from tests.console.pipeline import Answer
from tools.console.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]
REMEDIATION = Path(sys.executable).with_name("remediation")


def one_line_problem(answer: Answer) -> str:
    assert answer.exit_code == 1
    assert answer.stdout == ""
    assert "Traceback" not in answer.stderr
    lines = answer.stderr.splitlines()
    assert len(lines) == 1, answer.stderr
    assert lines[0].startswith("remediation: ")
    return lines[0]


def installed(*argv: str, **environment: str) -> Answer:
    """The command as on-call runs it: the entry point `make setup` installs, from another directory."""
    completed = subprocess.run(
        [str(REMEDIATION), *argv],
        capture_output=True,
        text=True,
        cwd="/",
        env={**os.environ, **environment},
        timeout=120,
        check=False,
    )
    return Answer(completed.returncode, completed.stdout, completed.stderr)


def test_an_inventory_that_is_not_there_is_named():
    out, err = io.StringIO(), io.StringIO()

    code = main(["status", "--inventory", "/no/such/inventory"], out, err)

    line = one_line_problem(Answer(code, out.getvalue(), err.getvalue()))
    assert line == "remediation: --inventory /no/such/inventory: no such inventory file or directory"


def test_an_inventory_without_the_deployment_variables_names_the_missing_one(tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    out, err = io.StringIO(), io.StringIO()

    code = main(["status", "--inventory", str(inventory)], out, err)

    line = one_line_problem(Answer(code, out.getvalue(), err.getvalue()))
    assert line.startswith(f"remediation: inventory {inventory}: ")
    assert "remediation_project" in line or "remediation_aws_region" in line


@pytest.mark.twin
@pytest.mark.parametrize(
    ("resource", "named"),
    [
        ("switch_parameter", "the kill switch /nowhere/switch does not exist"),
        ("function", "the webhook function nowhere does not exist"),
        ("table", "the state table nowhere does not exist"),
    ],
)
def test_a_missing_part_of_the_deployment_is_named(site, resource, named):
    missing = {"switch_parameter": "/nowhere/switch", "function": "nowhere", "table": "nowhere"}[resource]
    site.console = dataclasses.replace(site.console, **{resource: missing})

    line = one_line_problem(site.console_run("status"))

    assert named in line
    assert f"in us-east-1 at {site.aws.url}" in line
    assert line.endswith("is it deployed? (ansible-playbook site.yml -i tests/console)")


@pytest.mark.twin
def test_a_missing_log_group_is_named_by_history(site):
    site.console = dataclasses.replace(site.console, log_group="/aws/lambda/nowhere")

    line = one_line_problem(site.console_run("history"))

    assert "the function's log group /aws/lambda/nowhere does not exist" in line


@pytest.mark.twin
def test_aws_out_of_reach_is_named_with_its_endpoint(site):
    endpoint = f"http://127.0.0.1:{free_port()}"
    site.console = dataclasses.replace(site.console, endpoint_url=endpoint)

    line = one_line_problem(site.console_run("pause"))

    assert line.startswith(f"remediation: cannot reach AWS (us-east-1 at {endpoint}) for the kill switch ")


@pytest.mark.twin
def test_the_installed_command_resolves_inventory_local_and_names_what_is_not_deployed(twin):
    port = twin.aws_url.rsplit(":", 1)[1]

    answer = installed("status", "-e", "remediation_project=console-absent", TWIN_AWS_PORT=port)

    line = one_line_problem(answer)
    assert line == (
        "remediation: the kill switch /console-absent/remediation-switch does not exist in us-east-1 at "
        f"http://127.0.0.1:{port} (ParameterNotFound): is it deployed? "
        f"(ansible-playbook site.yml -i {REPO_ROOT / 'inventory' / 'local'})"
    )


def test_the_installed_command_names_an_unreachable_twin():
    port = str(free_port())

    line = one_line_problem(installed("history", "--json", TWIN_AWS_PORT=port))

    assert line.startswith(f"remediation: cannot reach AWS (us-east-1 at http://127.0.0.1:{port}) for the function's")
