"""The AutomationService API: start (versions, idempotency, errors, targets), get, describe, stop and signals."""

from __future__ import annotations

import uuid

import pytest

from emulator.automation import AutomationError, TokenReuse
from emulator.clock import ScaledClock
from tests.automation.conftest import FAST, launch_instance, wait_for_status

SLEEP = """
    schemaVersion: '0.3'
    parameters:
      Seconds: {type: Integer, default: 1}
    mainSteps:
      - name: rest
        action: aws:sleep
        inputs: {Duration: PT1S}
    """


def _error(call, request) -> AutomationError:
    with pytest.raises(AutomationError) as raised:
        call(request)
    assert raised.value.status == 400
    return raised.value


def test_start_returns_at_once_and_get_reports_the_execution(runbook):
    name = runbook.add(SLEEP)

    execution_id = runbook.service.start_automation_execution({"DocumentName": name})["AutomationExecutionId"]
    finished = runbook.service.wait_until_finished(execution_id)

    assert len(execution_id) == 36
    assert finished["DocumentName"] == name
    assert finished["DocumentVersion"] == "1"
    assert finished["Mode"] == "Auto"
    assert finished["Parameters"] == {"Seconds": ["1"]}
    assert finished["ExecutedBy"] == "arn:aws:iam::123456789012:root"
    assert finished["StepExecutionsTruncated"] is False
    assert finished["ExecutionEndTime"] >= finished["ExecutionStartTime"]
    step = finished["StepExecutions"][0]
    assert step["Action"] == "aws:sleep" and step["OnFailure"] == "Abort" and step["MaxAttempts"] == 1
    assert step["IsCritical"] is True and step["IsEnd"] is False and len(step["StepExecutionId"]) == 36


def test_document_versions_resolve_default_latest_and_numbers(runbook, documents):
    name = runbook.add(SLEEP)
    documents.put_document(name, SLEEP.replace("PT1S", "PT2S"), "YAML")

    def version_run(version):
        request = {"DocumentName": name} | ({"DocumentVersion": version} if version else {})
        execution_id = runbook.service.start_automation_execution(request)["AutomationExecutionId"]
        return runbook.service.wait_until_finished(execution_id)["DocumentVersion"]

    assert [version_run(v) for v in (None, "$DEFAULT", "$LATEST", "2")] == ["1", "1", "2", "2"]
    assert _error(runbook.service.start_automation_execution, {"DocumentName": name, "DocumentVersion": "3"}).code == (
        "AutomationDefinitionVersionNotFoundException"
    )
    assert _error(runbook.service.start_automation_execution, {"DocumentName": "NoSuchRunbook"}).code == (
        "AutomationDefinitionNotFoundException"
    )


@pytest.mark.parametrize(
    ("request_members", "code", "expected"),
    [
        ({"DocumentName": None}, "ValidationException", "Invalid type for parameter DocumentName"),
        ({"DocumentName": "ab"}, "ValidationException", "DocumentName 'ab' must match"),
        ({"DocumentName": "bad name!"}, "ValidationException", "DocumentName 'bad name!' must match"),
        ({"Parameters": {"Seconds": "5"}}, "ValidationException", "Invalid type for parameter Parameters.Seconds"),
        ({"Mode": "Interactive"}, "ValidationException", "Mode 'Interactive' is not supported"),
        ({"DocumentVersion": "latest"}, "ValidationException", "DocumentVersion 'latest' must be"),
        ({"ClientToken": "not-a-uuid"}, "ValidationException", "Invalid length for parameter ClientToken"),
        ({"MaxConcurrency": "0"}, "ValidationException", "MaxConcurrency '0' must be"),
        ({"TargetParameterName": "Seconds"}, "ValidationException", "Targets is missing"),
        ({"Parameters": {"Seconds": ["five"]}}, "InvalidAutomationExecutionParametersException", "'five'"),
        ({"Parameters": {"Minutes": ["5"]}}, "InvalidAutomationExecutionParametersException", "['Minutes']"),
    ],
)
def test_malformed_or_invalid_starts_are_refused_and_nothing_runs(runbook, request_members, code, expected):
    name = runbook.add(SLEEP)
    request = {"DocumentName": name, **request_members}
    before = runbook.service.describe_automation_executions({})["AutomationExecutionMetadataList"]

    error = _error(runbook.service.start_automation_execution, request)

    assert error.code == code
    assert expected in error.message
    assert runbook.service.describe_automation_executions({})["AutomationExecutionMetadataList"] == before


