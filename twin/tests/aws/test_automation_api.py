"""SSM Automation over the twin's HTTP endpoint with boto3: the APIs moto lacks, answered by the engine."""

from __future__ import annotations

import time
import uuid

import pytest
import yaml
from botocore.exceptions import ClientError

pytestmark = pytest.mark.twin

FINISHED = {"Success", "Failed", "Cancelled", "TimedOut"}

DESCRIBE_AND_SLEEP = {
    "schemaVersion": "0.3",
    "description": "Count reservations, then wait a little.",
    "parameters": {"Pause": {"type": "String", "default": "PT2S"}},
    "mainSteps": [
        {
            "name": "countReservations",
            "action": "aws:executeAwsApi",
            "inputs": {"Service": "ec2", "Api": "DescribeInstances"},
            "outputs": [{"Name": "Reservations", "Selector": "$.Reservations", "Type": "MapList"}],
        },
        {"name": "pauseBriefly", "action": "aws:sleep", "inputs": {"Duration": "{{ Pause }}"}},
    ],
}
WAIT_FOR_RESUME = {
    "schemaVersion": "0.3",
    "mainSteps": [{"name": "holdOn", "action": "aws:pause", "inputs": {}}],
}
NEEDS_INSTANCE = {
    "schemaVersion": "0.3",
    "parameters": {"InstanceId": {"type": "String"}},
    "mainSteps": [{"name": "nap", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}],
}


def _document(aws, content: dict) -> str:
    name = f"twin-test-{uuid.uuid4().hex[:12]}"
    aws.client("ssm").create_document(
        Name=name, Content=yaml.safe_dump(content), DocumentType="Automation", DocumentFormat="YAML"
    )
    return name


def _wait_for(aws, execution_id: str, statuses: set[str], real_seconds: float = 30.0) -> dict:
    ssm = aws.client("ssm")
    deadline = time.monotonic() + real_seconds
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
        if execution["AutomationExecutionStatus"] in statuses or time.monotonic() > deadline:
            return execution
        time.sleep(0.05)


def test_execution_runs_to_success_and_reports_steps_and_outputs(aws, no_faults):
    name = _document(aws, DESCRIBE_AND_SLEEP)
    ssm = aws.client("ssm")

    execution_id = ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"]
    execution = _wait_for(aws, execution_id, FINISHED)

    assert execution["AutomationExecutionStatus"] == "Success"
    assert [step["StepName"] for step in execution["StepExecutions"]] == ["countReservations", "pauseBriefly"]
    assert all(step["StepStatus"] == "Success" for step in execution["StepExecutions"])
    steps = ssm.describe_automation_step_executions(AutomationExecutionId=execution_id)["StepExecutions"]
    assert [step["Action"] for step in steps] == ["aws:executeAwsApi", "aws:sleep"]


def test_describe_automation_executions_lists_a_started_execution(aws, no_faults):
    name = _document(aws, DESCRIBE_AND_SLEEP)
    ssm = aws.client("ssm")
    execution_id = ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"]

    listed = ssm.describe_automation_executions(Filters=[{"Key": "DocumentNamePrefix", "Values": [name]}])

    assert [item["AutomationExecutionId"] for item in listed["AutomationExecutionMetadataList"]] == [execution_id]
    _wait_for(aws, execution_id, FINISHED)


def test_stop_cancels_a_running_execution(aws):
    name = _document(aws, WAIT_FOR_RESUME)
    ssm = aws.client("ssm")
    execution_id = ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"]
    _wait_for(aws, execution_id, {"Waiting"})

    ssm.stop_automation_execution(AutomationExecutionId=execution_id)

    assert _wait_for(aws, execution_id, FINISHED)["AutomationExecutionStatus"] == "Cancelled"


def test_resume_signal_lets_a_paused_execution_finish(aws):
    name = _document(aws, WAIT_FOR_RESUME)
    ssm = aws.client("ssm")
    execution_id = ssm.start_automation_execution(DocumentName=name)["AutomationExecutionId"]
    assert _wait_for(aws, execution_id, {"Waiting"})["AutomationExecutionStatus"] == "Waiting"

    ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Resume")

    assert _wait_for(aws, execution_id, FINISHED)["AutomationExecutionStatus"] == "Success"


