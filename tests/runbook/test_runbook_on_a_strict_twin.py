"""The runbook on the twin's stricter readings of what AWS leaves undocumented (docs/twin-fidelity.md, "## AWS").

- status checks do not move on a reboot, so an `ok` read right after RebootInstances proves nothing;
- DescribeInstanceStatus lists running instances only unless IncludeAllInstances is true, and a wait whose
  PropertySelector matches nothing fails at once (a started instance is waited for until it leaves pending);
- a step that reads an output of a step that did not run (or failed) fails.

Each test would fail on the runbook as it was before these readings (a 30 s pause, then waits on checks that never
moved; health waits without IncludeAllInstances; bookkeeping that read outputs of steps that may not have run).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from tests.runbook.harness import FINAL_STATUSES, Execution, RunbookHarness
from tests.runbook.test_runbook_on_twin import CHECK_CYCLE_SECONDS, REASON, check_notification

pytestmark = [pytest.mark.twin, pytest.mark.slow]

NO_OUTPUT = "No output available yet because the step is not successfully executed"
# The twin's answer to a step that reads an output without a value (emulator/automation/execution.py).
UNRESOLVED = "which has no value"
RECORDED_OUTPUTS = (
    "recordOutcome.PreviousState",
    "recordOutcome.ActionTaken",
    "recordOutcome.Outcome",
    "recordOutcome.NotificationMessageId",
)


def _seconds_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds()


def _jump_past_sleep(runbook: RunbookHarness, execution_id: str, sleep_step: str, seconds: float) -> Execution:
    """Jump the twin's clock `seconds` ahead until the aws:sleep step `sleep_step` has ended.

    A jump that lands just before the step has set its end (it became current a moment earlier) is lost to it, so
    the jump is made again. Extra virtual time only ends the sleep sooner; correctness never depends on real time.
    """
    for _jump in range(20):
        runbook.twin.clock(advance_seconds=seconds)
        settle_by = time.monotonic() + 2.0
        while time.monotonic() < settle_by:
            execution = runbook.execution(execution_id)
            runs = [step for step in execution.steps if step["StepName"] == sleep_step]
            if runs and runs[-1]["StepStatus"] not in ("Pending", "InProgress"):
                return execution
            time.sleep(0.05)
    raise AssertionError(f"{sleep_step} of {execution_id} did not end after 20 jumps of {seconds} s")


def _healthy_running_instance(runbook: RunbookHarness) -> str:
    """A running instance whose status checks are already ok (its start's initializing window jumped over)."""
    instance_id = runbook.running_instance()
    runbook.twin.clock(advance_seconds=runbook.default_timings["start_initializing_seconds"] + 1)
    assert runbook.status_checks(instance_id) == ("ok", "ok")
    return instance_id


def _unresolved_reads(execution: Execution) -> dict[str, str]:
    return {
        step["StepName"]: step["FailureMessage"]
        for step in execution.steps
        if UNRESOLVED in (step.get("FailureMessage") or "")
    }


# ---- status checks that never move on a reboot ------------------------------------------------------------------


def test_a_reboot_whose_status_checks_never_move_is_not_reported_before_a_check_cycle_has_passed(
    runbook: RunbookHarness,
) -> None:
    """Ledger: "Status checks do not move on a reboot".

    EC2 accepts the reboot and the checks read `ok` the whole time. The runbook must not report a verified reboot
    on those reads: nothing is sent until more than one check cycle has passed, the first health read comes more
    than a cycle after the request, the confirming reads a cycle after that, and the notification says just that.
    """
    instance_id = _healthy_running_instance(runbook)
    with runbook.twin.clock_speed(1):
        execution_id = runbook.start(InstanceId=instance_id, Reason=REASON)
        runbook.wait_for_current_step(execution_id, "waitOneCheckCycle")
        assert runbook.status_checks(instance_id) == ("ok", "ok")  # the accepted reboot did not move them
        assert runbook.notifications() == []

        _jump_past_sleep(runbook, execution_id, "waitOneCheckCycle", CHECK_CYCLE_SECONDS + 31)
        runbook.wait_for_current_step(execution_id, "waitAnotherCheckCycle")
        assert runbook.notifications() == []

        _jump_past_sleep(runbook, execution_id, "waitAnotherCheckCycle", CHECK_CYCLE_SECONDS + 1)
        execution = runbook.wait_for_status(execution_id, FINAL_STATUSES)

    assert execution.status == "Success", execution.failure_message
    requested = execution.step("rebootInstance")["ExecutionEndTime"]
    first_read = execution.step("waitInstanceStatusOk")["ExecutionStartTime"]
    checks_ok = execution.step("waitSystemStatusOk")["ExecutionEndTime"]
    confirming_read = execution.step("confirmInstanceStatusOk")["ExecutionStartTime"]
    assert _seconds_between(requested, first_read) > CHECK_CYCLE_SECONDS
    assert _seconds_between(checks_ok, confirming_read) >= CHECK_CYCLE_SECONDS
    assert [event["action"] for event in runbook.twin.control.power_history(instance_id)["events"]][-1] == "reboot"
    message = check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="rebooted", outcome="success"
    )
    assert message["verified"] == "status_checks_ok"
    assert message["seconds_to_status_checks_ok"] > CHECK_CYCLE_SECONDS
    assert f"asked EC2 to reboot it at {message['change_requested_at']}" in message["detail"]
    assert f"still ok at {message['status_checks_confirmed_at']}" in message["detail"]
    assert "not that the cause of the alert is gone" in message["detail"]
    assert "healthy" not in message["detail"].lower()


