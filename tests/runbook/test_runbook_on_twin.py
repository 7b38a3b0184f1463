"""The runbook run on the twin: each instance state, Action, DryRun, approval, and injected faults, end to end.

Each test checks the instance afterwards, the execution's status and outputs, and the one SNS notification as an SQS
subscriber receives it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.runbook.harness import FINAL_STATUSES, Execution, Notification, RunbookHarness, document_text

pytestmark = [pytest.mark.twin, pytest.mark.slow]

MESSAGE_FIELDS = {
    "instance_id": str,
    "previous_state": str,
    "current_state": str,
    "action_requested": str,
    "action_taken": str,
    "outcome": str,
    "reason": str,
    "detail": str,
    "verified": str,
    "change_requested_at": (str, type(None)),
    "status_checks_ok_at": (str, type(None)),
    "seconds_to_status_checks_ok": (int, type(None)),
    "status_checks_confirmed_at": (str, type(None)),
    "alert_id": (str, type(None)),
    "dry_run": bool,
    "execution_id": str,
    "region": str,
    "account_id": str,
    "timestamp_utc": str,
    "failed_step": (str, type(None)),
    "error": (str, type(None)),
    "state_reason": (dict, type(None)),
}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
REASON = 'more than 5 "slow" /api/data calls in 10 min'
# EC2 runs the status checks every minute.
CHECK_CYCLE_SECONDS = 60
UNSUCCESSFUL = {"Failed", "TimedOut"}


def check_notification(
    runbook: RunbookHarness,
    execution: Execution,
    instance_id: str,
    *,
    previous_state: str,
    action_taken: str,
    outcome: str,
    reason: str = REASON,
) -> dict[str, Any]:
    """The one notification of `execution`, checked field by field; returns its message for further checks."""
    notification: Notification = runbook.only_notification()
    message = notification.message
    assert set(MESSAGE_FIELDS) <= set(message)
    for name, expected_type in MESSAGE_FIELDS.items():
        assert isinstance(message[name], expected_type), f"{name}={message[name]!r}"
    assert message["instance_id"] == instance_id
    assert message["previous_state"] == previous_state
    assert message["action_taken"] == action_taken
    assert message["outcome"] == outcome
    assert message["reason"] == reason
    assert message["execution_id"] == execution.execution_id
    assert ISO_UTC.match(message["timestamp_utc"])
    assert (message["failed_step"] is None) == (outcome != "failed")
    assert (message["error"] is None) == (outcome != "failed")
    # Ledger "Status checks do not move on a reboot": a success is ok checks read a check cycle after the request.
    changed = action_taken in ("rebooted", "started")
    assert (message["change_requested_at"] is not None) == changed
    if outcome == "success":
        assert message["verified"] == "status_checks_ok"
        assert message["seconds_to_status_checks_ok"] >= CHECK_CYCLE_SECONDS
        assert ISO_UTC.match(message["status_checks_ok_at"]) and ISO_UTC.match(message["status_checks_confirmed_at"])
    if not changed:
        assert message["verified"] == "none"
        assert message["status_checks_ok_at"] is message["status_checks_confirmed_at"] is None
    assert len(notification.subject) < 100 and "\n" not in notification.subject
    assert notification.subject.startswith("[remediation] ") and instance_id in notification.subject
    assert notification.envelope["TopicArn"] == runbook.topic_arn
    assert notification.attributes == {
        "outcome": {"Type": "String", "Value": outcome},
        "action_taken": {"Type": "String", "Value": action_taken},
    }
    assert execution.output("recordOutcome.PreviousState") == previous_state
    assert execution.output("recordOutcome.ActionTaken") == action_taken
    assert execution.output("recordOutcome.Outcome") == outcome
    assert execution.output("recordOutcome.NotificationMessageId") == notification.envelope["MessageId"]
    return message


def changed_instance(execution: Execution) -> bool:
    return any(name in execution.step_names for name in ("rebootInstance", "startInstance"))


# ---- one test per state ----------------------------------------------------------------------------------------


def test_running_instance_is_rebooted_and_healthy_again(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()

    execution = runbook.run(InstanceId=instance_id, Reason=REASON, AlertId="0000000000ABCDEF")

    assert execution.status == "Success"
    assert execution.step("rebootInstance")["StepStatus"] == "Success"
    assert runbook.state(instance_id) == "running"
    assert runbook.status_checks(instance_id) == ("ok", "ok")
    message = check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="rebooted", outcome="success"
    )
    assert message["alert_id"] == "0000000000ABCDEF"
    assert message["dry_run"] is False


def test_stopped_instance_is_started_and_healthy(runbook: RunbookHarness) -> None:
    instance_id = runbook.stopped_instance()

    execution = runbook.run(InstanceId=instance_id, Reason=REASON)

    assert execution.status == "Success"
    assert runbook.state(instance_id) == "running"
    assert runbook.status_checks(instance_id) == ("ok", "ok")
    message = check_notification(
        runbook, execution, instance_id, previous_state="stopped", action_taken="started", outcome="success"
    )
    assert message["alert_id"] is None


def _release_settling_instance(runbook: RunbookHarness, instance_id: str, transition_seconds: float) -> Execution:
    """Start the runbook on an instance mid-transition and let the transition end only once the runbook waits.

    The clock runs at real speed meanwhile, so a busy machine cannot let the transition end before the runbook
    reads it; then a jump ends it, well inside the wait's 600 s timeout, and the test clock's pace returns.
    """
    execution_id = runbook.start(InstanceId=instance_id, Reason=REASON)
    runbook.wait_for_current_step(execution_id, "waitUntilSettled")
    runbook.twin.clock(advance_seconds=transition_seconds + 1)
    return runbook.wait_for_step_status(execution_id, "waitUntilSettled", {"Success"})


def test_pending_instance_is_waited_for_then_rebooted(runbook: RunbookHarness) -> None:
    runbook.set_timings(pending_seconds=300)
    with runbook.twin.clock_speed(1):
        instance_id = runbook.launch()
        assert runbook.state(instance_id) == "pending"
        waiting = _release_settling_instance(runbook, instance_id, 300)

    execution = runbook.wait_for_status(waiting.execution_id, FINAL_STATUSES)

    assert execution.status == "Success"
    assert execution.step("waitUntilSettled")["StepStatus"] == "Success"
    assert runbook.state(instance_id) == "running"
    message = check_notification(
        runbook, execution, instance_id, previous_state="pending", action_taken="rebooted", outcome="success"
    )
    assert message["current_state"] == "running"


def test_stopping_instance_is_waited_for_then_started(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()
    runbook.set_timings(stopping_seconds=300)
    with runbook.twin.clock_speed(1):
        runbook.twin.client("ec2").stop_instances(InstanceIds=[instance_id])
        assert runbook.state(instance_id) == "stopping"
        waiting = _release_settling_instance(runbook, instance_id, 300)

    execution = runbook.wait_for_status(waiting.execution_id, FINAL_STATUSES)

    assert execution.status == "Success"
    assert execution.step("waitUntilSettled")["StepStatus"] == "Success"
    assert runbook.state(instance_id) == "running"
    message = check_notification(
        runbook, execution, instance_id, previous_state="stopping", action_taken="started", outcome="success"
    )
    assert message["current_state"] == "stopped"


def test_terminated_instance_is_skipped(runbook: RunbookHarness) -> None:
    instance_id = runbook.terminated_instance()

    execution = runbook.run(InstanceId=instance_id, Reason=REASON)

    assert execution.status == "Success"
    assert not changed_instance(execution)
    assert runbook.state(instance_id) == "terminated"
    message = check_notification(
        runbook, execution, instance_id, previous_state="terminated", action_taken="none", outcome="skipped"
    )
    assert "terminated" in message["detail"]


def test_unknown_instance_is_skipped_not_failed(runbook: RunbookHarness) -> None:
    unknown_id = "i-0badc0ffee0000001"

    execution = runbook.run(InstanceId=unknown_id, Reason=REASON)

    assert execution.status == "Success"
    assert not changed_instance(execution)
    message = check_notification(
        runbook, execution, unknown_id, previous_state="not_found", action_taken="none", outcome="skipped"
    )
    assert unknown_id in message["detail"]


# ---- parameters that hold the runbook back ---------------------------------------------------------------------


def test_dry_run_decides_and_notifies_but_changes_nothing(runbook: RunbookHarness) -> None:
    instance_id = runbook.stopped_instance()

    execution = runbook.run(InstanceId=instance_id, Reason=REASON, DryRun=True)

    assert execution.status == "Success"
    assert not changed_instance(execution)
    assert runbook.state(instance_id) == "stopped"
    message = check_notification(
        runbook, execution, instance_id, previous_state="stopped", action_taken="dry_run", outcome="skipped"
    )
    assert message["dry_run"] is True
    assert "would start" in message["detail"]


def test_start_asked_for_on_a_running_instance_is_skipped_with_the_reason(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()

    execution = runbook.run(InstanceId=instance_id, Reason=REASON, Action="start")

    assert execution.status == "Success"
    assert not changed_instance(execution)
    assert runbook.state(instance_id) == "running"
    message = check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="none", outcome="skipped"
    )
    assert message["action_requested"] == "start"
    assert "Action=start" in message["detail"]


def test_approved_change_goes_ahead(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()
    execution_id = runbook.start(InstanceId=instance_id, Reason=REASON, RequireApproval=True, Approvers=["oncall-lead"])
    waiting = runbook.wait_for_status(execution_id, {"Waiting"})
    assert "rebootInstance" not in waiting.step_names
    assert runbook.notifications() == []

    runbook.signal(execution_id, "Approve", "go ahead")
    execution = runbook.wait_for_status(execution_id, {"Success", "Failed", "TimedOut", "Cancelled"})

    assert execution.status == "Success"
    assert execution.step("approveChange")["StepStatus"] == "Success"
    check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="rebooted", outcome="success"
    )


def test_rejected_change_changes_nothing_and_fails_the_run(runbook: RunbookHarness) -> None:
    instance_id = runbook.stopped_instance()
    execution_id = runbook.start(InstanceId=instance_id, Reason=REASON, RequireApproval=True, Approvers=["oncall-lead"])
    runbook.wait_for_status(execution_id, {"Waiting"})

    runbook.signal(execution_id, "Reject", "not during the release")
    execution = runbook.wait_for_status(execution_id, {"Success", "Failed", "TimedOut", "Cancelled"})

    assert execution.status == "Failed"
    assert not changed_instance(execution)
    assert runbook.state(instance_id) == "stopped"
    message = check_notification(
        runbook, execution, instance_id, previous_state="stopped", action_taken="none", outcome="failed"
    )
    assert message["failed_step"] == "approveChange"
    assert "not during the release" in message["error"]


def test_cancelled_run_changes_nothing_and_still_notifies(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()
    execution_id = runbook.start(InstanceId=instance_id, Reason=REASON, RequireApproval=True, Approvers=["oncall-lead"])
    runbook.wait_for_status(execution_id, {"Waiting"})

    runbook.twin.client("ssm").stop_automation_execution(AutomationExecutionId=execution_id, Type="Cancel")
    execution = runbook.wait_for_status(execution_id, {"Success", "Failed", "TimedOut", "Cancelled"})

    assert execution.status == "Cancelled"
    assert not changed_instance(execution)
    message = check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="none", outcome="failed"
    )
    assert message["failed_step"] == "approveChange"


def test_approval_without_approvers_fails_before_any_change(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()

    execution = runbook.run(InstanceId=instance_id, Reason=REASON, RequireApproval=True)

    assert execution.status == "Failed"
    assert not changed_instance(execution) and "approveChange" not in execution.step_names
    message = check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="none", outcome="failed"
    )
    assert message["failed_step"] == "decide"
    assert "Approvers" in message["error"]


def test_invalid_instance_id_is_refused_before_the_run_starts(runbook: RunbookHarness) -> None:
    ssm = runbook.twin.client("ssm")
    with pytest.raises(ssm.exceptions.InvalidAutomationExecutionParametersException):
        runbook.start(InstanceId="i-123; reboot-everything", Reason=REASON)
    assert runbook.notifications() == []


# ---- faults ----------------------------------------------------------------------------------------------------


def test_reboot_refused_by_ec2_fails_the_run_and_notifies_the_error(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()
    runbook.inject_fault("ec2", "RebootInstances", "UnauthorizedOperation")

    execution = runbook.run(InstanceId=instance_id, Reason=REASON)

    assert execution.status == "Failed"
    assert execution.step("rebootInstance")["StepStatus"] == "Failed"
    assert runbook.state(instance_id) == "running"
    message = check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="none", outcome="failed"
    )
    assert message["failed_step"] == "rebootInstance"
    assert "UnauthorizedOperation" in message["error"]


def test_status_checks_that_never_recover_time_out_and_notify(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()
    runbook.impair(instance_id)
    execution_id = runbook.start(InstanceId=instance_id, Reason=REASON)
    runbook.wait_for_current_step(execution_id, "waitInstanceStatusOk")

    # Past the wait's 900 s timeout at once, rather than 9 real seconds at the test clock's 100x.
    runbook.twin.clock(advance_seconds=901)
    execution = runbook.wait_for_status(execution_id, {"Success", "Failed", "TimedOut", "Cancelled"})

    # The execution reports its first critical failure's status: TimedOut here, Failed in general.
    assert execution.status in UNSUCCESSFUL
    assert execution.step("waitInstanceStatusOk")["StepStatus"] == "TimedOut"
    message = check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="rebooted", outcome="failed"
    )
    assert message["failed_step"] == "waitInstanceStatusOk"
    assert "timed out" in message["error"].lower()


def test_sns_failing_once_still_sends_exactly_one_failure_notification(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()
    runbook.inject_fault("sns", "Publish", "Throttling", times=1)

    execution = runbook.run(InstanceId=instance_id, Reason=REASON)

    assert execution.status == "Failed"
    assert execution.step("publishNotification")["StepStatus"] == "Failed"
    assert runbook.state(instance_id) == "running"
    message = check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="rebooted", outcome="failed"
    )
    assert message["failed_step"] == "publishNotification"
    assert "Throttling" in message["error"]


def test_sns_down_leaves_a_failed_execution_and_no_message(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()
    runbook.inject_fault("sns", "Publish", "InternalError", times=None)

    execution = runbook.run(InstanceId=instance_id, Reason=REASON)

    assert execution.status == "Failed"
    assert execution.step("publishFailureNotification")["StepStatus"] == "Failed"
    assert runbook.notifications() == []
    assert execution.output("recordOutcome.Outcome") == "failed"
    assert execution.output("recordOutcome.ActionTaken") == "rebooted"
    assert execution.output("recordOutcome.NotificationMessageId") == "none"


def test_runbook_that_cannot_read_its_own_steps_still_sends_a_last_resort_message(runbook: RunbookHarness) -> None:
    instance_id = runbook.running_instance()
    # As when the assume role lacks ssm:DescribeAutomationStepExecutions.
    runbook.inject_fault("ssm", "DescribeAutomationStepExecutions", "AccessDeniedException", times=1)

    execution = runbook.run(InstanceId=instance_id, Reason=REASON, AlertId="0000000000ABCDEF")

    assert execution.status == "Failed"
    assert execution.step("collectStepResults")["StepStatus"] == "Failed"
    notification = runbook.only_notification()
    assert notification.message["instance_id"] == instance_id
    assert notification.message["alert_id"] == "0000000000ABCDEF"
    assert (notification.message["outcome"], notification.message["action_taken"]) == ("failed", "unknown")
    assert notification.message["execution_id"] == execution.execution_id
    assert len(notification.subject) < 100
    assert notification.attributes["outcome"] == {"Type": "String", "Value": "failed"}
    assert execution.output("recordOutcome.Outcome") == "failed"
    assert execution.output("recordOutcome.NotificationMessageId") == notification.envelope["MessageId"]


# ---- the webhook Lambda's fleet mode ---------------------------------------------------------------------------


def test_tag_targeted_run_remediates_each_instance_and_notifies_once_per_instance(runbook: RunbookHarness) -> None:
    ec2 = runbook.twin.client("ec2")
    fleet_tag = f"fleet-{runbook.document_name[-8:]}"
    instance_ids = [runbook.running_instance(), runbook.stopped_instance()]
    ec2.create_tags(Resources=instance_ids, Tags=[{"Key": "Service", "Value": fleet_tag}])

    # As the Lambda starts it for a tag: one child execution per instance, one at a time, stop at the first error.
    parent_id = runbook.twin.client("ssm").start_automation_execution(
        DocumentName=runbook.document_name,
        Parameters={"TopicArn": [runbook.topic_arn], "Reason": [REASON]},
        Targets=[{"Key": "tag:Service", "Values": [fleet_tag]}],
        TargetParameterName="InstanceId",
        MaxConcurrency="1",
        MaxErrors="0",
    )["AutomationExecutionId"]
    parent = runbook.wait_for_status(parent_id, {"Success", "Failed", "TimedOut", "Cancelled"})

    assert parent.status == "Success"
    assert [runbook.state(instance_id) for instance_id in instance_ids] == ["running", "running"]
    received = {item.message["instance_id"]: item.message for item in runbook.notifications()}
    assert sorted(received) == sorted(instance_ids)
    assert received[instance_ids[0]]["action_taken"] == "rebooted"
    assert received[instance_ids[1]]["action_taken"] == "started"
    assert {message["outcome"] for message in received.values()} == {"success"}


def _tag_fleet_with_a_volume(runbook: RunbookHarness) -> tuple[dict[str, Any], list[str], str]:
    """Two instances and an EBS volume carrying one fresh tag: (the tag target, the instance ids, the volume id)."""
    ec2 = runbook.twin.client("ec2")
    fleet_tag = f"fleet-{uuid.uuid4().hex[:8]}"
    instance_ids = [runbook.running_instance(), runbook.running_instance()]
    volume_id = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"]
    ec2.create_tags(Resources=[*instance_ids, volume_id], Tags=[{"Key": "Service", "Value": fleet_tag}])
    return {"Key": "tag:Service", "Values": [fleet_tag]}, instance_ids, volume_id


def test_fleet_run_of_the_runbook_without_a_target_type_makes_a_tagged_volume_an_instance_id(
    runbook: RunbookHarness,
) -> None:
    """Ledger: "Tag targets reach every tagged resource unless the document's TargetType narrows them".

    The runbook published without a TargetType (as `CreateDocument` leaves it unless told otherwise): a tag that a
    volume carries too makes the volume id an `InstanceId`, which fails the parameter's allowedPattern, so the fleet
    run is refused before any instance is remediated. This is what the product's TargetType /AWS::EC2::Instance
    prevents.
    """
    target, instance_ids, volume_id = _tag_fleet_with_a_volume(runbook)
    ssm = runbook.twin.client("ssm")
    untyped = f"{runbook.document_name}-untyped-{uuid.uuid4().hex[:4]}"
    ssm.create_document(Content=document_text(), Name=untyped, DocumentType="Automation", DocumentFormat="YAML")

    with pytest.raises(ClientError) as refused:
        ssm.start_automation_execution(
            DocumentName=untyped,
            Parameters={"TopicArn": [runbook.topic_arn], "Reason": [REASON]},
            Targets=[target],
            TargetParameterName="InstanceId",
            MaxConcurrency="1",
            MaxErrors="0",
        )

    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidAutomationExecutionParametersException"
    assert volume_id in error["Message"] and "InstanceId" in error["Message"]
    assert runbook.notifications() == []
    assert [runbook.state(instance_id) for instance_id in instance_ids] == ["running", "running"]


def test_fleet_run_with_a_tagged_volume_among_the_tagged_resources_remediates_the_instances_only(
    runbook: RunbookHarness,
) -> None:
    """Ledger: "Tag targets reach every tagged resource unless the document's TargetType narrows them"."""
    target, instance_ids, volume_id = _tag_fleet_with_a_volume(runbook)

    parent_id = runbook.twin.client("ssm").start_automation_execution(
        DocumentName=runbook.document_name,
        Parameters={"TopicArn": [runbook.topic_arn], "Reason": [REASON]},
        Targets=[target],
        TargetParameterName="InstanceId",
        MaxConcurrency="1",
        MaxErrors="0",
    )["AutomationExecutionId"]
    parent = runbook.wait_for_status(parent_id, FINAL_STATUSES)
    children = runbook.twin.client("ssm").describe_automation_executions(
        Filters=[{"Key": "ParentExecutionId", "Values": [parent_id]}]
    )["AutomationExecutionMetadataList"]

    assert parent.status == "Success"
    assert sorted(child["Target"] for child in children) == sorted(instance_ids)
    assert volume_id not in {child["Target"] for child in children}
    assert {child["AutomationExecutionStatus"] for child in children} == {"Success"}
    received = {item.message["instance_id"]: item.message for item in runbook.notifications()}
    assert sorted(received) == sorted(instance_ids)
    assert {message["action_taken"] for message in received.values()} == {"rebooted"}
