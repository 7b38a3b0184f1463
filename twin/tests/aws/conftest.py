"""Fixtures for the AWS twin's tests: the running twin, its control API, and long EC2 timings for stepwise tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.testing import REGION, RunningTwin


@pytest.fixture(scope="session")
def aws(twin: RunningTwin) -> RunningTwin:
    """The twin's AWS endpoint (the session twin: clock speed 100, AWS settings in os.environ)."""
    return twin


def raw_control(twin: RunningTwin, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
    """Send `body` as-is to the control API at `path`, for tests of what no TwinControl call would send (a body that
    is not a JSON object, a missing field or parameter, a wrong method or path); returns (HTTP status, parsed JSON)."""
    request = urllib.request.Request(
        f"{twin.aws_url}{path}", data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def slow_ec2(aws: RunningTwin) -> Iterator[dict[str, float]]:
    """EC2 transitions so long (hours of virtual time: minutes of real time even at 100x) that a test moves them on
    only by advancing the clock, and a busy machine cannot let one end between two steps of a test."""
    long_timings = {
        "pending_seconds": 6 * 3600.0,
        "stopping_seconds": 6 * 3600.0,
        "reboot_status_dip_seconds": 6 * 3600.0,
        "start_initializing_seconds": 6 * 3600.0,
    }
    with aws.overridden_timings("ec2", **long_timings):
        yield long_timings


@pytest.fixture
def no_faults(aws: RunningTwin) -> Iterator[None]:
    aws.control.clear_faults()
    try:
        yield
    finally:
        aws.control.clear_faults()


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
