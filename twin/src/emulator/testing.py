"""Start and stop a private twin, for a test session or a script: free ports, a fast clock, no rate limit unless asked.

from emulator.testing import start_twin, stop_twin
twin = start_twin(tmp_dir)            # both services answer when this returns
twin.client("ec2").describe_instances()
twin.control.change_clock(advance_seconds=600)
stop_twin(twin)
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from emulator.control_client import TimedService, TwinControl

TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RunningTwin:
    aws_url: str
    sumo_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def sumo_api_url(self) -> str:
        return f"{self.sumo_url}/api"

    def client(self, service: str) -> Any:
        """A boto3 client for `service` that talks to this twin (cached per service)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.aws_url,
                region_name=REGION,
                aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                config=Config(retries={"mode": "standard", "max_attempts": 2}),
            )
        return self._clients[service]

    @property
    def control(self) -> TwinControl:
        """The client for this twin's /_twin/ control API."""
        return TwinControl(self.aws_url, self.sumo_url)

    def clock(self, **change: float) -> dict[str, float]:
        """Read the twin's clock, or change it: clock(speed=600) or clock(advance_seconds=60)."""
        return self.control.change_clock(**change) if change else self.control.clock()

    @contextlib.contextmanager
    def overridden_timings(self, service: TimedService, **timings: float) -> Iterator[dict[str, float]]:
        """Set some of a service's lifecycle timings (virtual seconds) for a block, then restore what the twin had."""
        before = self.control.timings(service)
        self.control.set_timings(service, **timings)
        try:
            yield timings
        finally:
            self.control.set_timings(service, **before)

    @contextlib.contextmanager
    def clock_speed(self, speed: float) -> Iterator[None]:
        previous = self.clock()["speed"]
        self.clock(speed=speed)
        try:
            yield
        finally:
            self.clock(speed=previous)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_twin(log_dir: Path, clock_speed: float = 100.0, sumo_rate_limit: bool = False) -> RunningTwin:
    aws_port, sumo_port = free_port(), free_port()
    log_path = log_dir / "twin.log"
    env = {
        **os.environ,
        **TEST_CREDENTIALS,
        "TWIN_AWS_PORT": str(aws_port),
        "TWIN_SUMO_PORT": str(sumo_port),
        "TWIN_CLOCK_SPEED": str(clock_speed),
        "TWIN_SUMO_RATE_LIMIT": "1" if sumo_rate_limit else "0",
        "TWIN_STATE_DIR": str(log_dir),
        "PYTHONUNBUFFERED": "1",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    twin = RunningTwin(f"http://127.0.0.1:{aws_port}", f"http://127.0.0.1:{sumo_port}", process, log_path)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"twin exited with {process.returncode}:\n{twin.log_tail()}")
        if twin.control.healthy():
            return twin
        time.sleep(0.1)
    stop_twin(twin)
    raise RuntimeError(f"twin did not answer within 90 s:\n{twin.log_tail()}")


def stop_twin(twin: RunningTwin) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(twin.process.pid, signal.SIGTERM)
    try:
        twin.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(twin.process.pid, signal.SIGKILL)
        twin.process.wait(timeout=5)
