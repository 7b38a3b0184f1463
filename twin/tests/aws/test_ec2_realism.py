"""EC2 on the twin behaves like AWS in time and in its state rules: transitions and status checks take a while."""

from __future__ import annotations

import functools

import pytest
from botocore.exceptions import ClientError

from emulator.aws.ec2_lifecycle import Ec2Timings
from emulator.control_client import TwinControlError

pytestmark = pytest.mark.twin


@functools.cache
def _image_id(aws_url: str, ec2) -> str:
    return ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


def _launch(aws) -> str:
    ec2 = aws.client("ec2")
    image_id = _image_id(aws.aws_url, ec2)
    return ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]


def _state(aws, instance_id: str) -> str:
    reservations = aws.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def _status_checks(aws, instance_id: str) -> tuple[str, str]:
    statuses = aws.client("ec2").describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
    return statuses[0]["InstanceStatus"]["Status"], statuses[0]["SystemStatus"]["Status"]


def _running_and_healthy(aws, slow_ec2) -> str:
    instance_id = _launch(aws)
    aws.clock(advance_seconds=slow_ec2["pending_seconds"] + slow_ec2["start_initializing_seconds"] + 1)
    return instance_id


def test_launched_instance_is_pending_until_its_time_has_passed(aws, slow_ec2):
    instance_id = _launch(aws)

    assert _state(aws, instance_id) == "pending"
    aws.clock(advance_seconds=slow_ec2["pending_seconds"] + 1)
    assert _state(aws, instance_id) == "running"


def test_stop_goes_through_stopping_to_stopped(aws, slow_ec2):
    instance_id = _running_and_healthy(aws, slow_ec2)

    stopping = aws.client("ec2").stop_instances(InstanceIds=[instance_id])["StoppingInstances"][0]

    assert stopping["CurrentState"]["Name"] == "stopping"
    assert _state(aws, instance_id) == "stopping"
    aws.clock(advance_seconds=slow_ec2["stopping_seconds"] + 1)
    assert _state(aws, instance_id) == "stopped"


def test_start_shows_pending_then_running_with_status_checks_initializing_then_ok(aws, slow_ec2):
    instance_id = _running_and_healthy(aws, slow_ec2)
    ec2 = aws.client("ec2")
    ec2.stop_instances(InstanceIds=[instance_id])
    aws.clock(advance_seconds=slow_ec2["stopping_seconds"] + 1)

    starting = ec2.start_instances(InstanceIds=[instance_id])["StartingInstances"][0]

    assert starting["CurrentState"]["Name"] == "pending"
    assert _state(aws, instance_id) == "pending"
    aws.clock(advance_seconds=slow_ec2["pending_seconds"] + 1)
    assert _state(aws, instance_id) == "running"
    assert _status_checks(aws, instance_id) == ("initializing", "initializing")
    aws.clock(advance_seconds=slow_ec2["start_initializing_seconds"])
    assert _status_checks(aws, instance_id) == ("ok", "ok")


def test_reboot_keeps_running_and_leaves_the_status_checks_as_they_were_by_default(aws):
    """Ledger: "Status checks do not move on a reboot"."""
    assert Ec2Timings().reboot_status_dip_seconds == 0
    assert aws.control.timings("ec2")["reboot_status_dip_seconds"] == 0
    instance_id = _launch(aws)
    aws.clock(advance_seconds=3600)  # the default start (pending, then checks initializing) is long over
    assert _status_checks(aws, instance_id) == ("ok", "ok")

    aws.client("ec2").reboot_instances(InstanceIds=[instance_id])

    assert _state(aws, instance_id) == "running"
    assert _status_checks(aws, instance_id) == ("ok", "ok")
    aws.clock(advance_seconds=61)  # a whole check cycle later: still nothing to see
    assert _status_checks(aws, instance_id) == ("ok", "ok")
    assert [event["action"] for event in aws.control.power_history(instance_id)["events"]] == ["launch", "reboot"]


def test_a_reboot_dip_set_through_the_control_api_makes_the_checks_initializing_for_a_while(aws, slow_ec2):
    """Ledger: "Status checks do not move on a reboot": the kinder reading, for a test that needs it, is set
    explicitly; it is not the default."""
    instance_id = _running_and_healthy(aws, slow_ec2)
    with aws.overridden_timings("ec2", reboot_status_dip_seconds=6 * 3600.0) as dip:
        assert _status_checks(aws, instance_id) == ("ok", "ok")

        aws.client("ec2").reboot_instances(InstanceIds=[instance_id])

        assert _state(aws, instance_id) == "running"
        assert _status_checks(aws, instance_id) == ("initializing", "initializing")
        aws.clock(advance_seconds=dip["reboot_status_dip_seconds"] + 1)
        assert _status_checks(aws, instance_id) == ("ok", "ok")


