"""aws:executeAwsApi, aws:waitForAwsResourceProperty, aws:assertAwsResourceProperty and aws:changeInstanceState."""

from __future__ import annotations

import json

import pytest

from tests.automation.conftest import (
    FaultyClient,
    faulty_factory,
    instance_state,
    launch_instance,
    steps_by_name,
)


def test_execute_aws_api_outputs_are_selected_and_typed(runbook, ec2):
    instance_id = launch_instance(ec2, tags={"Name": "web-1"})

    execution = runbook.run(
        """
        schemaVersion: '0.3'
        parameters:
          InstanceId: {type: String}
        mainSteps:
          - name: describe
            action: aws:executeAwsApi
            inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: ['{{ InstanceId }}']}
            outputs:
              - {Name: State, Selector: '$.Reservations[0].Instances[0].State.Name', Type: String}
              - {Name: Code, Selector: '$.Reservations[0].Instances[0].State.Code', Type: Integer}
              - {Name: Ids, Selector: '$.Reservations[*].Instances[*].InstanceId', Type: StringList}
              - {Name: Ebs, Selector: '$.Reservations[0].Instances[0].EbsOptimized', Type: Boolean}
              - {Name: Tags, Selector: '$.Reservations[0].Instances[0].Tags', Type: MapList}
              - {Name: StateMap, Selector: '$.Reservations[0].Instances[0].State', Type: StringMap}
        outputs: [describe.State, describe.Ids]
        """,
        InstanceId=instance_id,
    )

    step = steps_by_name(execution)["describe"]
    assert execution["AutomationExecutionStatus"] == "Success"
    assert step["Outputs"]["State"] == ["running"]
    assert step["Outputs"]["Code"] == ["16"]
    assert step["Outputs"]["Ids"] == [instance_id]
    assert step["Outputs"]["Ebs"] == ["false"]
    assert json.loads(step["Outputs"]["Tags"][0]) == {"Key": "Name", "Value": "web-1"}
    assert json.loads(step["Outputs"]["StateMap"][0]) == {"Code": 16, "Name": "running"}
    assert execution["Outputs"] == {"describe.State": ["running"], "describe.Ids": [instance_id]}
    response = json.loads(step["Response"])
    assert isinstance(response["Reservations"][0]["Instances"][0]["LaunchTime"], str)
    assert step["Inputs"]["InstanceIds"] == json.dumps([instance_id])


def test_execute_aws_api_accepts_the_boto3_method_name_as_api(runbook, instance_id):
    execution = runbook.run(
        f"""
        schemaVersion: '0.3'
        mainSteps:
          - name: reboot
            action: aws:executeAwsApi
            inputs: {{Service: ec2, Api: reboot_instances, InstanceIds: [{instance_id}]}}
        """
    )

    assert execution["AutomationExecutionStatus"] == "Success"


def test_parameters_that_do_not_fit_the_api_model_fail_the_step_with_botocore_reasons(runbook):
    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: reboot
            action: aws:executeAwsApi
            inputs: {Service: ec2, Api: RebootInstances, InstanceIds: i-123, Colour: blue}
        """
    )

    step = steps_by_name(execution)["reboot"]
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert step["StepStatus"] == "Failed"
    assert "Invalid parameters for ec2.RebootInstances" in step["FailureMessage"]
    assert "Invalid type for parameter InstanceIds" in step["FailureMessage"]
    assert 'Unknown parameter in input: "Colour"' in step["FailureMessage"]
    assert step["FailureDetails"]["FailureStage"] == "Inputs"


def test_an_aws_error_fails_the_step_with_the_error_code(runbook):
    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: reboot
            action: aws:executeAwsApi
            inputs: {Service: ec2, Api: RebootInstances, InstanceIds: [i-0000000000000dead]}
        """
    )

    assert "InvalidInstanceID.NotFound" in steps_by_name(execution)["reboot"]["FailureMessage"]
    assert execution["FailureMessage"].startswith("Step reboot failed: ")