def test_a_reused_client_token_is_refused_whether_or_not_the_request_is_the_same(runbook):
    """Ledger: "A ClientToken can't be reused". Identical or not, a second start with a used token (in any case)
    starts nothing; a different request is IdempotentParameterMismatch as documented, an identical one too here."""
    name = runbook.add(SLEEP)
    token = str(uuid.uuid4())
    request = {"DocumentName": name, "ClientToken": token, "Parameters": {"Seconds": ["2"]}}

    runbook.service.start_automation_execution(request)
    identical = _error(runbook.service.start_automation_execution, dict(request, ClientToken=token.upper()))
    different = _error(runbook.service.start_automation_execution, dict(request, Parameters={"Seconds": ["3"]}))

    assert identical.code == "IdempotentParameterMismatch" and "can't be reused" in identical.message
    assert different.code == "IdempotentParameterMismatch" and "different request" in different.message
    assert len(runbook.service.describe_automation_executions({})["AutomationExecutionMetadataList"]) == 1


def test_the_kinder_reading_answers_an_identical_reuse_with_the_first_execution(runbook):
    name = runbook.add(SLEEP)
    token = str(uuid.uuid4())
    request = {"DocumentName": name, "ClientToken": token, "Parameters": {"Seconds": ["2"]}}
    runbook.service.token_reuse = TokenReuse.SAME_EXECUTION

    first = runbook.service.start_automation_execution(request)
    again = runbook.service.start_automation_execution(dict(request, ClientToken=token.upper()))
    error = _error(runbook.service.start_automation_execution, dict(request, Parameters={"Seconds": ["3"]}))

    assert again == first
    assert error.code == "IdempotentParameterMismatch"
    assert len(runbook.service.describe_automation_executions({})["AutomationExecutionMetadataList"]) == 1


def test_unknown_execution_ids_are_not_found(runbook):
    missing = {"AutomationExecutionId": str(uuid.uuid4())}

    for call in (
        runbook.service.get_automation_execution,
        runbook.service.stop_automation_execution,
        runbook.service.describe_automation_step_executions,
    ):
        assert _error(call, missing).code == "AutomationExecutionNotFoundException"
    assert _error(runbook.service.send_automation_signal, dict(missing, SignalType="Resume")).code == (
        "AutomationExecutionNotFoundException"
    )


def test_describe_executions_filters_and_pages(runbook):
    sleeper = runbook.add(SLEEP, name="Sleeper-A")
    other = runbook.add(SLEEP, name="Other-B")
    ids = [runbook.start(sleeper) for _ in range(3)] + [runbook.start(other)]
    for execution_id in ids:
        runbook.service.wait_until_finished(execution_id)
    describe = runbook.service.describe_automation_executions

    by_prefix = describe({"Filters": [{"Key": "DocumentNamePrefix", "Values": ["Sleep"]}]})
    by_id = describe({"Filters": [{"Key": "ExecutionId", "Values": [ids[3]]}, {"Key": "ExecutionStatus",
                                                                                 "Values": ["Success"]}]})  # fmt: skip
    first_page = describe({"MaxResults": 3})
    second_page = describe({"MaxResults": 3, "NextToken": first_page["NextToken"]})

    assert {item["AutomationExecutionId"] for item in by_prefix["AutomationExecutionMetadataList"]} == set(ids[:3])
    assert [item["DocumentName"] for item in by_id["AutomationExecutionMetadataList"]] == ["Other-B"]
    assert by_id["AutomationExecutionMetadataList"][0]["AutomationType"] == "Local"
    assert len(first_page["AutomationExecutionMetadataList"]) == 3
    assert len(second_page["AutomationExecutionMetadataList"]) == 1
    assert "NextToken" not in second_page
    assert _error(describe, {"Filters": [{"Key": "Colour", "Values": ["x"]}]}).code == "InvalidFilterKey"
    assert _error(describe, {"NextToken": "garbage!"}).code == "InvalidNextToken"
    assert _error(describe, {"Filters": [{"Key": "StartTimeAfter", "Values": ["yesterday"]}]}).code == (
        "InvalidFilterValue"
    )