def test_a_reboot_that_impairs_the_instance_only_after_the_waits_is_caught_by_the_confirming_read(
    runbook: RunbookHarness,
) -> None:
    """Ledger: "Status checks do not move on a reboot": two ok reads a check cycle apart, not one."""
    instance_id = _healthy_running_instance(runbook)
    with runbook.twin.clock_speed(1):
        execution_id = runbook.start(InstanceId=instance_id, Reason=REASON)
        runbook.wait_for_current_step(execution_id, "waitOneCheckCycle")
        _jump_past_sleep(runbook, execution_id, "waitOneCheckCycle", CHECK_CYCLE_SECONDS + 31)
        runbook.wait_for_current_step(execution_id, "waitAnotherCheckCycle")
        runbook.impair(instance_id)
        _jump_past_sleep(runbook, execution_id, "waitAnotherCheckCycle", CHECK_CYCLE_SECONDS + 1)
        execution = runbook.wait_for_status(execution_id, FINAL_STATUSES)

    assert execution.status == "Failed"
    assert execution.step("confirmInstanceStatusOk")["StepStatus"] == "Failed"
    message = check_notification(
        runbook, execution, instance_id, previous_state="running", action_taken="rebooted", outcome="failed"
    )
    assert message["failed_step"] == "confirmInstanceStatusOk"
    assert "impaired" in message["error"]
    assert message["verified"] == "none"
    assert message["status_checks_ok_at"] is not None and message["status_checks_confirmed_at"] is None


# ---- a started instance that stays pending ------------------------------------------------------------------------


