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


def test_a_failing_start_is_a_502_with_a_log_line(deployment, faults, logs):
    faults.add_fault(
        service="ssm", operation="StartAutomationExecution", error_code="AutomationDefinitionNotFoundException"
    )

    response = handle_event(alert_event(), deployment.runtime())

    assert response["statusCode"] == 502
    assert response_body(response)["error"] == "upstream error"
    assert deployment.executions() == []
    [line] = logs.decisions("failed")
    assert line["alert_id"] == "00000000016CCCDD:1800000000000"
    assert line["reason"] == "start automation: AutomationDefinitionNotFoundException"
    assert line["level"] == "ERROR"


def test_a_redelivery_after_a_failed_start_starts_the_decided_execution_once(deployment, faults, token_reuse):
    faults.add_fault(
        service="ssm", operation="StartAutomationExecution", error_code="AutomationDefinitionNotFoundException", times=1
    )
    runtime = deployment.runtime()
    failed = handle_event(alert_event(), runtime)

    redelivered = handle_event(alert_event(), runtime)
    again = handle_event(alert_event(), runtime)

    assert failed["statusCode"] == 502
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
