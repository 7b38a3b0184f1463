"""AWS's own published runbooks run unchanged on the engine."""

from __future__ import annotations

from pathlib import Path

from emulator.automation import AutomationService, InMemoryDocumentSource
from tests.automation.conftest import instance_state, steps_by_name

FIXTURES = Path(__file__).with_name("fixtures")


def test_aws_restart_ec2_instance_stops_and_starts_the_instance(
    service: AutomationService, documents: InMemoryDocumentSource, ec2, instance_id: str
):
    content = (FIXTURES / "aws-RestartEC2Instance.json").read_text()
    documents.put_document("AWS-RestartEC2Instance", content, "JSON")

    execution_id = service.start_automation_execution(
        {"DocumentName": "AWS-RestartEC2Instance", "Parameters": {"InstanceId": [instance_id]}}
    )["AutomationExecutionId"]
    execution = service.wait_until_finished(execution_id)

    assert execution["AutomationExecutionStatus"] == "Success"
    steps = steps_by_name(execution)
    assert [step["StepStatus"] for step in execution["StepExecutions"]] == ["Success", "Success"]
    assert steps["stopInstances"]["Inputs"] == {"InstanceIds": f'["{instance_id}"]', "DesiredState": '"stopped"'}
    assert execution["Parameters"] == {"InstanceId": [instance_id], "AutomationAssumeRole": [""]}
    assert instance_state(ec2, instance_id) == "running"
