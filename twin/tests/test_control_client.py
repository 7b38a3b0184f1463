"""TwinControl against the running twin: each method's call and answer, and the errors a refused call raises."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

from emulator.control_client import (
    Alert,
    ClockReading,
    Delivery,
    Fault,
    LogsSummary,
    PassProgress,
    PassReport,
    PowerHistory,
    PublishedImage,
    RecordedRequest,
    TwinControl,
    TwinControlError,
)
from emulator.sumo.auth import DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY
from emulator.testing import RunningTwin, free_port
from tests.sumo.bodies import connection_body

pytestmark = pytest.mark.twin

# An AMI in moto's default image list.
MOTO_AMI_ID = "ami-12c6146b"
DEFAULT_TIMING_NAMES = {
    "ec2": {"pending_seconds", "stopping_seconds", "reboot_status_dip_seconds", "start_initializing_seconds"},
    "iam": {"role_propagation_seconds"},
    "lambda": {"pending_seconds", "update_seconds"},
    "dynamodb": {"creating_seconds"},
}


@pytest.fixture
def control(twin: RunningTwin) -> Iterator[TwinControl]:
    """The session twin's control API, its faults cleared before and after."""
    twin.control.clear_faults()
    yield twin.control
    twin.control.clear_faults()


def _sumo_api(twin: RunningTwin, method: str, path: str, body: dict | None = None) -> requests.Response:
    return requests.request(
        method, f"{twin.sumo_api_url}{path}", json=body, auth=(DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY), timeout=30
    )


# --- both services -------------------------------------------------------------------------------------------------


def test_both_services_answer_their_health_check(control):
    assert control.answers("aws")
    assert control.answers("sumo")
    assert control.healthy()


def test_a_service_without_a_url_or_that_is_not_listening_does_not_answer(twin):
    only_aws = TwinControl(aws_url=twin.aws_url)
    nothing_there = TwinControl(f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}")

    assert only_aws.answers("aws")
    assert not only_aws.answers("sumo")
    assert not only_aws.healthy()
    assert not nothing_there.answers("aws")
    assert not nothing_there.answers("sumo")


# --- AWS -----------------------------------------------------------------------------------------------------------


def test_clock_reads_and_change_clock_jumps_and_sets_the_speed(control):
    before = control.clock()

    jumped = control.change_clock(advance_seconds=120)
    faster = control.change_clock(speed=before["speed"] * 2)
    restored = control.change_clock(speed=before["speed"])

    assert set(before) == ClockReading.__required_keys__
    assert jumped["now"] >= before["now"] + 120
    assert faster["speed"] == before["speed"] * 2
    assert restored["speed"] == before["speed"]


def test_add_fault_returns_its_id_faults_lists_it_and_clear_faults_counts_what_it_removed(control):
    fault_id = control.add_fault(service="sns", operation="Publish", error_code="Throttling", times=3)
    everywhere_id = control.add_fault(service="ec2", error_code="UnauthorizedOperation", message="no", http_status=403)

    listed = control.faults()

    assert listed == [
        {
            "fault_id": fault_id,
            "service": "sns",
            "operation": "Publish",
            "error_code": "Throttling",
            "message": "Injected fault: Throttling",
            "http_status": 400,
            "times": 3,
            "hits": 0,
        },
        {
            "fault_id": everywhere_id,
            "service": "ec2",
            "operation": None,
            "error_code": "UnauthorizedOperation",
            "message": "no",
            "http_status": 403,
            "times": None,
            "hits": 0,
        },
    ]
    assert all(set(fault) == Fault.__required_keys__ for fault in listed)
    assert control.clear_faults() == 2
    assert control.faults() == []
    assert control.clear_faults() == 0


def test_set_instance_health_marks_an_instance_and_power_history_lists_its_launch(twin, control):
    launched = twin.client("ec2").run_instances(ImageId=MOTO_AMI_ID, MinCount=1, MaxCount=1)
    instance_id = launched["Instances"][0]["InstanceId"]

    impaired = control.set_instance_health(instance_id, "impaired")
    healthy_again = control.set_instance_health(instance_id, "ok")
    history = control.power_history(instance_id)

    assert impaired == {"instance_id": instance_id, "status": "impaired"}
    assert healthy_again == {"instance_id": instance_id, "status": "ok"}
    assert set(history) == PowerHistory.__required_keys__
    assert history["instance_id"] == instance_id
    assert [event["action"] for event in history["events"]] == ["launch"]
    assert history["events"][0]["at"] <= history["now"]


def test_publish_image_adds_an_amazon_image_built_like_another(twin, control):
    name = f"amzn2-ami-hvm-2.0.{uuid.uuid4().hex[:8]}-x86_64-gp2"

    published = control.publish_image(name, based_on=MOTO_AMI_ID)

    assert set(published) == PublishedImage.__required_keys__
    [image] = twin.client("ec2").describe_images(ImageIds=[published["image_id"]])["Images"]
    assert (image["Name"], image["OwnerId"], image["Public"]) == (name, "137112412989", True)
    with pytest.raises(TwinControlError) as refused:
        control.publish_image(name, based_on=MOTO_AMI_ID)
    assert (refused.value.status, refused.value.field) == (400, "name")