def test_describe_step_executions_filters_reverses_and_pages(runbook):
    execution_id = runbook.start(
        runbook.add(
            """
            schemaVersion: '0.3'
            mainSteps:
              - {name: one, action: aws:sleep, inputs: {Duration: PT1S}}
              - {name: two, action: aws:sleep, inputs: {Duration: PT1S}}
              - {name: three, action: aws:sleep, inputs: {Duration: PT1S}}
            """
        )
    )
    runbook.service.wait_until_finished(execution_id)
    describe = runbook.service.describe_automation_step_executions

    def names(response):
        return [step["StepName"] for step in response["StepExecutions"]]

    assert names(describe({"AutomationExecutionId": execution_id, "ReverseOrder": True})) == ["three", "two", "one"]
    filters = [{"Key": "StepName", "Values": ["two"]}, {"Key": "StepExecutionStatus", "Values": ["Success"]}]
    assert names(describe({"AutomationExecutionId": execution_id, "Filters": filters})) == ["two"]
    first = describe({"AutomationExecutionId": execution_id, "MaxResults": 2})
    rest = describe({"AutomationExecutionId": execution_id, "MaxResults": 2, "NextToken": first["NextToken"]})
    assert names(first) + names(rest) == ["one", "two", "three"]


def test_a_finished_execution_can_be_neither_stopped_nor_signalled(runbook):
    execution_id = runbook.start(runbook.add(SLEEP))
    runbook.service.wait_until_finished(execution_id)

    stop = _error(runbook.service.stop_automation_execution, {"AutomationExecutionId": execution_id})
    signal = _error(
        runbook.service.send_automation_signal, {"AutomationExecutionId": execution_id, "SignalType": "Resume"}
    )

    assert stop.code == "InvalidAutomationStatusUpdateException"
    assert signal.code == "InvalidAutomationSignalException"


def test_step_signals_name_existing_steps_and_need_interactive_mode(make_runbook):
    runbook = make_runbook(clock=ScaledClock(speed=FAST))
    execution_id = runbook.start(runbook.add("schemaVersion: '0.3'\nmainSteps:\n  - {name: hold, action: aws:pause}\n"))
    wait_for_status(runbook, execution_id, "Waiting")
    send = runbook.service.send_automation_signal

    unknown = _error(send, {"AutomationExecutionId": execution_id, "SignalType": "StartStep",
                            "Payload": {"StepName": ["nope"]}})  # fmt: skip
    auto_mode = _error(send, {"AutomationExecutionId": execution_id, "SignalType": "StopStep",
                              "Payload": {"StepName": ["hold"]}})  # fmt: skip

    assert unknown.code == "AutomationStepNotFoundException"
    assert auto_mode.code == "InvalidAutomationSignalException"
    runbook.service.stop_automation_execution({"AutomationExecutionId": execution_id})
    assert runbook.service.wait_until_finished(execution_id)["AutomationExecutionStatus"] == "Cancelled"


PER_INSTANCE = """
    schemaVersion: '0.3'
    parameters:
      InstanceId: {type: String}
      Note: {type: String, default: none}
    mainSteps:
      - name: describe
        action: aws:executeAwsApi
        inputs: {Service: ec2, Api: DescribeInstances, InstanceIds: ['{{ InstanceId }}']}
    """


def test_tag_targets_run_one_child_per_live_instance(runbook, ec2):
    team = f"team-{uuid.uuid4().hex[:8]}"
    live = [launch_instance(ec2, tags={"Team": team}) for _ in range(2)]
    gone = launch_instance(ec2, tags={"Team": team})
    ec2.terminate_instances(InstanceIds=[gone])
    name = runbook.add(PER_INSTANCE)

    parent, children = runbook.run_targeted(
        {
            "DocumentName": name,
            "Targets": [{"Key": "tag:Team", "Values": [team]}],
            "TargetParameterName": "InstanceId",
            "Parameters": {"Note": ["rolling"]},
            "MaxConcurrency": "50%",
            "MaxErrors": "0",
        }
    )

    assert parent["AutomationExecutionStatus"] == "Success"
    assert sorted(parent["ResolvedTargets"]["ParameterValues"]) == sorted(live)
    assert parent["TargetParameterName"] == "InstanceId"
    assert parent["MaxConcurrency"] == "50%" and parent["MaxErrors"] == "0"
    assert parent["ProgressCounters"]["SuccessSteps"] == 2
    assert sorted(child["Target"] for child in children) == sorted(live)
    assert {child["ParentAutomationExecutionId"] for child in children} == {parent["AutomationExecutionId"]}
    child = runbook.get(children[0]["AutomationExecutionId"])
    assert child["Parameters"]["Note"] == ["rolling"]
    assert child["Parameters"]["InstanceId"] == [child["Target"]]


