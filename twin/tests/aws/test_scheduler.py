"""EventBridge Scheduler schedules fire at twin time and invoke the twin's Lambda functions (emulator/aws/schedules.py).

Ledger: "EventBridge Scheduler schedules fire at twin time". Each test moves the clock past the schedule's time and
then waits, in real time, for the firing the scheduler's thread records: the firing happens once the clock is past
it, however busy the machine, so nothing here depends on catching a moment.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.control_client import ScheduleFiring
from emulator.readiness import create_function_and_wait_until_active
from emulator.testing import RunningTwin

pytestmark = pytest.mark.twin

# The function records the event it got in an SSM parameter named by the event.
HANDLER_SOURCE = """
import json

import boto3


def handler(event, context):
    boto3.client("ssm").put_parameter(Name=event["parameter"], Value=json.dumps(event), Type="String", Overwrite=True)
    return {"recorded": event["parameter"]}
"""
FIRING_WAIT_SECONDS = 60.0


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def _role(aws: RunningTwin, trusted: str, actions: list[str], resource: str) -> str:
    iam = aws.client("iam")
    name = f"sched-{uuid.uuid4().hex[:8]}"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": trusted}, "Action": "sts:AssumeRole"}]}  # fmt: skip
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]}
    iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=json.dumps(policy))
    return arn


@pytest.fixture(scope="module")
def function_arn(aws: RunningTwin) -> str:
    role = _role(aws, "lambda.amazonaws.com", ["ssm:PutParameter"], "*")
    created = create_function_and_wait_until_active(
        aws.client("lambda"),
        FunctionName=f"scheduled-{uuid.uuid4().hex[:8]}",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": _zip(HANDLER_SOURCE)},
        Timeout=30,
    )
    return created["FunctionArn"]


@pytest.fixture
def invoker_role(aws: RunningTwin, function_arn: str) -> str:
    return _role(aws, "scheduler.amazonaws.com", ["lambda:InvokeFunction"], function_arn)


def _at(seconds_from_now: float, aws: RunningTwin) -> str:
    moment = datetime.fromtimestamp(aws.control.clock()["now"] + seconds_from_now, tz=UTC)
    return f"at({moment:%Y-%m-%dT%H:%M:%S})"


def _schedule(aws: RunningTwin, expression: str, target_arn: str, role_arn: str, **extra: Any) -> tuple[str, str]:
    """Create a schedule whose Input names a fresh parameter; (schedule name, parameter name)."""
    name, parameter = f"s-{uuid.uuid4().hex[:10]}", f"/scheduled/{uuid.uuid4().hex[:10]}"
    aws.client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression=expression,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": target_arn, "RoleArn": role_arn, "Input": json.dumps({"parameter": parameter, "n": 7})},
        **extra,
    )
    return name, parameter


def _firings_of(aws: RunningTwin, name: str) -> list[ScheduleFiring]:
    return [firing for firing in aws.control.schedule_firings() if firing["name"] == name]


def _wait_for_firings(aws: RunningTwin, name: str, count: int) -> list[ScheduleFiring]:
    deadline = time.monotonic() + FIRING_WAIT_SECONDS
    while len(firings := _firings_of(aws, name)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(firings) >= count, f"{name} fired {len(firings)} time(s), expected {count}: {firings}"
    return firings


def _recorded_event(aws: RunningTwin, parameter: str) -> dict[str, Any] | None:
    try:
        return json.loads(aws.client("ssm").get_parameter(Name=parameter)["Parameter"]["Value"])
    except ClientError:
        return None


@pytest.fixture
def paused_clock(aws: RunningTwin) -> Iterator[RunningTwin]:
    """A clock that moves only when a test advances it, so "not yet due" stays true while it is checked."""
    with aws.clock_speed(0.001):
        yield aws


def test_a_one_time_schedule_invokes_the_function_with_its_input_once_its_time_has_come(
    paused_clock: RunningTwin, function_arn: str, invoker_role: str
) -> None:
    aws = paused_clock
    name, parameter = _schedule(aws, _at(3600, aws), function_arn, invoker_role, ActionAfterCompletion="DELETE")
    time.sleep(0.3)  # the scheduler's thread looks, on the real clock too, and finds nothing due
    assert _firings_of(aws, name) == [] and _recorded_event(aws, parameter) is None

    aws.control.change_clock(advance_seconds=3601)
    (firing,) = _wait_for_firings(aws, name, 1)

    assert firing["ok"] and firing["error"] is None and firing["target_arn"] == function_arn
    assert firing["fired_at"] >= firing["due_at"]
    assert _recorded_event(aws, parameter) == {"parameter": parameter, "n": 7}
    with pytest.raises(ClientError, match="ResourceNotFound"):  # ActionAfterCompletion DELETE
        aws.client("scheduler").get_schedule(Name=name)
    aws.control.change_clock(advance_seconds=3600)
    time.sleep(0.3)
    assert len(_firings_of(aws, name)) == 1, "a one-time schedule fired twice"


def test_a_rate_schedule_fires_each_period_and_once_after_a_jump(
    paused_clock: RunningTwin, function_arn: str, invoker_role: str
) -> None:
    aws = paused_clock
    name, _ = _schedule(aws, "rate(5 minutes)", function_arn, invoker_role)
    _wait_for_firings(aws, name, 0)
    aws.control.change_clock(advance_seconds=3 * 3600)  # 36 periods pass in one jump
    _wait_for_firings(aws, name, 1)
    time.sleep(0.3)
    assert len(_firings_of(aws, name)) == 1, "a jump fired every missed period"
    aws.control.change_clock(advance_seconds=301)
    firings = _wait_for_firings(aws, name, 2)
    assert [firing["ok"] for firing in firings] == [True, True]
    assert firings[1]["due_at"] - firings[0]["due_at"] >= 300
    aws.client("scheduler").delete_schedule(Name=name)


@pytest.mark.parametrize(
    ("trusted", "actions", "named"),
    [
        ("lambda.amazonaws.com", ["lambda:InvokeFunction"], "does not trust scheduler.amazonaws.com"),
        ("scheduler.amazonaws.com", ["lambda:GetFunction"], "not allowed lambda:InvokeFunction"),
    ],
    ids=["untrusting role", "role without invoke"],
)
def test_a_role_scheduler_could_not_use_invokes_nothing_and_says_why(
    paused_clock: RunningTwin, function_arn: str, trusted: str, actions: list[str], named: str
) -> None:
    aws = paused_clock
    role = _role(aws, trusted, actions, function_arn)
    name, parameter = _schedule(aws, _at(60, aws), function_arn, role)
    aws.control.change_clock(advance_seconds=61)
    (firing,) = _wait_for_firings(aws, name, 1)
    assert not firing["ok"] and named in str(firing["error"])
    assert _recorded_event(aws, parameter) is None


def test_a_disabled_schedule_does_not_fire_and_cron_is_reported_as_not_run(
    paused_clock: RunningTwin, function_arn: str, invoker_role: str
) -> None:
    aws = paused_clock
    disabled, _ = _schedule(aws, _at(60, aws), function_arn, invoker_role, State="DISABLED")
    cron, _ = _schedule(aws, "cron(0 12 * * ? *)", function_arn, invoker_role)
    aws.control.change_clock(advance_seconds=3600)
    (not_run,) = _wait_for_firings(aws, cron, 1)
    assert not not_run["ok"] and "cron()" in str(not_run["error"])
    assert _firings_of(aws, disabled) == []
