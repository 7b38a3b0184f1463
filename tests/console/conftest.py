"""Fixtures for the console: the session twin and, per test, one isolated deployment the console can read."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The webhook's package and its test kit (tests/lambda cannot be imported by name: lambda is a keyword), appended as
# tests/lambda/conftest.py appends them, so the real function code can run against a console test's deployment.
_LAMBDA_TESTS = Path(__file__).resolve().parents[1] / "lambda"
for _path in (_LAMBDA_TESTS.parents[1] / "lambda", _LAMBDA_TESTS):
    if str(_path) not in sys.path:
        sys.path.append(str(_path))

from lambda_testkit import AwsEndpoint  # noqa: E402

from emulator.testing import RunningTwin  # noqa: E402
from tests.console.pipeline import ConsoleSite, create_console_site  # noqa: E402


@pytest.fixture(scope="session")
def aws(twin: RunningTwin) -> AwsEndpoint:
    return AwsEndpoint(twin.aws_url)


@pytest.fixture
def site(aws: AwsEndpoint) -> ConsoleSite:
    return create_console_site(aws)
