"""The closed loop on the twin: a start sets a verification timer; the alert's resolution verifies it, or the timer
finds it still open and escalates NOT FIXED once, opening the circuit; relapses open it too; the fleet brake."""

from __future__ import annotations

import json

from lambda_testkit import alert_event, response_body
from remediation_webhook.app import handle_event

RESOLVED = {"TriggerType": "ResolvedCritical"}
VERIFY_SECONDS = 1020


def alert_at(clock, **changes):
    """A Critical alert whose window started now: a new alert each time the clock has moved."""
    return alert_event(TriggerTimeStart=str(int(clock.now * 1000)), **changes)


def test_a_start_sets_one_timer_that_invokes_the_function_when_the_verification_window_ends(deployment):
    runtime = deployment.runtime()
    response = handle_event(alert_event(), runtime)
    assert response["statusCode"] == 202
    (timer,) = deployment.timers()
    execution_id = response_body(response)["execution_id"]
    assert timer["ScheduleExpression"] == "at(2027-01-15T08:17:00)"  # FakeClock 1_800_000_000 + 1020 s, in UTC
    assert timer["ScheduleExpressionTimezone"] == "UTC"
    assert timer["ActionAfterCompletion"] == "DELETE"
    assert timer["Target"]["Arn"] == deployment.env["REMEDIATION_FUNCTION_ARN"]
    assert timer["Target"]["RoleArn"] == deployment.env["REMEDIATION_SCHEDULER_ROLE_ARN"]
    carried = json.loads(timer["Target"]["Input"])["remediation_timer"]
    assert carried["execution_id"] == execution_id
    assert carried["target"] == deployment.instance_ids[0]
    assert carried["acted_at"] == 1_800_000_000

    handle_event(alert_event(), runtime)  # a duplicate delivery re-sends the start, and sets no second timer
    assert len(deployment.timers()) == 1


def test_a_dry_run_sets_no_timer(deployment):
    response = handle_event(alert_event(), deployment.runtime(REMEDIATION_DRY_RUN="true"))
    assert response["statusCode"] == 202
    assert deployment.timers() == []


def test_a_resolution_inside_the_window_verifies_the_start_and_names_its_execution_and_times(deployment):
    runtime = deployment.runtime()
    execution_id = response_body(handle_event(alert_event(), runtime))["execution_id"]
    deployment.clock.advance(600)

    response = handle_event(alert_event(**RESOLVED), runtime)

    assert response["statusCode"] == 200
    (message,) = deployment.messages()
    assert message["outcome"] == "recovered"
    (fix,) = message["remediations_verified"]
    assert fix["execution_id"] == execution_id
    assert (fix["alert_started_utc"], fix["acted_utc"], fix["resolved_utc"]) == (
        "2027-01-15T08:00:00Z",
        "2027-01-15T08:00:00Z",
        "2027-01-15T08:10:00Z",
    )
    assert fix["seconds_action_to_resolution"] == 600
    assert execution_id in message["detail"] and "verified" in message["detail"]
    assert deployment.timers() == []  # the timer is gone: nothing will say NOT FIXED
    state = deployment.state(deployment.instance_ids[0])
    assert state["verified_at"] == str(1_800_000_600)
    assert "circuit_open_since" not in state


