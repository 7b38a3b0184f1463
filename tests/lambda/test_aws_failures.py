"""AWS misbehaving: throttling is ridden out, a failure is a 502 with a log line, a redelivery completes the start."""

from __future__ import annotations

import pytest
from lambda_testkit import alert_event, response_body
from remediation_webhook.app import handle_event


@pytest.fixture
def faults(aws):
    """The twin's control API, for injecting faults; cleared after each test."""
    yield aws.control
    aws.control.clear_faults()


def test_a_throttled_start_is_retried_until_it_succeeds(deployment, faults):
    faults.add_fault(
        service="ssm",
        operation="StartAutomationExecution",
        error_code="ThrottlingException",
        message="Rate exceeded",
        http_status=400,
        times=2,
    )

    response = handle_event(alert_event(), deployment.runtime())

    assert response["statusCode"] == 202
    assert len(deployment.executions()) == 1


def test_a_failing_start_is_recorded_answered_and_retried_by_a_timer(deployment, faults, logs):
    faults.add_fault(
        service="ssm", operation="StartAutomationExecution", error_code="AutomationDefinitionNotFoundException"
    )

    response = handle_event(alert_event(), deployment.runtime())

    assert response["statusCode"] == 202
    assert response_body(response)["status"] == "retrying"
    assert deployment.executions() == []
    [line] = logs.decisions("retrying")
    assert line["alert_id"] == "00000000016CCCDD:1800000000000"
    assert line["reason"] == "start automation: AutomationDefinitionNotFoundException"
    assert line["level"] == "WARNING"
    [timer] = deployment.timers()
    assert timer["Name"].startswith("retry-") and timer["ScheduleExpression"] == "at(2027-01-15T08:01:00)"


def test_a_start_that_fails_five_times_in_a_row_is_started_exactly_once_after_ssm_recovers(deployment, faults):
    faults.add_fault(
        service="ssm",
        operation="StartAutomationExecution",
        error_code="InternalServerError",
        http_status=500,
        times=5,
    )
    runtime = deployment.runtime()
    first = handle_event(alert_event(), runtime)
    statuses = []
    for _ in range(6):  # the retries come 1, 2, 4, 8 ... minutes apart
        deployment.clock.advance(1800)
        statuses += [reply["status"] for reply in deployment.fire_timers(runtime)]
        if "started" in statuses:
            break

    assert response_body(first)["status"] == "retrying"
    assert statuses[-1] == "started" and statuses.count("started") == 1
    [execution] = deployment.executions()
    assert execution["Parameters"]["AlertId"] == ["00000000016CCCDD:1800000000000"]
    assert [timer["Name"].split("-")[0] for timer in deployment.timers()] == ["verify"]  # and it is verified next
    assert deployment.messages() == []


def test_a_start_that_never_succeeds_is_given_up_with_one_escalation(deployment, faults):
    faults.add_fault(
        service="ssm", operation="StartAutomationExecution", error_code="AutomationDefinitionNotFoundException"
    )
    runtime = deployment.runtime()
    handle_event(alert_event(), runtime)
    statuses = []
    for _ in range(20):
        deployment.clock.advance(1800)
        statuses += [reply["status"] for reply in deployment.fire_timers(runtime)]

    assert statuses == ["retrying"] * 7 + ["gave_up"]
    assert deployment.executions() == [] and deployment.timers() == []
    [message] = deployment.messages()
    assert message["outcome"] == "start_failed" and message["attempts"] == 9
    assert "AutomationDefinitionNotFoundException" in message["last_error"]


def test_a_redelivery_after_a_failed_start_starts_the_decided_execution_once(deployment, faults, token_reuse):
    faults.add_fault(
        service="ssm", operation="StartAutomationExecution", error_code="AutomationDefinitionNotFoundException", times=1
    )
    runtime = deployment.runtime()
    failed = handle_event(alert_event(), runtime)

    redelivered = handle_event(alert_event(), runtime)
    again = handle_event(alert_event(), runtime)

    assert failed["statusCode"] == 202  # recorded, and a retry timer set
    [execution] = deployment.executions()
    assert response_body(redelivered)["execution_id"] == execution["AutomationExecutionId"]
    # The third delivery re-sends a ClientToken SSM has seen: it names the execution only if SSM answers with it.
    named = execution["AutomationExecutionId"] if token_reuse == "same_execution" else None
    assert response_body(again)["execution_id"] == named


def test_an_unavailable_state_table_is_a_502_and_starts_nothing(deployment):
    runtime = deployment.runtime(REMEDIATION_STATE_TABLE="no-such-table")

    response = handle_event(alert_event(), runtime)

    assert response["statusCode"] == 502
    assert deployment.executions() == []


def test_a_failed_escalation_publish_is_retried_by_the_next_delivery(deployment, faults):
    settings = {"REMEDIATION_COOLDOWN_SECONDS": "0", "REMEDIATION_MAX_ATTEMPTS": "1"}
    runtime = deployment.runtime(**settings)
    handle_event(alert_event(TriggerTimeStart="1800000000000"), runtime)
    faults.add_fault(service="sns", operation="Publish", error_code="InternalError", http_status=500, times=4)

    failed = handle_event(alert_event(TriggerTimeStart="1800000000001"), runtime)
    escalated = handle_event(alert_event(TriggerTimeStart="1800000000002"), runtime)
    quiet = handle_event(alert_event(TriggerTimeStart="1800000000003"), runtime)

    assert [failed["statusCode"], escalated["statusCode"], quiet["statusCode"]] == [502, 200, 200]
    [escalation] = deployment.messages()
    assert escalation["outcome"] == "escalated"
