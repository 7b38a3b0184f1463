"""nextStep, isEnd, onFailure, isCritical, maxAttempts, timeoutSeconds, onCancel and the execution's final status."""

from __future__ import annotations

import pytest

from emulator.clock import ScaledClock
from tests.automation.conftest import FaultyClient, faulty_factory, steps_by_name, wait_for_status

NO_OUTPUT = "No output available yet because the step is not successfully executed"


def _failing_then(on_failure: str, extra: str = "") -> str:
    return f"""
        schemaVersion: '0.3'
        mainSteps:
          - name: reboot
            action: aws:executeAwsApi
            onFailure: {on_failure}
            {extra}
            inputs: {{Service: ec2, Api: RebootInstances, InstanceIds: [i-0000000000000dead]}}
            outputs:
              - {{Name: Id, Selector: $.Id, Type: String}}
          - name: next
            action: aws:sleep
            inputs: {{Duration: PT1S}}
            isEnd: true
          - name: notify
            action: aws:sleep
            inputs: {{Duration: PT1S}}
        outputs: [reboot.Id]
        """


def _statuses(execution) -> dict[str, str]:
    return {step["StepName"]: step["StepStatus"] for step in execution["StepExecutions"]}


def test_a_failed_step_aborts_the_execution_by_default(runbook):
    execution = runbook.run(_failing_then("Abort"))

    assert execution["AutomationExecutionStatus"] == "Failed"
    assert _statuses(execution) == {"reboot": "Failed"}
    assert "InvalidInstanceID.NotFound" in execution["FailureMessage"]
    assert execution["Outputs"] == {"reboot.Id": [NO_OUTPUT]}


def test_continue_runs_the_next_step_and_the_execution_succeeds(runbook):
    execution = runbook.run(_failing_then("Continue"))

    assert _statuses(execution) == {"reboot": "Failed", "next": "Success"}
    assert steps_by_name(execution)["reboot"]["IsCritical"] is False
    assert execution["AutomationExecutionStatus"] == "Success"


def test_routing_a_critical_failure_to_a_step_still_ends_failed(runbook):
    execution = runbook.run(_failing_then("step:notify"))

    assert _statuses(execution) == {"reboot": "Failed", "notify": "Success"}
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert execution["FailureMessage"].startswith("Step reboot failed")


def test_routing_a_non_critical_failure_to_a_step_ends_successfully(runbook):
    execution = runbook.run(_failing_then("step:notify", extra="isCritical: false"))

    assert _statuses(execution) == {"reboot": "Failed", "notify": "Success"}
    assert execution["AutomationExecutionStatus"] == "Success"


def test_next_step_jumps_and_is_end_stops(runbook):
    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: first
            action: aws:sleep
            inputs: {Duration: PT1S}
            nextStep: third
          - name: second
            action: aws:sleep
            inputs: {Duration: PT1S}
          - name: third
            action: aws:sleep
            inputs: {Duration: PT1S}
            isEnd: true
          - name: fourth
            action: aws:sleep
            inputs: {Duration: PT1S}
        """
    )

    assert list(_statuses(execution)) == ["first", "third"]
    assert steps_by_name(execution)["first"]["ValidNextSteps"] == ["third"]
    assert steps_by_name(execution)["third"]["ValidNextSteps"] == []


@pytest.mark.parametrize(("max_attempts", "status"), [(3, "Success"), (2, "Failed")])
def test_max_attempts_retries_a_failing_step(make_runbook, client_factory, instance_id, max_attempts, status):
    ec2 = FaultyClient(client_factory("ec2"), "reboot_instances", "RequestLimitExceeded", times=2)
    runbook = make_runbook(clock=ScaledClock(speed=1_000), factory=faulty_factory(client_factory, "ec2", ec2))

    execution = runbook.run(
        f"""
        schemaVersion: '0.3'
        mainSteps:
          - name: reboot
            action: aws:executeAwsApi
            maxAttempts: {max_attempts}
            inputs: {{Service: ec2, Api: RebootInstances, InstanceIds: [{instance_id}]}}
        """
    )

    assert execution["AutomationExecutionStatus"] == status
    assert ec2.calls == min(max_attempts, 3)
    if status == "Failed":
        assert execution["FailureMessage"].startswith("Step reboot failed after 2 attempts: ")
        assert "RequestLimitExceeded" in execution["FailureMessage"]


def test_a_step_past_its_timeout_times_out_the_execution(make_runbook):
    # 100x: the 60 s timeout passes in 0.6 s real, and the hour it must end well within is 36 s real, so a busy
    # machine cannot stretch the step past it.
    runbook = make_runbook(clock=ScaledClock(speed=100.0))

    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: rest
            action: aws:sleep
            timeoutSeconds: 60
            inputs: {Duration: PT1H}
          - name: after
            action: aws:sleep
            inputs: {Duration: PT1S}
        """
    )

    step = steps_by_name(execution)["rest"]
    assert execution["AutomationExecutionStatus"] == "TimedOut"
    assert step["StepStatus"] == "TimedOut"
    assert step["TimeoutSeconds"] == 60
    assert step["FailureMessage"] == "Step timed out after 60 seconds"
    assert 60 <= step["ExecutionEndTime"] - step["ExecutionStartTime"] < 3600


CANCELLABLE = """
    schemaVersion: '0.3'
    mainSteps:
      - name: hold
        action: aws:pause
        onCancel: step:cleanup
      - name: after
        action: aws:sleep
        inputs: {Duration: PT1S}
        isEnd: true
      - name: cleanup
        action: aws:executeAwsApi
        inputs: {Service: ec2, Api: DescribeInstances}
    """


def test_stop_cancels_the_running_step_and_runs_its_on_cancel_step(runbook):
    execution_id = runbook.start(runbook.add(CANCELLABLE))
    wait_for_status(runbook, execution_id, "Waiting")

    runbook.service.stop_automation_execution({"AutomationExecutionId": execution_id, "Type": "Cancel"})
    execution = runbook.service.wait_until_finished(execution_id)

    assert execution["AutomationExecutionStatus"] == "Cancelled"
    assert _statuses(execution) == {"hold": "Cancelled", "cleanup": "Success"}


def test_stop_without_on_cancel_ends_cancelled_at_once(make_runbook):
    runbook = make_runbook(clock=ScaledClock(speed=10))
    execution_id = runbook.start(
        runbook.add(
            """
            schemaVersion: '0.3'
            mainSteps:
              - name: rest
                action: aws:sleep
                inputs: {Duration: PT6H}
              - name: after
                action: aws:sleep
                inputs: {Duration: PT1S}
            """
        )
    )
    wait_for_status(runbook, execution_id, "InProgress")

    runbook.service.stop_automation_execution({"AutomationExecutionId": execution_id})
    execution = runbook.service.wait_until_finished(execution_id, timeout=5)

    assert execution["AutomationExecutionStatus"] == "Cancelled"
    assert _statuses(execution) == {"rest": "Cancelled"}


def test_an_endless_loop_of_steps_is_stopped_and_fails(runbook):
    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: again
            action: aws:branch
            inputs:
              Choices:
                - {NextStep: again, Variable: '{{ automation:EXECUTION_ID }}', StartsWith: ''}
        """
    )

    assert execution["AutomationExecutionStatus"] == "Failed"
    assert len(execution["StepExecutions"]) == 1000
    assert "without ending" in execution["FailureMessage"]