def test_unknown_execution_id_is_not_found_and_the_next_call_works(aws):
    ssm = aws.client("ssm")

    with pytest.raises(ClientError) as raised:
        ssm.get_automation_execution(AutomationExecutionId=str(uuid.uuid4()))

    assert raised.value.response["Error"]["Code"] == "AutomationExecutionNotFoundException"
    assert ssm.describe_automation_executions()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_missing_runbook_parameter_is_rejected_with_invalid_parameters(aws):
    name = _document(aws, NEEDS_INSTANCE)

    with pytest.raises(ClientError) as raised:
        aws.client("ssm").start_automation_execution(DocumentName=name)

    assert raised.value.response["Error"]["Code"] == "InvalidAutomationExecutionParametersException"
    assert "InstanceId" in raised.value.response["Error"]["Message"]


def test_unknown_document_is_automation_definition_not_found(aws):
    with pytest.raises(ClientError) as raised:
        aws.client("ssm").start_automation_execution(DocumentName="no-such-runbook")

    assert raised.value.response["Error"]["Code"] == "AutomationDefinitionNotFoundException"


def test_unknown_document_version_is_version_not_found(aws):
    name = _document(aws, NEEDS_INSTANCE)

    with pytest.raises(ClientError) as raised:
        aws.client("ssm").start_automation_execution(
            DocumentName=name, DocumentVersion="7", Parameters={"InstanceId": ["i-0123456789abcdef0"]}
        )

    assert raised.value.response["Error"]["Code"] == "AutomationDefinitionVersionNotFoundException"


def test_invalid_automation_document_is_rejected_at_create_document(aws):
    broken = {"schemaVersion": "0.3", "mainSteps": [{"name": "oops", "action": "aws:doesNotExist", "inputs": {}}]}

    with pytest.raises(ClientError) as raised:
        aws.client("ssm").create_document(
            Name="twin-test-broken", Content=yaml.safe_dump(broken), DocumentType="Automation", DocumentFormat="YAML"
        )

    assert raised.value.response["Error"]["Code"] == "InvalidDocumentContent"
    assert "aws:doesNotExist" in raised.value.response["Error"]["Message"]
    with pytest.raises(ClientError):
        aws.client("ssm").describe_document(Name="twin-test-broken")


def test_invalid_new_version_of_an_automation_document_is_rejected_at_update_document(aws):
    name = _document(aws, NEEDS_INSTANCE)
    broken = {"schemaVersion": "0.3", "mainSteps": []}

    with pytest.raises(ClientError) as raised:
        aws.client("ssm").update_document(
            Name=name, Content=yaml.safe_dump(broken), DocumentFormat="YAML", DocumentVersion="$LATEST"
        )

    assert raised.value.response["Error"]["Code"] == "InvalidDocumentContent"
    assert aws.client("ssm").describe_document(Name=name)["Document"]["LatestVersion"] == "1"


def test_engine_calls_go_through_the_twin_so_injected_faults_fail_the_step(aws, no_faults):
    name = _document(aws, DESCRIBE_AND_SLEEP)
    aws.control.add_fault(
        service="ec2", operation="DescribeInstances", error_code="UnauthorizedOperation", message="no"
    )

    execution_id = aws.client("ssm").start_automation_execution(DocumentName=name)["AutomationExecutionId"]
    execution = _wait_for(aws, execution_id, FINISHED)

    assert execution["AutomationExecutionStatus"] == "Failed"
    assert "UnauthorizedOperation" in execution["StepExecutions"][0]["FailureMessage"]


@pytest.mark.parametrize(("requested", "runs"), [("$DEFAULT", "1"), ("$LATEST", "2"), ("2", "2"), (None, "1")])
def test_document_version_selects_what_runs(aws, requested, runs):
    name = _document(aws, NEEDS_INSTANCE)
    second = {**NEEDS_INSTANCE, "description": "Second version."}
    aws.client("ssm").update_document(
        Name=name, Content=yaml.safe_dump(second), DocumentFormat="YAML", DocumentVersion="$LATEST"
    )
    request = {"DocumentName": name, "Parameters": {"InstanceId": ["i-0123456789abcdef0"]}}
    if requested is not None:
        request["DocumentVersion"] = requested

    execution_id = aws.client("ssm").start_automation_execution(**request)["AutomationExecutionId"]

    assert _wait_for(aws, execution_id, FINISHED)["DocumentVersion"] == runs