def test_with_max_concurrency_1_and_max_errors_0_the_first_failure_stops_new_children(runbook, instance_id):
    name = runbook.add(PER_INSTANCE)

    parent, children = runbook.run_targeted(
        {
            "DocumentName": name,
            "Targets": [{"Key": "ParameterValues", "Values": [instance_id, "i-0000000000000dead", instance_id]}],
            "TargetParameterName": "InstanceId",
            "MaxConcurrency": "1",
            "MaxErrors": "0",
        }
    )

    assert parent["AutomationExecutionStatus"] == "Failed"
    assert sorted(child["AutomationExecutionStatus"] for child in children) == ["Failed", "Success"]
    assert "1 not started" in parent["FailureMessage"]
    first, second = sorted(children, key=lambda child: child["ExecutionStartTime"])
    assert first["ExecutionEndTime"] <= second["ExecutionStartTime"]


@pytest.mark.parametrize(
    ("targets", "target_parameter", "code"),
    [
        ([{"Key": "tag:Team", "Values": ["nobody-has-this-tag"]}], "InstanceId", "InvalidTarget"),
        ([{"Key": "ResourceGroup", "Values": ["web"]}], "InstanceId", "InvalidTarget"),
        (
            [{"Key": "ParameterValues", "Values": ["i-1"]}],
            "instanceId",
            "InvalidAutomationExecutionParametersException",
        ),
    ],
)
def test_bad_targets_are_refused(runbook, targets, target_parameter, code):
    request = {"DocumentName": runbook.add(PER_INSTANCE), "Targets": targets, "TargetParameterName": target_parameter}

    assert _error(runbook.service.start_automation_execution, request).code == code


def test_describe_filters_by_start_time_tag_and_current_action(make_runbook):
    runbook = make_runbook(clock=ScaledClock(speed=FAST))
    name = runbook.add("schemaVersion: '0.3'\nmainSteps:\n  - {name: hold, action: aws:pause}\n")
    tagged = runbook.service.start_automation_execution(
        {"DocumentName": name, "Tags": [{"Key": "ticket", "Value": "OPS-1"}]}
    )["AutomationExecutionId"]
    started = wait_for_status(runbook, tagged, "Waiting")["ExecutionStartTime"]
    describe = runbook.service.describe_automation_executions

    def ids(*filters):
        return [item["AutomationExecutionId"] for item in describe({"Filters": list(filters)})[
            "AutomationExecutionMetadataList"]]  # fmt: skip

    assert ids({"Key": "TagKey", "Values": ["ticket"]}) == [tagged]
    assert ids({"Key": "TagKey", "Values": ["other"]}) == []
    assert ids({"Key": "CurrentAction", "Values": ["aws:pause"]}) == [tagged]
    assert ids({"Key": "StartTimeAfter", "Values": [str(started - 1)]}) == [tagged]
    assert ids({"Key": "StartTimeBefore", "Values": ["2001-01-01T00:00:00Z"]}) == []
    assert ids({"Key": "AutomationType", "Values": ["Local"]}) == [tagged]
    runbook.service.stop_automation_execution({"AutomationExecutionId": tagged})


def test_instance_targets_and_parameter_store_defaults(runbook, client_factory, instance_id):
    client_factory("ssm").put_parameter(Name="/runbook/note", Value="from-parameter-store", Type="String")
    name = runbook.add(PER_INSTANCE.replace("default: none", "default: '{{ssm:/runbook/note}}'"))

    parent, (child,) = runbook.run_targeted(
        {
            "DocumentName": name,
            "Targets": [{"Key": "AWS::EC2::Instance", "Values": [instance_id]}],
            "TargetParameterName": "InstanceId",
        }
    )

    assert parent["AutomationExecutionStatus"] == "Success"
    assert parent["ResolvedTargets"] == {"ParameterValues": [instance_id], "Truncated": False}
    assert runbook.get(child["AutomationExecutionId"])["Parameters"]["Note"] == ["from-parameter-store"]