def test_an_alert_still_open_when_the_window_ends_escalates_not_fixed_once_and_opens_the_circuit(deployment, logs):
    runtime = deployment.runtime()
    instance_id = deployment.instance_ids[0]
    execution_id = response_body(handle_event(alert_event(), runtime))["execution_id"]
    (timer,) = deployment.timers()
    timer_event = json.loads(timer["Target"]["Input"])
    deployment.clock.advance(VERIFY_SECONDS)

    replies = deployment.fire_timers(runtime)
    again = handle_event(timer_event, runtime)  # Lambda retries an asynchronous invocation: still one escalation

    assert [reply["status"] for reply in replies] == ["not_fixed"]
    assert again["status"] == "closed"
    (message,) = deployment.messages()
    assert message["outcome"] == "not_fixed"
    assert message["execution_id"] == execution_id
    assert message["targets"] == [instance_id]
    assert message["alert_still_open"] is True and message["automatic_remediation"] == "paused"
    assert message["acted_utc"] == "2027-01-15T08:00:00Z"
    assert "still open" in message["detail"] and "paused" in message["detail"]
    assert message["action_taken"]  # the stand-in runbook records none: the message says so rather than guess
    assert deployment.state(instance_id)["circuit_open_since"] == str(1_800_000_000 + VERIFY_SECONDS)

    # A later alert, past the cooldown, starts nothing and sends nothing more.
    deployment.clock.advance(3600)
    later = handle_event(alert_at(deployment.clock), runtime)
    suppressed = {"target": instance_id, "status": "suppressed", "reason": "circuit open"}
    assert response_body(later)["targets"] == [suppressed]
    assert len(deployment.executions()) == 1
    assert deployment.messages() == []
    assert logs.decisions("suppressed")[-1]["reason"] == "circuit open"
    assert [record["target"] for record in logs.decisions("not_fixed")] == [instance_id]


