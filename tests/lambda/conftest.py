"""Fixtures for the remediation Lambda: the AWS twin, one isolated deployment per test, a log capture."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# `tests.lambda` cannot be imported by name (lambda is a keyword): the tests import the function's package and their
# helpers by module name instead. Appended, not prepended, so nothing here can shadow another module.
_HERE = Path(__file__).resolve().parent
for _path in (_HERE.parents[1] / "lambda", _HERE):
    if str(_path) not in sys.path:
        sys.path.append(str(_path))

from lambda_testkit import AwsEndpoint, Deployment, LogCapture, create_deployment  # noqa: E402
from remediation_webhook import app  # noqa: E402

from emulator.testing import RunningTwin  # noqa: E402


@pytest.fixture(scope="session")
def aws(twin: RunningTwin) -> AwsEndpoint:
    """The session twin's AWS side (its fixture also points AWS_ENDPOINT_URL and test credentials at it)."""
    return AwsEndpoint(twin.aws_url)


@pytest.fixture(params=["refuse", "same_execution"])
def token_reuse(request: pytest.FixtureRequest, twin: RunningTwin) -> Iterator[str]:
    """Each answer SSM may give to an identical reuse of a ClientToken: a refusal (the twin's default, the stricter
    reading) or the execution the token started (ledger: "A ClientToken can't be reused")."""
    before = twin.control.client_token_reuse()
    twin.control.set_client_token_reuse(request.param)
    try:
        yield request.param
    finally:
        twin.control.set_client_token_reuse(before)


@pytest.fixture
def deployment(aws: AwsEndpoint) -> Deployment:
    return create_deployment(aws)


@pytest.fixture
def make_deployment(aws: AwsEndpoint) -> Callable[..., Deployment]:
    return lambda **options: create_deployment(aws, **options)


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    capture.setFormatter(app.logger.registered_formatter)
    app.logger.addHandler(capture)
    try:
        yield capture
    finally:
        app.logger.removeHandler(capture)
