"""The demo's simulated service recovers after a reboot because the twin recorded it, even when nothing looked.

On a busy machine a poller can miss a status-check dip of half a real second at 120x; the service must not depend
on seeing it (issue: `make demo` holds on a busy machine).
"""

from __future__ import annotations

import time

import pytest

from demo.simulated_api import SimulatedService
from demo.world import Twin

pytestmark = pytest.mark.twin


def _running_instance(twin) -> str:
    ec2 = twin.client("ec2")
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance_id = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    twin.clock(advance_seconds=3600)
    return instance_id


def _service(twin, instance_id: str, narrated: list[str]) -> SimulatedService:
    handle = Twin(twin.aws_url, twin.sumo_url)
    return SimulatedService(
        source_url=f"{twin.sumo_url}/receiver/v1/http/demo-service-test",
        category="test/demo-service",
        host=instance_id,
        read_power=lambda: handle.power_history(instance_id),
        narrate=narrated.append,
    )


def _wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_degradation_ends_after_a_reboot_nothing_observed(twin):
    instance_id = _running_instance(twin)
    narrated: list[str] = []
    service = _service(twin, instance_id, narrated)
    service.degrade()  # the service's thread is not running: nothing watches the instance from here on

    twin.client("ec2").reboot_instances(InstanceIds=[instance_id])
    twin.clock(advance_seconds=3600)  # the reboot, its status-check dip and its downtime are all over
    statuses = twin.client("ec2").describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
    assert statuses[0]["InstanceStatus"]["Status"] == "ok"
    assert service.state.degraded

    service.start()
    try:
        assert _wait_for(lambda: not service.state.degraded), "the service stayed degraded after the reboot"
        assert _wait_for(lambda: service.state.lines_sent > 0), service.state.errors
    finally:
        service.stop()
    assert service.state.cured_by is not None and service.state.cured_by[0] == "reboot"
    assert service.state.slow_calls_sent == 0
    assert any("healthy again: the reboot" in line for line in narrated), narrated


def test_the_degradation_lasts_while_the_instance_does_not_boot(twin):
    instance_id = _running_instance(twin)
    service = _service(twin, instance_id, [])
    service.degrade()

    service.start()
    try:
        twin.clock(advance_seconds=1800)
        assert _wait_for(lambda: service.state.slow_calls_sent > 0), service.state.errors
    finally:
        service.stop()
    assert service.state.degraded and service.state.cured_by is None


def test_a_stopped_instance_sends_nothing_and_a_start_cures_the_degradation(twin):
    instance_id = _running_instance(twin)
    service = _service(twin, instance_id, [])
    service.degrade()
    twin.client("ec2").stop_instances(InstanceIds=[instance_id])
    twin.clock(advance_seconds=3600)

    service.start()
    try:
        time.sleep(1.0)  # some rounds of the service's loop while the instance is stopped
        assert service.state.lines_sent == 0
        twin.client("ec2").start_instances(InstanceIds=[instance_id])
        twin.clock(advance_seconds=3600)
        assert _wait_for(lambda: service.state.lines_sent > 0), service.state.errors
    finally:
        service.stop()
    assert service.state.cured_by is not None and service.state.cured_by[0] == "start"
    assert service.state.slow_calls_sent == 0
