"""`python -m tools.rehearse` uploads a runbook to the twin, runs it and prints each step until it ends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.twin

GREETING_RUNBOOK = {
    "schemaVersion": "0.3",
    "description": "Look up the caller, then wait.",
    "parameters": {"Pause": {"type": "String"}},
    "mainSteps": [
        {
            "name": "whoAmI",
            "action": "aws:executeAwsApi",
            "inputs": {"Service": "sts", "Api": "GetCallerIdentity"},
            "outputs": [{"Name": "Account", "Selector": "$.Account", "Type": "String"}],
        },
        {"name": "pause", "action": "aws:sleep", "inputs": {"Duration": "{{ Pause }}"}},
    ],
    "outputs": ["whoAmI.Account"],
}
FAILING_RUNBOOK = {
    "schemaVersion": "0.3",
    "mainSteps": [
        {
            "name": "rebootNothing",
            "action": "aws:executeAwsApi",
            "inputs": {"Service": "ec2", "Api": "RebootInstances", "InstanceIds": ["i-0123456789abcdef0"]},
        }
    ],
}


def _rehearse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.rehearse", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_rehearsal_prints_each_step_and_exits_zero_on_success(twin, tmp_path):
    runbook = tmp_path / "greeting-runbook.yaml"
    runbook.write_text(yaml.safe_dump(GREETING_RUNBOOK))

    result = _rehearse(str(runbook), "-p", "Pause=PT5S", "--endpoint", twin.aws_url, "--poll-seconds", "0.05")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("document greeting-runbook version 1 is the default")
    assert any("start  whoAmI (aws:executeAwsApi)" in line for line in lines)
    assert any("Success whoAmI" in line and "123456789012" in line for line in lines)
    assert any("Success pause" in line for line in lines)
    assert "OutputPayload" not in result.stdout
    assert lines[-2].endswith("ended: Success")


def test_rehearsing_again_publishes_a_new_default_version(twin, tmp_path):
    runbook = tmp_path / "twice.yaml"
    runbook.write_text(yaml.safe_dump(GREETING_RUNBOOK))
    first = _rehearse(str(runbook), "-p", "Pause=PT1S", "--endpoint", twin.aws_url, "--poll-seconds", "0.05")
    changed = {**GREETING_RUNBOOK, "description": "Second edition."}
    runbook.write_text(yaml.safe_dump(changed))

    second = _rehearse(str(runbook), "-p", "Pause=PT1S", "--endpoint", twin.aws_url, "--poll-seconds", "0.05")

    assert first.returncode == second.returncode == 0
    assert second.stdout.splitlines()[0].startswith("document twice version 2 is the default")
    assert twin.client("ssm").describe_document(Name="twice")["Document"]["DefaultVersion"] == "2"


def test_full_outputs_include_the_raw_api_response(twin, tmp_path):
    runbook = tmp_path / "full-outputs.yaml"
    runbook.write_text(yaml.safe_dump(GREETING_RUNBOOK))

    result = _rehearse(str(runbook), "-p", "Pause=PT1S", "--endpoint", twin.aws_url, "--full-outputs")

    assert result.returncode == 0, result.stderr
    assert "OutputPayload" in result.stdout


def test_failed_rehearsal_shows_the_failure_and_exits_one(twin, tmp_path):
    runbook = tmp_path / "failing.json"
    runbook.write_text(json.dumps(FAILING_RUNBOOK))

    result = _rehearse(str(runbook), "--document-name", "failing-rehearsal", "--endpoint", twin.aws_url)

    assert result.returncode == 1
    assert "Failed rebootNothing: " in result.stdout
    assert "InvalidInstanceID.NotFound" in result.stdout


def test_non_loopback_endpoint_is_refused_without_the_explicit_flag(tmp_path):
    runbook = tmp_path / "anything.yaml"
    runbook.write_text(yaml.safe_dump(GREETING_RUNBOOK))

    result = _rehearse(str(runbook), "--endpoint", "https://ssm.us-east-1.amazonaws.com")

    assert result.returncode == 2
    assert "not loopback" in result.stderr
    assert "--allow-real-account" in result.stderr


def test_invalid_runbook_is_reported_with_the_engine_message(twin, tmp_path):
    runbook = tmp_path / "broken.yaml"
    runbook.write_text(yaml.safe_dump({"schemaVersion": "0.3", "mainSteps": [{"name": "x", "action": "aws:nope"}]}))

    result = _rehearse(str(runbook), "--endpoint", twin.aws_url)

    assert result.returncode == 2
    assert "InvalidDocumentContent" in result.stderr
