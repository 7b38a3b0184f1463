"""aws:branch, aws:sleep, aws:executeScript, aws:approve and aws:pause."""

from __future__ import annotations

import json

import pytest

from emulator.automation import AutomationError
from emulator.clock import ScaledClock
from tests.automation.conftest import FAST, steps_by_name, wait_for_status

BRANCH_ON_VALUE = """
    schemaVersion: '0.3'
    parameters:
      Value: {{type: {type}}}
    mainSteps:
      - name: decide
        action: aws:branch
        inputs:
          Choices:
            - NextStep: matched
              Variable: '{{{{ Value }}}}'
              {operator}: {expected}
          Default: unmatched
      - name: matched
        action: aws:sleep
        inputs: {{Duration: PT1S}}
        isEnd: true
      - name: unmatched
        action: aws:sleep
        inputs: {{Duration: PT1S}}
    """


def _ran(execution) -> list[str]:
    return [step["StepName"] for step in execution["StepExecutions"]]


@pytest.mark.parametrize(
    ("kind", "operator", "expected", "value", "matches"),
    [
        ("String", "StringEquals", "running", "running", True),
        ("String", "StringEquals", "running", "Running", False),
        ("String", "EqualsIgnoreCase", "RUNNING", "running", True),
        ("String", "StartsWith", "i-", "i-0abc", True),
        ("String", "StartsWith", "i-", "vol-1", False),
        ("String", "EndsWith", "-prod", "web-prod", True),
        ("String", "Contains", "err", "timeout error", True),
        ("StringList", "Contains", "b", ["a", "b"], True),
        ("StringList", "Contains", "c", ["a", "b"], False),
        ("Integer", "NumericEquals", 3, "3", True),
        ("Integer", "NumericGreater", 3, "4", True),
        ("Integer", "NumericGreater", 3, "3", False),
        ("Integer", "NumericLesser", 3, "2", True),
        ("Integer", "NumericGreaterOrEquals", 3, "3", True),
        ("Integer", "NumericLesserOrEquals", 3, "4", False),
        ("Boolean", "BooleanEquals", "true", "true", True),
        ("Boolean", "BooleanEquals", "true", "false", False),
    ],
)
def test_branch_operators_choose_the_next_step(runbook, kind, operator, expected, value, matches):
    document = BRANCH_ON_VALUE.format(type=kind, operator=operator, expected=expected)

    execution = runbook.run(document, Value=value)

    assert execution["AutomationExecutionStatus"] == "Success"
    assert _ran(execution) == (["decide", "matched"] if matches else ["decide", "unmatched"])
    assert steps_by_name(execution)["decide"]["NextStep"] == ("matched" if matches else "unmatched")


COMPOUND = """
    schemaVersion: '0.3'
    parameters:
      State: {type: String}
      Attempts: {type: Integer}
    mainSteps:
      - name: decide
        action: aws:branch
        inputs:
          Choices:
            - NextStep: reboot
              And:
                - Variable: '{{ State }}'
                  StringEquals: running
                - Not:
                    Variable: '{{ Attempts }}'
                    NumericGreaterOrEquals: 3
            - NextStep: start
              Or:
                - Variable: '{{ State }}'
                  StringEquals: stopped
                - Variable: '{{ State }}'
                  StringEquals: stopping
      - name: skip
        action: aws:sleep
        inputs: {Duration: PT1S}
        isEnd: true
      - name: reboot
        action: aws:sleep
        inputs: {Duration: PT1S}
        isEnd: true
      - name: start
        action: aws:sleep
        inputs: {Duration: PT1S}
    """


@pytest.mark.parametrize(
    ("state", "attempts", "chosen"),
    [("running", "1", "reboot"), ("running", "3", "skip"), ("stopping", "0", "start"), ("pending", "0", "skip")],
)
def test_and_or_not_nest_and_no_match_without_default_goes_to_the_next_step(runbook, state, attempts, chosen):
    execution = runbook.run(COMPOUND, State=state, Attempts=attempts)

    assert _ran(execution) == ["decide", chosen]
    assert steps_by_name(execution)["decide"]["ValidNextSteps"] == ["reboot", "start", "skip"]


def test_branch_on_an_output_of_a_step_that_did_not_run_fails_the_branch(runbook):
    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: decide
            action: aws:branch
            inputs:
              Choices:
                - {NextStep: done, Variable: '{{ script.Payload }}', StringEquals: x}
          - name: done
            action: aws:sleep
            inputs: {Duration: PT1S}
            isEnd: true
          - name: script
            action: aws:executeScript
            inputs: {Runtime: python3.11, Handler: main, Script: 'def main(e, c): return 1'}
        """
    )

    assert execution["AutomationExecutionStatus"] == "Failed"
    failure = steps_by_name(execution)["decide"]["FailureMessage"]
    assert "output Payload of step script ({{ script.Payload }})" in failure
    assert "step script did not run in this execution" in failure


def test_sleep_waits_its_duration_on_the_clock(make_runbook):
    runbook = make_runbook(clock=ScaledClock(speed=FAST))

    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: rest
            action: aws:sleep
            inputs: {Duration: PT10M}
        """
    )

    (rest,) = execution["StepExecutions"]
    assert execution["AutomationExecutionStatus"] == "Success"
    assert rest["ExecutionEndTime"] - rest["ExecutionStartTime"] >= 600