def test_wait_for_property_succeeds_once_the_value_is_desired(runbook, instance_id):
    execution = runbook.run(
        f"""
        schemaVersion: '0.3'
        mainSteps:
          - name: waitRunning
            action: aws:waitForAwsResourceProperty
            inputs:
              Service: ec2
              Api: DescribeInstances
              InstanceIds: [{instance_id}]
              PropertySelector: $.Reservations[0].Instances[0].State.Name
              DesiredValues: [pending, running]
        """
    )

    assert execution["AutomationExecutionStatus"] == "Success"


def test_wait_for_property_polls_until_its_timeout_then_times_out(runbook, instance_id):
    execution = runbook.run(
        f"""
        schemaVersion: '0.3'
        mainSteps:
          - name: waitStopped
            action: aws:waitForAwsResourceProperty
            timeoutSeconds: 60
            inputs:
              Service: ec2
              Api: DescribeInstances
              InstanceIds: [{instance_id}]
              PropertySelector: $.Reservations[0].Instances[0].State.Name
              DesiredValues: [stopped]
        """
    )

    step = steps_by_name(execution)["waitStopped"]
    assert step["StepStatus"] == "TimedOut"
    assert execution["AutomationExecutionStatus"] == "TimedOut"
    assert step["ExecutionEndTime"] - step["ExecutionStartTime"] >= 60


NOTHING_TO_SELECT = """
    schemaVersion: '0.3'
    mainSteps:
      - name: check
        action: {action}
        timeoutSeconds: 600
        inputs:
          Service: ec2
          Api: DescribeInstances
          Filters: [{{Name: instance-id, Values: [i-0000000000000dead]}}]
          PropertySelector: $.Reservations[0].Instances[0].State.Name
          DesiredValues: [running]
    """


@pytest.mark.parametrize("action", ["aws:waitForAwsResourceProperty", "aws:assertAwsResourceProperty"])
def test_a_property_selector_that_matches_nothing_fails_the_step_at_once_naming_the_selector(runbook, action):
    """Ledger: "A wait whose PropertySelector matches nothing fails at once"."""
    execution = runbook.run(NOTHING_TO_SELECT.format(action=action))

    step = steps_by_name(execution)["check"]
    assert step["StepStatus"] == "Failed"
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert step["FailureMessage"].startswith(
        "PropertySelector $.Reservations[0].Instances[0].State.Name matched nothing in the ec2 DescribeInstances "
        "response (top-level keys ['Reservations'])"
    )
    # Failed on its first read, long before the 600 s timeout a wait that kept polling would have used up.
    assert step["ExecutionEndTime"] - step["ExecutionStartTime"] < 600
    assert json.loads(step["Response"]) == {"Reservations": []}


def test_assert_property_passes_or_fails_immediately(runbook, instance_id):
    document = f"""
        schemaVersion: '0.3'
        parameters:
          Desired: {{type: StringList}}
        mainSteps:
          - name: check
            action: aws:assertAwsResourceProperty
            inputs:
              Service: ec2
              Api: DescribeInstances
              InstanceIds: [{instance_id}]
              PropertySelector: $.Reservations[0].Instances[0].State.Name
              DesiredValues: '{{{{ Desired }}}}'
        """
    passed = runbook.run(document, Desired=["running"])
    failed = runbook.run(document, Desired=["stopped", "terminated"])

    assert passed["AutomationExecutionStatus"] == "Success"
    assert failed["AutomationExecutionStatus"] == "Failed"
    assert steps_by_name(failed)["check"]["FailureMessage"] == (
        "Property $.Reservations[0].Instances[0].State.Name is 'running'; expected one of ['stopped', 'terminated']"
    )