@pytest.mark.parametrize("service", sorted(DEFAULT_TIMING_NAMES))
def test_timings_reads_all_of_a_service_and_set_timings_changes_some_and_answers_all(control, service):
    before = control.timings(service)
    name = sorted(before)[0]
    try:
        changed = control.set_timings(service, **{name: before[name] + 1})
        assert changed == {**before, name: before[name] + 1}
        assert control.timings(service) == changed
    finally:
        control.set_timings(service, **before)

    assert set(before) == DEFAULT_TIMING_NAMES[service]


# --- Sumo ----------------------------------------------------------------------------------------------------------


def test_evaluate_runs_a_pass_that_passes_counts(control):
    before = control.passes()

    report = control.evaluate()
    after = control.passes()

    assert set(report) == PassReport.__required_keys__
    assert set(after) == PassProgress.__required_keys__
    assert after["passes"] >= before["passes"] + 1
    assert after["lastPassAtMs"] is not None
    assert after["lastPassAtMs"] >= report["evaluatedAtMs"]


def test_sumo_deliveries_lists_attempts_from_an_index_and_of_one_monitor(twin, control):
    # A connection test is delivered (and recorded) at once; nothing listens on this port, so it fails.
    hook = connection_body(name=f"client-test-{uuid.uuid4().hex[:8]}", url=f"http://127.0.0.1:{free_port()}/hook")
    since = len(control.sumo_deliveries())
    assert _sumo_api(twin, "POST", "/v1/connections/test", hook).status_code == 200

    delivered = control.sumo_deliveries(since=since)

    assert [(record["url"], record["test"], record["ok"]) for record in delivered] == [(hook["url"], True, False)]
    assert set(delivered[0]) == Delivery.__required_keys__
    assert delivered[0]["index"] >= since
    assert control.sumo_deliveries(since=delivered[0]["index"] + 1) == []
    assert control.sumo_deliveries(monitor_id="0000000000ABCDEF") == []


def test_alerts_lists_the_active_alerts(control):
    alerts = control.alerts()

    assert isinstance(alerts, list)
    assert all(set(alert) == Alert.__required_keys__ for alert in alerts)


def test_set_rate_limit_switches_it_and_rate_limit_reads_it(control):
    assert control.rate_limit() is False  # the session twin runs without it
    try:
        assert control.set_rate_limit(True) is True
        assert control.rate_limit() is True
    finally:
        assert control.set_rate_limit(False) is False


def test_logs_counts_the_stored_lines_and_returns_the_latest(twin, control):
    line = f"client test line {uuid.uuid4().hex}"
    ingested = requests.post(f"{twin.sumo_url}/receiver/v1/http/CLIENT", data=line.encode(), timeout=10)
    ingested.raise_for_status()

    summary = control.logs(limit=1)

    assert set(summary) == LogsSummary.__required_keys__
    assert summary["count"] >= 1
    assert [stored["raw"] for stored in summary["latest"]] == [line]
    assert control.logs(limit=0)["latest"] == []


def test_recorded_requests_ends_with_the_latest_api_call(twin, control):
    assert _sumo_api(twin, "GET", "/v1/monitors/root").status_code == 200

    recorded = control.recorded_requests()

    assert set(recorded[-1]) == RecordedRequest.__required_keys__
    assert (recorded[-1]["method"], recorded[-1]["path"], recorded[-1]["status"]) == (
        "GET",
        "/api/v1/monitors/root",
        200,
    )


# --- refusals ------------------------------------------------------------------------------------------------------


def test_an_aws_refusal_names_the_endpoint_the_reason_and_the_field(twin, control):
    with pytest.raises(TwinControlError) as refused:
        control.change_clock(speed=0)

    error = refused.value
    assert (error.endpoint, error.status, error.field) == (f"POST {twin.aws_url}/_twin/clock", 400, "speed")
    assert error.reason == "speed must be a number above 0 and at most 1000000, got 0"
    assert str(error) == f"POST {twin.aws_url}/_twin/clock: HTTP 400: {error.reason} (field 'speed')"


def test_an_unknown_instance_is_refused_with_404_naming_the_field(control):
    unknown = "i-0fedcba987654321f"
    with pytest.raises(TwinControlError, match=rf"instance-health: HTTP 404: no instance {unknown}") as refused:
        control.set_instance_health(unknown, "ok")

    assert refused.value.field == "instance_id"


def test_a_sumo_refusal_names_the_endpoint_and_the_reason(twin, control):
    with pytest.raises(TwinControlError) as refused:
        control.logs(limit=-1)

    error = refused.value
    assert (error.endpoint, error.status, error.field) == (f"GET {twin.sumo_url}/_twin/sumo/logs", 400, None)
    assert error.reason == "service.argument.invalid: query parameter limit must be between 0 and 10000 (got -1)"


def test_a_twin_that_does_not_answer_or_a_service_without_a_url_raises(twin):
    silent = TwinControl(aws_url=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(TwinControlError, match=r"/_twin/clock: the twin did not answer") as unanswered:
        silent.clock()
    with pytest.raises(TwinControlError, match=r"GET /_twin/sumo/passes: this client was given no sumo URL"):
        TwinControl(aws_url=twin.aws_url).passes()

    assert unanswered.value.status is None