def test_a_started_instance_still_pending_long_after_the_start_is_waited_for(runbook: RunbookHarness) -> None:
    """Ledger: "DescribeInstanceStatus lists running instances only", "A wait whose PropertySelector matches nothing
    fails at once" and "A start with volumes on a customer-managed KMS key needs kms:CreateGrant".

    The instance stays pending well past the runbook's first check cycle. The runbook waits for it to leave pending
    (waitUntilStartSettles reads DescribeInstances by an instance-id filter, which lists a pending instance, so its
    first read does not fail however the timing falls on a busy machine), and reads the status checks only once the
    instance is running.
    """
    pending_seconds = 500.0
    instance_id = runbook.stopped_instance()
    runbook.set_timings(pending_seconds=pending_seconds, start_initializing_seconds=30)

    execution = runbook.run(InstanceId=instance_id, Reason=REASON)

    assert execution.status == "Success", execution.failure_message
    assert runbook.state(instance_id) == "running"
    started_at = [
        event["at"] for event in runbook.twin.control.power_history(instance_id)["events"] if event["action"] == "start"
    ][-1]
    running_at = started_at + pending_seconds
    # The wait's first read came while the instance was still pending (the case this test is about) ...
    assert execution.step("waitUntilStartSettles")["ExecutionStartTime"].timestamp() < running_at
    # ... and the status checks were first read once it was running.
    assert execution.step("waitInstanceStatusOk")["ExecutionStartTime"].timestamp() >= running_at
    check_notification(
        runbook, execution, instance_id, previous_state="stopped", action_taken="started", outcome="success"
    )


# ---- outputs of steps that did not run ----------------------------------------------------------------------------


SCENARIOS: dict[str, dict[str, Any]] = {
    "skip": {"state": "running", "parameters": {"Action": "start"}, "fault_times": None,
             "expected": ("running", "none", "skipped")},
    "start": {"state": "stopped", "parameters": {}, "fault_times": None,
              "expected": ("stopped", "started", "success")},
    "last resort": {"state": "running", "parameters": {}, "fault_times": 1,
                    "expected": ("unknown", "unknown", "failed")},
}  # fmt: skip


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_route_sets_the_outputs_without_reading_an_output_of_a_step_that_did_not_run(
    runbook: RunbookHarness, scenario: str
) -> None:
    """Ledger: "Reading an output of a step that did not run fails the step".

    The skip route passes the change and health steps by; the start route the reboot; the last-resort route (the
    runbook cannot read its own steps once) the builder. No step fails on an output without a value, and the
    execution outputs are set on each.
    """
    case = SCENARIOS[scenario]
    instance_id = runbook.running_instance() if case["state"] == "running" else runbook.stopped_instance()
    if case["fault_times"]:
        runbook.inject_fault("ssm", "DescribeAutomationStepExecutions", "AccessDeniedException", case["fault_times"])

    execution = runbook.run(InstanceId=instance_id, Reason=REASON, **case["parameters"])

    assert _unresolved_reads(execution) == {}
    assert execution.step("recordOutcome")["StepStatus"] == "Success"
    previous_state, action_taken, outcome = case["expected"]
    assert execution.output("recordOutcome.PreviousState") == previous_state
    assert execution.output("recordOutcome.ActionTaken") == action_taken
    assert execution.output("recordOutcome.Outcome") == outcome
    notification = runbook.only_notification()
    assert execution.output("recordOutcome.NotificationMessageId") == notification.envelope["MessageId"]


def test_a_run_whose_final_bookkeeping_fails_ends_without_outputs_instead_of_reading_them(
    runbook: RunbookHarness,
) -> None:
    """Ledger: "Reading an output of a step that did not run fails the step".

    The runbook cannot read its own steps, before the notification (last resort) and after it (collectFinalResults).
    recordOutcome, which would read collectFinalResults' output, is not run at all: the outputs stay empty.
    """
    instance_id = runbook.running_instance()
    runbook.inject_fault("ssm", "DescribeAutomationStepExecutions", "AccessDeniedException", times=2)

    execution = runbook.run(InstanceId=instance_id, Reason=REASON)

    assert _unresolved_reads(execution) == {}
    assert execution.status == "Failed"
    assert execution.step("collectFinalResults")["StepStatus"] == "Failed"
    assert execution.step("endWithoutOutputs")["StepStatus"] == "Success"
    assert "recordOutcome" not in execution.step_names
    assert [execution.output(name) for name in RECORDED_OUTPUTS] == [NO_OUTPUT] * len(RECORDED_OUTPUTS)
    assert runbook.only_notification().message["outcome"] == "failed"
