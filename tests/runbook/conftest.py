"""Fixtures for the runbook tests: a twin to run it on, and a harness that runs it and reads its SNS mail."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runbook.harness import RunbookHarness
from tests.twin_process import REGION, REPO_ROOT, TEST_CREDENTIALS, RunningTwin, free_port

# Serves the AWS half of the twin alone; only used while the Sumo half cannot start yet (see aws_twin).
_SERVE_AWS_ONLY = """
import signal, threading
from werkzeug.serving import make_server
from emulator.aws.server import create_aws_twin
from emulator.cli import settings_from_environment
from emulator.clock import ScaledClock
settings = settings_from_environment()
service = create_aws_twin(ScaledClock(speed=settings.clock_speed), settings)
server = make_server(settings.host, settings.aws_port, service.wsgi_app, threaded=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
service.start()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stop.wait()
service.stop()
server.shutdown()
"""


def _whole_twin_available() -> bool:
    return importlib.util.find_spec("emulator.sumo.server") is not None


@contextlib.contextmanager
def _aws_only_twin(log_dir: Path) -> Iterator[RunningTwin]:
    port = free_port()
    log_path = log_dir / "aws-twin.log"
    env = {**os.environ, **TEST_CREDENTIALS, "TWIN_AWS_PORT": str(port), "TWIN_CLOCK_SPEED": "100"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVE_AWS_ONLY],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    running = RunningTwin(url, url, process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"AWS twin did not start:\n{running.log_tail()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_twin/health", timeout=1):
                break
            time.sleep(0.1)
        yield running
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def aws_twin(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    """The session `twin` once the whole twin can start; until then the AWS half alone, with the same clock speed."""
    if _whole_twin_available():
        yield request.getfixturevalue("twin")
        return
    with _aws_only_twin(tmp_path_factory.mktemp("aws-twin")) as running:
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


@pytest.fixture(scope="session")
def session_harness(aws_twin: RunningTwin) -> RunbookHarness:
    return RunbookHarness.create(aws_twin)


@pytest.fixture
def runbook(session_harness: RunbookHarness) -> Iterator[RunbookHarness]:
    """The runbook deployed on the twin, with an empty notification queue, no faults and default EC2 timings."""
    session_harness.reset()
    try:
        yield session_harness
    finally:
        session_harness.reset()
