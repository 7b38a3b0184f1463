"""Fixtures for the AWS twin's tests: the running twin, its control API, and long EC2 timings for stepwise tests."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.twin_process import REGION, REPO_ROOT, TEST_CREDENTIALS, RunningTwin, free_port


def _whole_twin_available() -> bool:
    return importlib.util.find_spec("emulator.sumo.server") is not None


def _start_aws_only(log_dir: Path) -> RunningTwin:
    """The AWS twin alone in a subprocess, for as long as the Sumo twin cannot start yet."""
    port = free_port()
    log_path = log_dir / "aws-twin.log"
    env = {**os.environ, **TEST_CREDENTIALS, "TWIN_AWS_PORT": str(port), "TWIN_CLOCK_SPEED": "100"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.emulator.aws.serve_aws_only"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    running = RunningTwin(url, url, process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"AWS twin exited with {process.returncode}:\n{running.log_tail()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_twin/health", timeout=1):
            return running
        time.sleep(0.1)
    raise RuntimeError(f"AWS twin did not answer:\n{running.log_tail()}")


@pytest.fixture(scope="session")
def aws(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    """The twin's AWS endpoint: the session `twin` when the whole twin can start, else the AWS part alone."""
    if _whole_twin_available():
        yield request.getfixturevalue("twin")
        return
    running = _start_aws_only(tmp_path_factory.mktemp("aws-twin"))
    saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", *TEST_CREDENTIALS)}
    os.environ.update({"AWS_ENDPOINT_URL": running.aws_url, "AWS_DEFAULT_REGION": REGION, **TEST_CREDENTIALS})
    try:
        yield running
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        with contextlib.suppress(ProcessLookupError):
            os.killpg(running.process.pid, signal.SIGTERM)
        running.process.wait(timeout=15)


def control(twin: RunningTwin, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
    """Call the twin's /_twin/ API; returns (HTTP status, parsed JSON body)."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{twin.aws_url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def slow_ec2(aws: RunningTwin) -> Iterator[dict[str, float]]:
    """EC2 transitions long enough (minutes of virtual time) that a test moves them on only by advancing the clock."""
    _status, defaults = control(aws, "GET", "/_twin/ec2/timings")
    long_timings = {
        "pending_seconds": 600.0,
        "stopping_seconds": 600.0,
        "reboot_status_dip_seconds": 600.0,
        "start_initializing_seconds": 600.0,
    }
    control(aws, "POST", "/_twin/ec2/timings", long_timings)
    try:
        yield long_timings
    finally:
        control(aws, "POST", "/_twin/ec2/timings", defaults)


@pytest.fixture
def no_faults(aws: RunningTwin) -> Iterator[None]:
    control(aws, "DELETE", "/_twin/faults")
    try:
        yield
    finally:
        control(aws, "DELETE", "/_twin/faults")


def raw_aws_call(
    twin: RunningTwin, service: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """POST `body` as-is, with a SigV4-shaped Authorization header naming `service` (moto does not check it)."""
    authorization = (
        f"AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )
    request = urllib.request.Request(
        f"{twin.aws_url}/", data=body, method="POST", headers={"Authorization": authorization, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
