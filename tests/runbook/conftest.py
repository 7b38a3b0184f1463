"""Fixtures for the runbook tests: the runbook deployed on the session twin, reset between tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.testing import RunningTwin
from tests.runbook.harness import RunbookHarness


@pytest.fixture(scope="session")
def session_harness(twin: RunningTwin) -> RunbookHarness:
    return RunbookHarness.create(twin)


@pytest.fixture
def runbook(session_harness: RunbookHarness) -> Iterator[RunbookHarness]:
    """The runbook deployed on the twin, with an empty notification queue, no faults and default EC2 timings."""
    session_harness.reset()
    try:
        yield session_harness
    finally:
        session_harness.reset()
