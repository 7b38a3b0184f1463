"""The twin records every power action it accepts, with its virtual time, at /_twin/ec2/power-history.

This is what a workload simulated beside the twin follows, so it learns of a reboot although the status checks do not
move on one (the twin's default) and however late it looks.
"""

from __future__ import annotations

import pytest

from emulator.control_client import TwinControlError
from tests.aws.conftest import raw_control

pytestmark = pytest.mark.twin


def _launch(aws) -> str:
    ec2 = aws.client("ec2")
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]


def test_every_accepted_power_action_is_recorded_in_order_with_its_twin_time(aws, slow_ec2):
    ec2 = aws.client("ec2")
    launched_after = aws.clock()["now"]
    instance_id = _launch(aws)
    aws.clock(advance_seconds=slow_ec2["pending_seconds"] + 1)
    ec2.reboot_instances(InstanceIds=[instance_id])
    ec2.stop_instances(InstanceIds=[instance_id])
    aws.clock(advance_seconds=slow_ec2["stopping_seconds"] + 1)
    ec2.start_instances(InstanceIds=[instance_id])

    history = aws.control.power_history(instance_id)

    assert [event["action"] for event in history["events"]] == ["launch", "reboot", "stop", "start"]
    times = [event["at"] for event in history["events"]]
    assert launched_after <= times[0] < times[1] <= times[2] < times[3] <= history["now"]
    assert times[1] - times[0] >= slow_ec2["pending_seconds"]
    assert history["state"] == "pending"


def test_a_refused_action_is_not_recorded(aws, slow_ec2):
    instance_id = _launch(aws)  # pending: EC2 refuses a reboot
    with pytest.raises(aws.client("ec2").exceptions.ClientError):
        aws.client("ec2").reboot_instances(InstanceIds=[instance_id])

    history = aws.control.power_history(instance_id)

    assert [event["action"] for event in history["events"]] == ["launch"]


def test_a_reboot_is_recorded_although_the_status_checks_never_show_it(aws):
    instance_id = _launch(aws)
    aws.clock(advance_seconds=3600)
    aws.client("ec2").reboot_instances(InstanceIds=[instance_id])
    aws.clock(advance_seconds=3600)  # by default the checks never move on a reboot; and nobody looks for an hour

    statuses = aws.client("ec2").describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
    history = aws.control.power_history(instance_id)

    assert statuses[0]["InstanceStatus"]["Status"] == "ok"
    assert [event["action"] for event in history["events"]] == ["launch", "reboot"]
    assert history["state"] == "running"


@pytest.mark.parametrize(("instance_id", "status"), [("vol-0123456789abcdef0", 400), ("i-0123456789abcdef0", 404)])
def test_a_bad_or_unknown_instance_id_is_refused_by_name(aws, instance_id, status):
    with pytest.raises(TwinControlError) as refused:
        aws.control.power_history(instance_id)

    assert (refused.value.status, refused.value.field) == (status, "instance_id")


def test_a_missing_instance_id_is_refused_by_name(aws):
    assert raw_control(aws, "GET", "/_twin/ec2/power-history")[1]["field"] == "instance_id"


def test_the_client_names_the_endpoint_and_the_reason_when_the_twin_refuses(aws):
    with pytest.raises(TwinControlError, match=r"power-history: HTTP 404: the twin has no power history"):
        aws.control.power_history("i-0123456789abcdef0")
