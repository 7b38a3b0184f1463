"""A pytest plugin (registered through the `pytest11` entry point when the twin is installed): the `twin` fixture.

def test_reboot(twin):                       # one private twin per session: free ports, clock at 100x
    ec2 = twin.client("ec2")                 # boto3 clients also work without arguments: AWS_ENDPOINT_URL,
    twin.control.change_clock(advance_seconds=60)  # the region and test credentials are set for the session
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from emulator.testing import REGION, TEST_CREDENTIALS, RunningTwin, start_twin, stop_twin


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTwin]:
    """The AWS and Sumo Logic twin, started once for the session with a 100x clock and no Sumo rate limit."""
    running = start_twin(tmp_path_factory.mktemp("twin"))
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
        stop_twin(running)
