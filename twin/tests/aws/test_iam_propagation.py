"""The twin refuses a role Lambda cannot assume yet, as IAM's eventual consistency makes AWS do."""

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

pytestmark = pytest.mark.twin

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
PROPAGATION_SECONDS = 600.0


@pytest.fixture
def slow_iam(aws: RunningTwin) -> Iterator[float]:
    """Propagation long enough (minutes of virtual time) that only advancing the clock lets a role through."""
    with aws.overridden_timings("iam", role_propagation_seconds=PROPAGATION_SECONDS):
        yield PROPAGATION_SECONDS


def _handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
    return buffer.getvalue()


def _new_role(aws: RunningTwin) -> str:
    name = f"propagating-{uuid.uuid4().hex[:8]}"
    return aws.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"][
        "Arn"
    ]


def _create_function(aws: RunningTwin, role_arn: str, name: str | None = None) -> dict:
    return aws.client("lambda").create_function(
        FunctionName=name or f"propagating-{uuid.uuid4().hex[:8]}",
        Runtime="python3.12",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": _handler_zip()},
    )


def test_a_function_cannot_use_a_role_created_moments_ago(aws, slow_iam):
    role_arn = _new_role(aws)

    with pytest.raises(ClientError) as refused:
        _create_function(aws, role_arn)

    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    error = refused.value.response["Error"]
    assert error["Message"] == "The role defined for the function cannot be assumed by Lambda."
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_role_is_accepted_once_it_has_propagated(aws, slow_iam):
    role_arn = _new_role(aws)
    aws.clock(advance_seconds=slow_iam)

    created = _create_function(aws, role_arn)

    assert created["Role"] == role_arn


def test_changing_the_trust_policy_starts_propagation_again(aws, slow_iam):
    role_arn = _new_role(aws)
    aws.clock(advance_seconds=slow_iam)
    role_name = role_arn.rsplit("/", 1)[-1]
    aws.client("iam").update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(LAMBDA_TRUST))

    with pytest.raises(ClientError, match="cannot be assumed by Lambda"):
        _create_function(aws, role_arn)


def test_switching_a_function_to_a_new_role_waits_for_it_too(aws, slow_iam):
    settled_role = _new_role(aws)
    aws.clock(advance_seconds=slow_iam)
    function_name = _create_function(aws, settled_role)["FunctionName"]
    new_role = _new_role(aws)

    with pytest.raises(ClientError, match="cannot be assumed by Lambda"):
        aws.client("lambda").update_function_configuration(FunctionName=function_name, Role=new_role)

    configuration = aws.client("lambda").get_function_configuration(FunctionName=function_name)
    assert configuration["Role"] == settled_role


def test_a_failed_create_role_does_not_restart_propagation(aws, slow_iam):
    role_arn = _new_role(aws)
    aws.clock(advance_seconds=slow_iam)
    role_name = role_arn.rsplit("/", 1)[-1]

    with pytest.raises(ClientError, match="EntityAlreadyExists"):
        aws.client("iam").create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))

    assert _create_function(aws, role_arn)["Role"] == role_arn


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role_propagation_seconds": -1}, "role_propagation_seconds"),
        ({"role_propagation_seconds": True}, "role_propagation_seconds"),
        ({"propagation": 5}, "propagation"),
        ({}, "body"),
    ],
)
def test_timings_reject_bad_input_naming_the_field(aws, payload, field):
    with pytest.raises(TwinControlError) as refused:
        aws.control.set_timings("iam", **payload)

    assert (refused.value.status, refused.value.field) == (400, field)
