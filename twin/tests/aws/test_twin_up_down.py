"""`make twin-up` / `make twin-down` (python -m emulator up/down) start and stop a twin that answers AWS calls."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest

from emulator.control_client import TwinControl
from emulator.testing import REGION, TEST_CREDENTIALS, free_port

pytestmark = pytest.mark.slow


def _emulator(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", command],
        cwd=env["TWIN_STATE_DIR"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_up_serves_aws_until_down(tmp_path):
    aws_port, sumo_port = free_port(), free_port()
    aws_url, sumo_url = f"http://127.0.0.1:{aws_port}", f"http://127.0.0.1:{sumo_port}"
    env = {
        **os.environ,
        **TEST_CREDENTIALS,
        "TWIN_STATE_DIR": str(tmp_path),
        "TWIN_AWS_PORT": str(aws_port),
        "TWIN_SUMO_PORT": str(sumo_port),
        "TWIN_CLOCK_SPEED": "100",
    }
    up = _emulator("up", env)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert (tmp_path / "twin.pid").exists()
        sts = boto3.client(
            "sts",
            endpoint_url=aws_url,
            region_name=REGION,
            aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        assert sts.get_caller_identity()["Account"] == "123456789012"
        assert _emulator("status", env).returncode == 0
    finally:
        down = _emulator("down", env)

    assert down.returncode == 0
    assert not (tmp_path / "twin.pid").exists()
    stopped = TwinControl(aws_url, sumo_url)
    assert not stopped.answers("aws")
    assert not stopped.answers("sumo")
