"""Injected faults reach boto3 as the ClientError AWS would raise, in each service's own protocol."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from emulator.control_client import TwinControlError
from tests.aws.conftest import raw_control

pytestmark = pytest.mark.twin


def _error_of(call) -> dict:
    with pytest.raises(ClientError) as raised:
        call()
    return {**raised.value.response["Error"], "status": raised.value.response["ResponseMetadata"]["HTTPStatusCode"]}


def test_ec2_fault_arrives_as_ec2_xml_error(aws, no_faults):
    aws.control.add_fault(
        service="ec2", operation="RebootInstances", error_code="UnauthorizedOperation", message="denied"
    )

    error = _error_of(lambda: aws.client("ec2").reboot_instances(InstanceIds=["i-0123456789abcdef0"]))

    assert error == {"Code": "UnauthorizedOperation", "Message": "denied", "status": 400}


def test_sns_fault_arrives_as_query_xml_error(aws, no_faults):
    aws.control.add_fault(
        service="sns", operation="Publish", error_code="AuthorizationError", message="no", http_status=403
    )
    topic_arn = aws.client("sns").create_topic(Name="twin-fault-topic")["TopicArn"]

    error = _error_of(lambda: aws.client("sns").publish(TopicArn=topic_arn, Message="hello"))

    assert error["Code"] == "AuthorizationError"
    assert error["Message"] == "no"
    assert error["status"] == 403


def test_ssm_fault_arrives_as_json_error(aws, no_faults):
    aws.control.add_fault(
        service="ssm", operation="GetParameter", error_code="ParameterVersionNotFound", message="gone"
    )

    error = _error_of(lambda: aws.client("ssm").get_parameter(Name="/anything"))

    assert error["Code"] == "ParameterVersionNotFound"
    assert error["Message"] == "gone"


def test_lambda_fault_matches_a_rest_operation(aws, no_faults):
    aws.control.add_fault(
        service="lambda", operation="ListFunctions", error_code="TooManyRequestsException", http_status=400
    )

    error = _error_of(lambda: aws.client("lambda").list_functions())

    assert error["Code"] == "TooManyRequestsException"


def test_fault_with_times_fails_that_many_calls_then_lets_calls_through(aws, no_faults):
    ssm = aws.client("ssm")
    ssm.put_parameter(Name="/twin/faults/times", Value="v", Type="String", Overwrite=True)
    aws.control.add_fault(service="ssm", operation="GetParameter", error_code="InvalidKeyId", times=2)

    first = _error_of(lambda: ssm.get_parameter(Name="/twin/faults/times"))
    second = _error_of(lambda: ssm.get_parameter(Name="/twin/faults/times"))

    assert first["Code"] == second["Code"] == "InvalidKeyId"
    assert ssm.get_parameter(Name="/twin/faults/times")["Parameter"]["Value"] == "v"
    assert aws.control.faults() == []


def test_fault_for_another_operation_leaves_this_one_alone(aws, no_faults):
    aws.control.add_fault(service="ec2", operation="StartInstances", error_code="UnauthorizedOperation")

    assert aws.client("ec2").describe_instances()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_fault_without_times_keeps_failing_until_cleared(aws, no_faults):
    aws.control.add_fault(service="sts", operation="GetCallerIdentity", error_code="ExpiredToken")
    sts = aws.client("sts")

    assert _error_of(sts.get_caller_identity)["Code"] == "ExpiredToken"
    assert _error_of(sts.get_caller_identity)["Code"] == "ExpiredToken"
    listed = aws.control.faults()
    assert [(fault["operation"], fault["hits"]) for fault in listed] == [("GetCallerIdentity", 2)]

    assert aws.control.clear_faults() == 1
    assert sts.get_caller_identity()["Account"] == "123456789012"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"service": "SNS!", "error_code": "X"}, "service"),
        ({"service": "sns", "error_code": "X", "times": 0}, "times"),
        ({"service": "sns", "error_code": "X", "http_status": 200}, "http_status"),
        ({"service": "sns", "error_code": "no spaces"}, "error_code"),
    ],
)
def test_bad_fault_spec_is_rejected_naming_the_field(aws, no_faults, spec, field):
    with pytest.raises(TwinControlError) as refused:
        aws.control.add_fault(**spec)

    assert (refused.value.status, refused.value.field) == (400, field)
    assert aws.control.faults() == []


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"operation": "Publish", "error_code": "X"}, "service"),
        ({"service": "sns"}, "error_code"),
        ({"service": "sns", "error_code": "X", "colour": "red"}, "colour"),
    ],
)
def test_fault_spec_missing_a_field_or_with_an_unknown_one_is_rejected_naming_it(aws, no_faults, spec, field):
    status, body = raw_control(aws, "POST", "/_twin/faults", json.dumps(spec).encode())

    assert status == 400
    assert body["field"] == field
    assert aws.control.faults() == []


def test_clock_reads_and_changes_speed_and_jumps(aws):
    before = aws.clock()

    changed = aws.clock(speed=before["speed"] * 2, advance_seconds=120)
    aws.clock(speed=before["speed"])

    assert changed["speed"] == before["speed"] * 2
    assert changed["now"] >= before["now"] + 120


@pytest.mark.parametrize(
    ("payload", "field"), [({"speed": 0}, "speed"), ({"advance_seconds": -5}, "advance_seconds"), ({}, "body")]
)
def test_clock_rejects_bad_input_naming_the_field(aws, payload, field):
    with pytest.raises(TwinControlError) as refused:
        aws.control.change_clock(**payload)

    assert (refused.value.status, refused.value.field) == (400, field)


def test_health_answers_ok(aws):
    assert aws.control.answers("aws")


def test_unknown_control_path_is_404_json(aws):
    status, body = raw_control(aws, "GET", "/_twin/nothing-here")

    assert status == 404
    assert body["field"] == "path"


def test_wrong_method_is_405_naming_the_allowed_ones(aws):
    status, body = raw_control(aws, "PUT", "/_twin/faults", b"{}")

    assert status == 405
    assert body["field"] == "method"
    assert "DELETE, GET, POST" in body["error"]


def test_a_body_that_is_not_json_is_rejected(aws):
    status, body = raw_control(aws, "POST", "/_twin/clock", b"{speed: 2")

    assert status == 400
    assert body["field"] == "body"