def test_the_subject_of_not_fixed_names_the_instance(deployment):
    sqs, sns = deployment.aws.client("sqs"), deployment.aws.client("sns")
    # The deployment's queue takes raw deliveries, which drop the subject: an envelope subscription keeps it.
    queue_url = sqs.create_queue(QueueName=f"envelopes-{deployment.env['REMEDIATION_SCHEDULE_GROUP']}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=deployment.env["REMEDIATION_TOPIC_ARN"], Protocol="sqs", Endpoint=queue_arn)
    runtime = deployment.runtime()
    handle_event(alert_event(), runtime)
    deployment.clock.advance(VERIFY_SECONDS)
    deployment.fire_timers(runtime)

    (received,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(received["Body"])["Subject"] == f"[remediation] NOT FIXED {deployment.instance_ids[0]}"


def test_an_open_circuit_closes_after_the_target_stays_healthy_for_the_heal_time(deployment):
    runtime = deployment.runtime(REMEDIATION_CIRCUIT_HEAL_SECONDS="7200")
    handle_event(alert_event(), runtime)
    deployment.clock.advance(VERIFY_SECONDS)
    deployment.fire_timers(runtime)
    deployment.clock.advance(600)
    handle_event(alert_event(**RESOLVED), runtime)  # late: it does not verify, but the target is healthy from now

    deployment.clock.advance(3600)
    early = handle_event(alert_at(deployment.clock), runtime)
    assert response_body(early)["status"] == "suppressed"  # healthy for one hour only, and this alert resets it
    deployment.clock.advance(600)
    handle_event(alert_event(**RESOLVED), runtime)
    deployment.clock.advance(7200)
    healed = handle_event(alert_at(deployment.clock), runtime)

    assert healed["statusCode"] == 202
    assert "circuit_open_since" not in deployment.state(deployment.instance_ids[0])
    assert len(deployment.executions()) == 2


def test_the_documented_reset_closes_the_circuit(deployment):
    runtime = deployment.runtime()
    handle_event(alert_event(), runtime)
    deployment.clock.advance(VERIFY_SECONDS)
    deployment.fire_timers(runtime)
    # docs/runbook.md: aws dynamodb update-item ... --update-expression "REMOVE circuit_open_since SET relapses = :0"
    deployment.aws.client("dynamodb").update_item(
        TableName=deployment.env["REMEDIATION_STATE_TABLE"],
        Key={"pk": {"S": f"target#{deployment.instance_ids[0]}"}},
        UpdateExpression="REMOVE circuit_open_since SET relapses = :zero",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )
    deployment.clock.advance(3600)
    assert handle_event(alert_at(deployment.clock), runtime)["statusCode"] == 202


def test_relapses_past_the_limit_open_the_circuit_with_one_escalation(deployment):
    runtime = deployment.runtime(REMEDIATION_MAX_RELAPSES="2", REMEDIATION_MAX_ATTEMPTS="20")
    statuses = []
    for _ in range(5):
        response = handle_event(alert_at(deployment.clock), runtime)
        statuses.append(response_body(response)["status"])
        deployment.clock.advance(300)
        handle_event(alert_event(**RESOLVED), runtime)
        deployment.clock.advance(3600)  # past the cooldown, well inside the relapse window of a day

    # A first fix, then relapses one and two are remediated; the third relapse opens the circuit.
    assert statuses == ["started", "started", "started", "suppressed", "suppressed"]
    messages = deployment.messages()
    outcomes = [message["outcome"] for message in messages]
    assert outcomes.count("circuit_open") == 1
    fixes = [fix for message in messages for fix in message.get("remediations_verified", [])]
    assert [fix["relapses_in_a_row"] for fix in fixes] == [0, 1, 2]
    assert len(deployment.executions()) == 3


def test_fixes_a_day_apart_are_not_relapses(deployment):
    runtime = deployment.runtime(REMEDIATION_MAX_RELAPSES="0", REMEDIATION_RELAPSE_SECONDS="3600")
    for _ in range(3):
        assert handle_event(alert_at(deployment.clock), runtime)["statusCode"] == 202
        deployment.clock.advance(300)
        handle_event(alert_event(**RESOLVED), runtime)
        deployment.clock.advance(86400)
    assert len(deployment.executions()) == 3


def test_three_of_three_tagged_instances_alerting_together_start_nothing_and_escalate_once(make_deployment):
    deployment = make_deployment(instance_count=3, tag=("Service", "api"))
    runtime = deployment.runtime()
    rows = json.dumps([{"_count": 7, "instanceid": instance_id} for instance_id in deployment.instance_ids])

    first = handle_event(alert_event(ResultsJson=rows), runtime)
    again = handle_event(alert_event(ResultsJson=rows), runtime)  # Sumo may deliver it twice

    assert response_body(first)["reason"] == "fleet brake"
    assert response_body(again)["status"] == "suppressed"
    assert deployment.executions() == []
    (message,) = deployment.messages()
    assert message["outcome"] == "fleet_wide"
    assert message["targets"] == deployment.instance_ids


def test_two_of_three_configured_instances_are_over_half_the_fleet(make_deployment):
    deployment = make_deployment(instance_count=3)
    rows = json.dumps([{"instanceid": instance_id} for instance_id in deployment.instance_ids[:2]])
    response = handle_event(alert_event(ResultsJson=rows), deployment.runtime(REMEDIATION_FLEET_MAX_CONCURRENT="5"))
    assert response_body(response)["reason"] == "fleet brake"
    assert deployment.executions() == []


def test_one_instance_of_three_is_remediated(make_deployment):
    deployment = make_deployment(instance_count=3)
    rows = json.dumps([{"instanceid": deployment.instance_ids[1]}])
    response = handle_event(alert_event(ResultsJson=rows), deployment.runtime())
    assert response["statusCode"] == 202
    assert [execution["Parameters"]["InstanceId"] for execution in deployment.executions()] == [
        [deployment.instance_ids[1]]
    ]


def test_a_timer_event_of_the_wrong_shape_is_rejected_and_changes_nothing(deployment, logs):
    runtime = deployment.runtime()
    handle_event(alert_event(), runtime)
    reply = handle_event({"remediation_timer": {"target": "i-0"}}, runtime)
    assert reply["status"] == "rejected"
    assert "remediation_timer." in reply["error"]
    assert "circuit_open_since" not in deployment.state(deployment.instance_ids[0])
    assert deployment.messages() == []


def test_a_fleet_escalation_that_could_not_be_published_is_sent_by_the_next_delivery(make_deployment, aws):
    deployment = make_deployment(instance_count=3, tag=("Service", "api"))
    runtime = deployment.runtime()
    rows = json.dumps([{"instanceid": instance_id} for instance_id in deployment.instance_ids])
    aws.control.add_fault(service="sns", operation="Publish", error_code="InternalError", http_status=500, times=4)
    try:
        failed = handle_event(alert_event(ResultsJson=rows), runtime)
    finally:
        aws.control.clear_faults()
    again = handle_event(alert_event(ResultsJson=rows), runtime)

    assert failed["statusCode"] == 502
    assert response_body(again)["reason"] == "fleet brake"
    assert [message["outcome"] for message in deployment.messages()] == ["fleet_wide"]
    assert deployment.executions() == []
