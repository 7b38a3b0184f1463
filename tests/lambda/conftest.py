"""Fixtures for the remediation Lambda: the AWS twin, one isolated deployment per test, a log capture."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# `tests.lambda` cannot be imported by name (lambda is a keyword): the tests import the function's package and their
# helpers by module name instead.
_HERE = Path(__file__).resolve().parent
for _path in (_HERE.parents[1] / "lambda", _HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from lambda_testkit import AwsEndpoint, Deployment, LogCapture, create_deployment  # noqa: E402
from remediation_webhook import app  # noqa: E402

from tests.twin_process import REGION, TEST_CREDENTIALS, free_port  # noqa: E402


@pytest.fixture(scope="session")
def aws(request: pytest.FixtureRequest) -> Iterator[AwsEndpoint]:
    """The session twin when the whole twin can start; until the Sumo side lands, the AWS twin alone, in a thread."""
    if importlib.util.find_spec("emulator.sumo.server") is not None:
        yield AwsEndpoint(request.getfixturevalue("twin").aws_url)
        return
    from werkzeug.serving import make_server

    from emulator.aws.server import create_aws_twin
    from emulator.clock import ScaledClock
    from emulator.service import TwinSettings

    settings = TwinSettings(aws_port=free_port(), clock_speed=100.0)
    aws_twin = create_aws_twin(ScaledClock(speed=100.0), settings)
    server = make_server(settings.host, settings.aws_port, _serialise_dynamodb(aws_twin.wsgi_app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", *TEST_CREDENTIALS)}
    os.environ.update({"AWS_ENDPOINT_URL": settings.aws_url, "AWS_DEFAULT_REGION": REGION, **TEST_CREDENTIALS})
    try:
        yield AwsEndpoint(settings.aws_url)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.shutdown()
        aws_twin.stop()


def _serialise_dynamodb(wsgi_app: Callable[..., Any]) -> Callable[..., Any]:
    """DynamoDB applies each item's writes one at a time; moto's server does not (two of 50 concurrent conditional
    writes on one item both succeeded in 2 of 200 trials), so this stand-in twin takes DynamoDB requests in turn."""
    lock = threading.Lock()

    def app_in_turn(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with lock:
                return list(wsgi_app(environ, start_response))
        return wsgi_app(environ, start_response)

    return app_in_turn


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
