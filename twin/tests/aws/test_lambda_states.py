"""A new function is Pending and an updated one InProgress for a while, as on AWS, and AWS's refusals meanwhile."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from emulator.control_client import TwinControlError
from emulator.testing import RunningTwin
from tests.aws.conftest import raw_control

pytestmark = pytest.mark.twin

STATE_SECONDS = 600.0
NOT_NOW = "The operation cannot be performed at this time."
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@pytest.fixture
def slow_lambda(aws: RunningTwin) -> Iterator[float]:
    """Pending and InProgress long enough (minutes of virtual time) that only advancing the clock ends them."""
    timings = {"pending_seconds": STATE_SECONDS, "update_seconds": STATE_SECONDS}
    with aws.overridden_timings("lambda", **timings), aws.overridden_timings("iam", role_propagation_seconds=0):
        yield STATE_SECONDS


def _handler_zip(body: str = "ok") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", f"def handler(event, context):\n    return {{'body': {body!r}}}\n")
    return buffer.getvalue()


def _create_function(aws: RunningTwin) -> tuple[str, dict]:
    role_arn = aws.client("iam").create_role(
        RoleName=f"states-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )["Role"]["Arn"]
    name = f"states-{uuid.uuid4().hex[:8]}"
    created = aws.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": _handler_zip()},
    )
    return name, created


def _conflict(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_a_new_function_is_pending_wherever_it_is_described(aws, slow_lambda):
    lam = aws.client("lambda")
    name, created = _create_function(aws)

    assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating")
    assert lam.get_function(FunctionName=name)["Configuration"]["State"] == "Pending"
    assert lam.get_function_configuration(FunctionName=name)["State"] == "Pending"


def test_a_pending_function_refuses_a_url_permissions_and_updates(aws, slow_lambda):
    lam = aws.client("lambda")
    name, _created = _create_function(aws)

    with pytest.raises(ClientError) as url_refused:
        lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    with pytest.raises(ClientError) as permission_refused:
        lam.add_permission(FunctionName=name, StatementId="public", Action="lambda:InvokeFunctionUrl", Principal="*")
    with pytest.raises(ClientError) as update_refused:
        lam.update_function_code(FunctionName=name, ZipFile=_handler_zip("new"))

    pending = (
        "The operation cannot be performed at this time. The function is currently in the following state: Pending"
    )
    for refused in (url_refused, permission_refused, update_refused):
        assert _conflict(refused) == ("ResourceConflictException", 409, pending)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        lam.get_function_url_config(FunctionName=name)


def test_the_function_turns_active_and_takes_its_url(aws, slow_lambda):
    lam = aws.client("lambda")
    name, _created = _create_function(aws)
    aws.clock(advance_seconds=slow_lambda)

    assert lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active"
    assert lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"].startswith("http")


def test_an_update_in_progress_refuses_a_second_update_until_it_is_applied(aws, slow_lambda):
    lam = aws.client("lambda")
    name, created = _create_function(aws)
    aws.clock(advance_seconds=slow_lambda)

    updated = lam.update_function_configuration(FunctionName=name, Timeout=30)
    with pytest.raises(ClientError) as refused:
        lam.update_function_code(FunctionName=name, ZipFile=_handler_zip("new"))

    assert updated["LastUpdateStatus"] == "InProgress"
    assert lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "InProgress"
    message = f"{NOT_NOW} An update is in progress for resource: {created['FunctionArn']}"
    assert _conflict(refused) == ("ResourceConflictException", 409, message)
    aws.clock(advance_seconds=slow_lambda)
    assert lam.get_function_configuration(FunctionName=name)["LastUpdateStatus"] == "Successful"
    assert lam.update_function_code(FunctionName=name, ZipFile=_handler_zip("new"))["LastUpdateStatus"] == "InProgress"


def test_a_function_named_by_its_arn_is_refused_too(aws, slow_lambda):
    name, created = _create_function(aws)

    with pytest.raises(ClientError, match="following state: Pending"):
        aws.client("lambda").create_function_url_config(FunctionName=created["FunctionArn"], AuthType="NONE")
    assert name in created["FunctionArn"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"pending_seconds": -1}, "pending_seconds"),
        ({"update_seconds": 4000}, "update_seconds"),
        ({"cold_seconds": 1}, "cold_seconds"),
    ],
)
def test_timings_reject_bad_input_naming_the_field(aws, payload, field):
    with pytest.raises(TwinControlError) as refused:
        aws.control.set_timings("lambda", **payload)

    assert (refused.value.status, refused.value.field) == (400, field)


def test_timings_reject_a_body_that_is_not_an_object(aws):
    status, body = raw_control(aws, "POST", "/_twin/lambda/timings", b'"fast"')

    assert status == 400
    assert body["field"] == "body"
