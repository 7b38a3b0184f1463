"""Every member the service returns exists, with that spelling, in botocore's SSM model."""

from __future__ import annotations

import botocore.session
import pytest

from emulator.clock import ScaledClock
from tests.automation.conftest import FAST, wait_for_status

MODEL = botocore.session.get_session().get_service_model("ssm")


def _unknown_members(value, shape, path="") -> list[str]:
    """Paths of keys in `value` that `shape` (a botocore structure/list/map shape) does not define."""
    if shape.type_name == "structure":
        problems = [f"{path}.{key}" for key in value if key not in shape.members]
        for key, item in value.items():
            if key in shape.members:
                problems += _unknown_members(item, shape.members[key], f"{path}.{key}")
        return problems
    if shape.type_name == "list":
        return [p for index, item in enumerate(value) for p in _unknown_members(item, shape.member, f"{path}[{index}]")]
    if shape.type_name == "map":
        return [p for key, item in value.items() for p in _unknown_members(item, shape.value, f"{path}.{key}")]
    return []


def _output_shape(operation: str):
    return MODEL.operation_model(operation).output_shape


@pytest.fixture
def finished_and_waiting(make_runbook):
    runbook = make_runbook(clock=ScaledClock(speed=FAST))
    name = runbook.add(
        """
        schemaVersion: '0.3'
        parameters:
          Ids: {type: StringList, default: [a]}
        mainSteps:
          - name: decide
            action: aws:branch
            inputs:
              Choices: [{NextStep: hold, Variable: '{{ Ids }}', Contains: a}]
          - name: hold
            action: aws:pause
            onCancel: step:rest
          - name: rest
            action: aws:executeAwsApi
            inputs: {Service: sts, Api: GetCallerIdentity}
            outputs: [{Name: Account, Selector: $.Account, Type: String}]
        outputs: [rest.Account]
        """
    )
    waiting = runbook.start(name)
    wait_for_status(runbook, waiting, "Waiting")
    finished = runbook.start(name)
    wait_for_status(runbook, finished, "Waiting")
    runbook.service.stop_automation_execution({"AutomationExecutionId": finished})
    runbook.service.wait_until_finished(finished)
    yield runbook, [waiting, finished]
    runbook.service.stop_automation_execution({"AutomationExecutionId": waiting})


def test_responses_use_only_members_of_the_ssm_model(finished_and_waiting):
    runbook, execution_ids = finished_and_waiting
    service = runbook.service
    responses = {
        "DescribeAutomationExecutions": service.describe_automation_executions({}),
        **{
            f"GetAutomationExecution {i}": service.get_automation_execution({"AutomationExecutionId": i})
            for i in execution_ids
        },
        **{
            f"DescribeAutomationStepExecutions {i}": service.describe_automation_step_executions(
                {"AutomationExecutionId": i}
            )
            for i in execution_ids
        },
    }

    for label, response in responses.items():
        assert _unknown_members(response, _output_shape(label.split()[0])) == [], label
    assert responses["DescribeAutomationExecutions"]["AutomationExecutionMetadataList"]


def test_statuses_are_values_of_the_model_enum(finished_and_waiting):
    runbook, execution_ids = finished_and_waiting
    allowed = set(MODEL.shape_for("AutomationExecutionStatus").enum)

    for execution_id in execution_ids:
        execution = runbook.get(execution_id)
        assert execution["AutomationExecutionStatus"] in allowed
        assert {step["StepStatus"] for step in execution["StepExecutions"]} <= allowed