def test_sleep_until_a_past_timestamp_does_not_wait(make_runbook):
    # At real speed, so a busy machine cannot make an instant step look ten minutes long.
    runbook = make_runbook(clock=ScaledClock(speed=1.0))

    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: notBefore
            action: aws:sleep
            inputs: {Timestamp: '2001-01-01T00:00:00Z'}
        """
    )

    (not_before,) = execution["StepExecutions"]
    assert execution["AutomationExecutionStatus"] == "Success"
    assert not_before["ExecutionEndTime"] - not_before["ExecutionStartTime"] < 600


SCRIPT = """
    schemaVersion: '0.3'
    parameters:
      InstanceId: {type: String}
      Count: {type: Integer, default: 2}
    mainSteps:
      - name: script
        action: aws:executeScript
        inputs:
          Runtime: python3.11
          Handler: handler
          InputPayload:
            id: '{{ InstanceId }}'
            count: '{{ Count }}'
          Script: |-
            import os
            def handler(events, context):
                print("noise on stdout")
                return {
                    "echo": events["id"],
                    "double": events["count"] * 2,
                    "execution": context["automation:EXECUTION_ID"],
                    "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
                    "items": ["a", "b"],
                }
        outputs:
          - {Name: Echo, Selector: $.Payload.echo, Type: String}
          - {Name: Double, Selector: $.Payload.double, Type: Integer}
          - {Name: Items, Selector: $.Payload.items, Type: StringList}
    outputs: [script.Echo, script.Double]
    """


def test_execute_script_returns_its_payload_and_selected_outputs(make_runbook):
    runbook = make_runbook(clock=ScaledClock(speed=1), script_environment={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})

    execution = runbook.run(SCRIPT, InstanceId="i-0123456789abcdef0")

    step = steps_by_name(execution)["script"]
    assert execution["AutomationExecutionStatus"] == "Success", step.get("FailureMessage")
    payload = json.loads(step["Outputs"]["Payload"][0])
    assert payload["echo"] == "i-0123456789abcdef0"
    assert payload["execution"] == execution["AutomationExecutionId"]
    assert payload["endpoint"] == "http://127.0.0.1:9"
    assert step["Outputs"]["Double"] == ["4"]
    assert step["Outputs"]["Items"] == ["a", "b"]
    assert execution["Outputs"] == {"script.Echo": ["i-0123456789abcdef0"], "script.Double": ["4"]}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("    raise ValueError('instance is unhealthy')", "Script raised ValueError: instance is unhealthy"),
        ("    return 'x' * 200000", "the maximum Payload is 102400"),
        ("    return {1, 2}", "Script raised TypeError"),
    ],
)
def test_a_failing_script_fails_the_step_with_its_error(make_runbook, body, expected):
    runbook = make_runbook(clock=ScaledClock(speed=1))
    script = "def handler(events, context):\n" + body

    execution = runbook.run(
        f"""
        schemaVersion: '0.3'
        mainSteps:
          - name: script
            action: aws:executeScript
            inputs:
              Runtime: python3.11
              Handler: handler
              Script: {json.dumps(script)}
        """
    )

    assert execution["AutomationExecutionStatus"] == "Failed"
    assert expected in steps_by_name(execution)["script"]["FailureMessage"]


APPROVAL = """
    schemaVersion: '0.3'
    parameters:
      Topic: {type: String, default: ''}
    mainSteps:
      - name: approve
        action: aws:approve
        inputs:
          Approvers: [arn:aws:iam::123456789012:user/alice, arn:aws:iam::123456789012:user/bob]
          MinRequiredApprovals: 2
          Message: Reboot web-1?
          NotificationArn: '{{ Topic }}'
      - name: after
        action: aws:sleep
        inputs: {Duration: PT1S}
    outputs: [approve.ApprovalStatus]
    """


@pytest.fixture
def fast_runbook(make_runbook):
    return make_runbook(clock=ScaledClock(speed=FAST))


def _signal(runbook, execution_id: str, signal_type: str, comment: str = "", caller: str | None = None):
    request = {"AutomationExecutionId": execution_id, "SignalType": signal_type}
    if comment:
        request["Payload"] = {"Comment": [comment]}
    return runbook.service.send_automation_signal(request, caller=caller)


def test_approve_waits_for_the_required_approvals(fast_runbook):
    execution_id = fast_runbook.start(fast_runbook.add(APPROVAL))

    wait_for_status(fast_runbook, execution_id, "Waiting")
    _signal(fast_runbook, execution_id, "Approve", "ok", caller="arn:aws:iam::123456789012:user/alice")
    waiting = wait_for_status(fast_runbook, execution_id, "Waiting")
    assert waiting["CurrentStepName"] == "approve"
    _signal(fast_runbook, execution_id, "Approve", caller="arn:aws:iam::123456789012:user/bob")
    execution = fast_runbook.service.wait_until_finished(execution_id)

    step = steps_by_name(execution)["approve"]
    assert execution["AutomationExecutionStatus"] == "Success"
    assert step["Outputs"]["ApprovalStatus"] == ["Approved"]
    decisions = [json.loads(item) for item in step["Outputs"]["ApproverDecisions"]]
    assert [(d["Approver"], d["Decision"], d["Comment"]) for d in decisions] == [
        ("arn:aws:iam::123456789012:user/alice", "Approved", "ok"),
        ("arn:aws:iam::123456789012:user/bob", "Approved", ""),
    ]
    assert execution["Outputs"] == {"approve.ApprovalStatus": ["Approved"]}


def test_a_rejection_fails_the_step_and_the_execution(fast_runbook):
    execution_id = fast_runbook.start(fast_runbook.add(APPROVAL))

    wait_for_status(fast_runbook, execution_id, "Waiting")
    _signal(fast_runbook, execution_id, "Reject", "not now")
    execution = fast_runbook.service.wait_until_finished(execution_id)

    step = steps_by_name(execution)["approve"]
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert step["StepStatus"] == "Failed"
    assert step["Outputs"]["ApprovalStatus"] == ["Rejected"]
    assert "not now" in step["FailureMessage"]
    assert [s["StepName"] for s in execution["StepExecutions"]] == ["approve"]


def test_an_unanswered_approval_times_out(fast_runbook):
    # Without timeoutSeconds the step would wait AWS's default of 7 days (a minute of real time here).
    document = APPROVAL.replace("action: aws:approve", "action: aws:approve\n        timeoutSeconds: 3600")
    execution_id = fast_runbook.start(fast_runbook.add(document))

    execution = fast_runbook.service.wait_until_finished(execution_id)

    assert execution["AutomationExecutionStatus"] == "TimedOut"
    assert steps_by_name(execution)["approve"]["StepStatus"] == "TimedOut"
    assert execution["Outputs"] == {
        "approve.ApprovalStatus": ["No output available yet because the step is not successfully executed"]
    }


def test_approve_publishes_the_request_to_the_notification_topic(fast_runbook, client_factory):
    sns, sqs = client_factory("sns"), client_factory("sqs")
    topic_arn = sns.create_topic(Name="AutomationApprovals")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

    execution_id = fast_runbook.start(fast_runbook.add(APPROVAL), Topic=topic_arn)
    wait_for_status(fast_runbook, execution_id, "Waiting")

    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    body = json.loads(messages[0]["Body"])
    assert body["AutomationExecutionId"] == execution_id
    assert body["Message"] == "Reboot web-1?"


PAUSE = """
    schemaVersion: '0.3'
    mainSteps:
      - name: hold
        action: aws:pause
      - name: after
        action: aws:sleep
        inputs: {Duration: PT1S}
    """


def test_pause_waits_for_resume(fast_runbook):
    execution_id = fast_runbook.start(fast_runbook.add(PAUSE))

    waiting = wait_for_status(fast_runbook, execution_id, "Waiting")
    _signal(fast_runbook, execution_id, "Resume")
    execution = fast_runbook.service.wait_until_finished(execution_id)

    assert waiting["CurrentAction"] == "aws:pause"
    assert waiting["StepExecutions"][0]["StepStatus"] == "Waiting"
    assert execution["AutomationExecutionStatus"] == "Success"
    assert [s["StepStatus"] for s in execution["StepExecutions"]] == ["Success", "Success"]


def test_a_signal_the_execution_is_not_waiting_for_is_refused(fast_runbook):
    execution_id = fast_runbook.start(fast_runbook.add(PAUSE))
    wait_for_status(fast_runbook, execution_id, "Waiting")

    with pytest.raises(AutomationError) as raised:
        _signal(fast_runbook, execution_id, "Approve")

    assert raised.value.code == "InvalidAutomationSignalException"
    assert "accepts ['Resume']" in raised.value.message
    _signal(fast_runbook, execution_id, "Resume")
    assert fast_runbook.service.wait_until_finished(execution_id)["AutomationExecutionStatus"] == "Success"


def test_stopping_a_running_script_kills_it_and_cancels_the_execution(make_runbook):
    runbook = make_runbook(clock=ScaledClock(speed=1))
    execution_id = runbook.start(
        runbook.add(
            """
            schemaVersion: '0.3'
            mainSteps:
              - name: slow
                action: aws:executeScript
                inputs:
                  Runtime: python3.11
                  Handler: handler
                  Script: |-
                    import time
                    def handler(events, context):
                        time.sleep(120)
            """
        )
    )
    wait_for_status(runbook, execution_id, "InProgress")

    runbook.service.stop_automation_execution({"AutomationExecutionId": execution_id})
    execution = runbook.service.wait_until_finished(execution_id, timeout=20)

    assert execution["AutomationExecutionStatus"] == "Cancelled"
    assert steps_by_name(execution)["slow"]["StepStatus"] == "Cancelled"