CHANGE_STATE = """
    schemaVersion: '0.3'
    parameters:
      Ids: {type: StringList}
      State: {type: String}
      CheckOnly: {type: Boolean, default: false}
    mainSteps:
      - name: change
        action: aws:changeInstanceState
        inputs: {InstanceIds: '{{ Ids }}', DesiredState: '{{ State }}', CheckStateOnly: '{{ CheckOnly }}'}
    """


def test_change_instance_state_stops_and_starts_instances(runbook, ec2, instance_id):
    stopped = runbook.run(CHANGE_STATE, Ids=[instance_id], State="stopped")
    assert stopped["AutomationExecutionStatus"] == "Success"
    assert instance_state(ec2, instance_id) == "stopped"

    started = runbook.run(CHANGE_STATE, Ids=[instance_id], State="running")
    assert started["AutomationExecutionStatus"] == "Success"
    assert instance_state(ec2, instance_id) == "running"


def test_check_state_only_waits_without_changing_the_instance(runbook, ec2, instance_id):
    execution = runbook.run(
        CHANGE_STATE.replace(
            "action: aws:changeInstanceState", "action: aws:changeInstanceState\n        timeoutSeconds: 300"
        ),
        Ids=[instance_id],
        State="stopped",
        CheckOnly="true",
    )

    assert execution["AutomationExecutionStatus"] == "TimedOut"
    assert instance_state(ec2, instance_id) == "running"


def test_change_instance_state_terminates(runbook, ec2, instance_id):
    execution = runbook.run(CHANGE_STATE, Ids=[instance_id], State="terminated")

    assert execution["AutomationExecutionStatus"] == "Success"
    assert instance_state(ec2, instance_id) == "terminated"


def test_a_terminated_instance_fails_fast_instead_of_waiting_to_run(runbook, ec2, instance_id):
    ec2.terminate_instances(InstanceIds=[instance_id])

    execution = runbook.run(CHANGE_STATE, Ids=[instance_id], State="running", CheckOnly="true")

    assert execution["AutomationExecutionStatus"] == "Failed"
    assert "cannot reach state running" in steps_by_name(execution)["change"]["FailureMessage"]


def test_running_also_waits_for_instance_and_system_status_ok(make_runbook, client_factory, instance_id):
    def initializing(response):
        for status in response["InstanceStatuses"]:
            status["InstanceStatus"]["Status"] = "initializing"
        return response

    ec2 = FaultyClient(client_factory("ec2"), "describe_instance_status", "", times=3, replace=initializing)
    runbook = make_runbook(factory=faulty_factory(client_factory, "ec2", ec2))

    execution = runbook.run(CHANGE_STATE, Ids=[instance_id], State="running", CheckOnly="true")

    step = steps_by_name(execution)["change"]
    assert execution["AutomationExecutionStatus"] == "Success"
    assert ec2.calls == 4
    assert step["ExecutionEndTime"] - step["ExecutionStartTime"] >= 3 * 15


class _StopRecorder:
    """Delegates to the real EC2 client and records the arguments of StopInstances."""

    def __init__(self, client):
        self._client = client
        self.stop_calls: list[dict] = []

    def __getattr__(self, name):
        method = getattr(self._client, name)
        if name != "stop_instances":
            return method

        def stop_instances(**kwargs):
            self.stop_calls.append(kwargs)
            return method(**kwargs)

        return stop_instances


def test_force_is_passed_to_stop_instances(make_runbook, client_factory, ec2, instance_id):
    recorder = _StopRecorder(client_factory("ec2"))
    runbook = make_runbook(factory=faulty_factory(client_factory, "ec2", recorder))

    execution = runbook.run(
        f"""
        schemaVersion: '0.3'
        mainSteps:
          - name: forceStop
            action: aws:changeInstanceState
            inputs: {{InstanceIds: [{instance_id}], DesiredState: stopped, Force: true}}
        """
    )

    assert execution["AutomationExecutionStatus"] == "Success"
    assert recorder.stop_calls == [{"InstanceIds": [instance_id], "Force": True}]
    assert instance_state(ec2, instance_id) == "stopped"