def _listed_statuses(aws, instance_id: str, **include_all: bool) -> list[tuple[str, str, str]]:
    statuses = aws.client("ec2").describe_instance_status(InstanceIds=[instance_id], **include_all)["InstanceStatuses"]
    return [
        (status["InstanceState"]["Name"], status["InstanceStatus"]["Status"], status["SystemStatus"]["Status"])
        for status in statuses
    ]


def test_describe_instance_status_lists_running_instances_only_unless_include_all_instances(aws, slow_ec2):
    """Ledger: "DescribeInstanceStatus lists running instances only"."""
    stopped_id = _running_and_healthy(aws, slow_ec2)
    aws.client("ec2").stop_instances(InstanceIds=[stopped_id])
    aws.clock(advance_seconds=slow_ec2["stopping_seconds"] + 1)
    pending_id = _launch(aws)

    assert _state(aws, pending_id) == "pending"
    assert _listed_statuses(aws, pending_id) == []
    assert _listed_statuses(aws, pending_id, IncludeAllInstances=False) == []
    assert _listed_statuses(aws, pending_id, IncludeAllInstances=True) == [
        ("pending", "not-applicable", "not-applicable")
    ]
    assert _listed_statuses(aws, stopped_id) == []
    assert _listed_statuses(aws, stopped_id, IncludeAllInstances=True) == [
        ("stopped", "not-applicable", "not-applicable")
    ]
    everything = aws.client("ec2").describe_instance_status()["InstanceStatuses"]
    assert {pending_id, stopped_id}.isdisjoint(status["InstanceId"] for status in everything)


def test_reboot_of_a_stopped_instance_fails_with_incorrect_state(aws, slow_ec2):
    instance_id = _running_and_healthy(aws, slow_ec2)
    aws.client("ec2").stop_instances(InstanceIds=[instance_id])
    aws.clock(advance_seconds=slow_ec2["stopping_seconds"] + 1)

    with pytest.raises(ClientError) as raised:
        aws.client("ec2").reboot_instances(InstanceIds=[instance_id])

    assert raised.value.response["Error"]["Code"] == "IncorrectState"
    assert instance_id in raised.value.response["Error"]["Message"]
    assert _state(aws, instance_id) == "stopped"


def test_reboot_of_a_pending_instance_fails_with_incorrect_state(aws, slow_ec2):
    instance_id = _launch(aws)

    with pytest.raises(ClientError) as raised:
        aws.client("ec2").reboot_instances(InstanceIds=[instance_id])

    assert raised.value.response["Error"]["Code"] == "IncorrectState"


def test_start_of_a_terminated_instance_fails_with_incorrect_instance_state(aws, slow_ec2):
    instance_id = _running_and_healthy(aws, slow_ec2)
    aws.client("ec2").terminate_instances(InstanceIds=[instance_id])

    with pytest.raises(ClientError) as raised:
        aws.client("ec2").start_instances(InstanceIds=[instance_id])

    assert raised.value.response["Error"]["Code"] == "IncorrectInstanceState"
    assert _state(aws, instance_id) == "terminated"


def test_impaired_instance_never_passes_its_status_check_until_marked_ok(aws, slow_ec2):
    instance_id = _running_and_healthy(aws, slow_ec2)

    aws.control.set_instance_health(instance_id, "impaired")
    aws.clock(advance_seconds=3600)
    assert _status_checks(aws, instance_id) == ("impaired", "ok")

    aws.control.set_instance_health(instance_id, "ok")
    assert _status_checks(aws, instance_id) == ("ok", "ok")


def test_instance_health_of_an_unknown_instance_is_404(aws):
    with pytest.raises(TwinControlError) as refused:
        aws.control.set_instance_health("i-0fedcba987654321f", "ok")

    assert (refused.value.status, refused.value.field) == (404, "instance_id")


def test_timings_reject_a_negative_duration_naming_the_field(aws):
    with pytest.raises(TwinControlError) as refused:
        aws.control.set_timings("ec2", pending_seconds=-1)

    assert (refused.value.status, refused.value.field) == (400, "pending_seconds")
    assert "-1" in refused.value.reason


def test_timings_reject_an_unknown_name(aws):
    with pytest.raises(TwinControlError) as refused:
        aws.control.set_timings("ec2", warmup_seconds=5)

    assert (refused.value.status, refused.value.field) == (400, "warmup_seconds")
