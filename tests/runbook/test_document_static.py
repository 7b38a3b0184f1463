"""The runbook read as a document, without running it: AWS API shapes, failure routes, timeouts, patterns, scripts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator

from emulator.automation.document import validate_document
from tests.runbook.harness import REPO_ROOT, document_text

DOCUMENT: dict[str, Any] = yaml.safe_load(document_text())
STEPS: dict[str, dict[str, Any]] = {step["name"]: step for step in DOCUMENT["mainSteps"]}
PARAMETERS: dict[str, dict[str, Any]] = DOCUMENT["parameters"]
VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_:./-]+)\s*\}\}")
API_ACTIONS = ("aws:executeAwsApi", "aws:waitForAwsResourceProperty", "aws:assertAwsResourceProperty")
NON_API_INPUTS = {"Service", "Api", "PropertySelector", "DesiredValues"}
WAITING_ACTIONS = ("aws:waitForAwsResourceProperty", "aws:sleep", "aws:approve", "aws:changeInstanceState", "aws:pause")
# Steps after the notification went out: they only record the outputs, so their failure must not notify again.
BOOKKEEPING_STEPS = ("collectFinalResults", "recordOutcome", "endWithoutOutputs")
LONGEST_INSTANCE_ID = "i-" + "f" * 17
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:ec2-remediation"
# A value of the right type for every variable the document uses, for checking inputs against botocore's model.
SAMPLE_VALUES: dict[str, Any] = {
    "InstanceId": "i-0123456789abcdef0",
    "TopicArn": TOPIC_ARN,
    "AutomationAssumeRole": "",
    "Reason": "slow /api/data",
    "AlertId": "0000000000ABCDEF",
    "DryRun": False,
    "Action": "auto",
    "RequireApproval": False,
    "Approvers": ["oncall-lead"],
    "automation:EXECUTION_ID": "0b5c3b2e-1111-2222-3333-444455556666",
    "global:REGION": "us-east-1",
    "global:ACCOUNT_ID": "123456789012",
    "global:DATE_TIME": "2026-11-27_10.15.00",
    "global:DATE": "2026-11-27",
}
SAMPLE_BY_OUTPUT_TYPE: dict[str, Any] = {
    "String": "text",
    "StringList": ["text"],
    "MapList": [{"key": "value"}],
    "Integer": 1,
    "Boolean": True,
}


def sample_value(name: str) -> Any:
    if name in SAMPLE_VALUES:
        return SAMPLE_VALUES[name]
    step_name, _, output_name = name.partition(".")
    declared = {output["Name"]: output["Type"] for output in STEPS[step_name].get("outputs", [])}
    return SAMPLE_BY_OUTPUT_TYPE[declared[output_name]]


def with_samples(value: Any) -> Any:
    """`value` with every {{ variable }} replaced by a sample of its type (a whole-string variable keeps its type)."""
    if isinstance(value, dict):
        return {key: with_samples(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_samples(item) for item in value]
    if not isinstance(value, str):
        return value
    whole = VARIABLE.fullmatch(value.strip())
    if whole:
        return sample_value(whole.group(1))
    return VARIABLE.sub(lambda match: str(sample_value(match.group(1))), value)


def script_of(step_name: str) -> dict[str, Any]:
    """The names an aws:executeScript step's Script defines, as the runtime would load them."""
    namespace: dict[str, Any] = {"__name__": "automation_script"}
    exec(compile(STEPS[step_name]["inputs"]["Script"], step_name, "exec"), namespace)  # noqa: S102 - our own runbook
    return namespace


def routes_after_success(step: dict[str, Any]) -> list[str]:
    """Steps a successful `step` can move to: branch choices and default, nextStep, or the next step in order."""
    if step.get("isEnd"):
        return []
    if step["action"] == "aws:branch":
        choices = [choice["NextStep"] for choice in step["inputs"]["Choices"]]
        return [*choices, step["inputs"]["Default"]] if "Default" in step["inputs"] else choices
    if "nextStep" in step:
        return [step["nextStep"]]
    names = list(STEPS)
    index = names.index(step["name"])
    return [names[index + 1]] if index + 1 < len(names) else []


def publishes_on_every_success_path(start: str, seen: frozenset[str] = frozenset()) -> bool:
    step = STEPS[start]
    if step["inputs"].get("Service") == "sns" and step["inputs"].get("Api") == "Publish":
        return True
    following = routes_after_success(step)
    return bool(following) and all(
        name not in seen and publishes_on_every_success_path(name, seen | {start}) for name in following
    )


def test_document_is_schema_0_3_and_acts_as_the_assume_role() -> None:
    assert DOCUMENT["schemaVersion"] == "0.3"
    assert DOCUMENT["assumeRole"] == "{{ AutomationAssumeRole }}"
    assert DOCUMENT["description"].startswith("# ")


def test_the_twin_validator_accepts_the_document() -> None:
    parsed = validate_document(document_text(), "YAML")
    assert [step.name for step in parsed.steps] == list(STEPS)


def test_every_parameter_explains_itself_to_on_call() -> None:
    for name, definition in PARAMETERS.items():
        assert len(definition.get("description", "")) >= 40, f"{name} needs a description a person understands"


@pytest.mark.parametrize("step_name", [name for name, step in STEPS.items() if step["action"] in API_ACTIONS])
def test_aws_api_step_inputs_match_the_botocore_model(step_name: str) -> None:
    inputs = STEPS[step_name]["inputs"]
    service_model = botocore.session.get_session().get_service_model(inputs["Service"])
    assert inputs["Api"] in service_model.operation_names
    operation = service_model.operation_model(inputs["Api"])
    parameters = with_samples({key: value for key, value in inputs.items() if key not in NON_API_INPUTS})
    report = ParamValidator().validate(parameters, operation.input_shape)
    assert not report.has_errors(), report.generate_report()


def test_every_step_that_can_fail_leads_to_a_notification() -> None:
    for name, step in STEPS.items():
        if name in BOOKKEEPING_STEPS:
            continue
        on_failure = step.get("onFailure", "Abort")
        assert on_failure.startswith("step:"), f"{name} has onFailure {on_failure}"
        target = on_failure.removeprefix("step:")
        is_publish = step["inputs"].get("Api") == "Publish"
        # A failed publish may only try the fallback publishers, which then end the run.
        assert is_publish or publishes_on_every_success_path(target), f"{name} fails to {target}, which never notifies"
        assert step.get("isCritical", True) is True, f"{name} must fail the execution when it fails"


def test_cancelling_before_the_notification_still_notifies() -> None:
    names = list(STEPS)
    for name in names[: names.index("collectStepResults")]:
        assert STEPS[name].get("onCancel") == "step:collectStepResults", name


def test_failed_notification_publish_tries_exactly_one_other_publisher() -> None:
    assert STEPS["publishNotification"]["onFailure"] == "step:readPublishError"
    assert publishes_on_every_success_path("readPublishError")
    for fallback in ("publishFailureNotification", "publishLastResortNotification"):
        assert STEPS[fallback]["onFailure"] == "step:collectFinalResults"


def test_bookkeeping_after_the_notification_cannot_change_the_verdict() -> None:
    names = list(STEPS)
    last_publish = max(index for index, name in enumerate(names) if STEPS[name]["inputs"].get("Api") == "Publish")
    for name in BOOKKEEPING_STEPS:
        assert names.index(name) > last_publish
        assert STEPS[name]["isCritical"] is False
        on_failure = STEPS[name]["onFailure"]
        assert on_failure == "Continue" or on_failure.removeprefix("step:") in BOOKKEEPING_STEPS, name
    # A failed collectFinalResults ends the run without recordOutcome, which would have nothing to read.
    assert STEPS["collectFinalResults"]["onFailure"] == "step:endWithoutOutputs"
    assert STEPS["recordOutcome"]["isEnd"] is True and STEPS["endWithoutOutputs"]["isEnd"] is True


def test_document_outputs_come_from_the_step_that_runs_on_every_path() -> None:
    assert DOCUMENT["outputs"] == [
        "recordOutcome.PreviousState",
        "recordOutcome.ActionTaken",
        "recordOutcome.Outcome",
        "recordOutcome.NotificationMessageId",
    ]
    assert STEPS["recordOutcome"]["isEnd"] is True


def routes_after_failure(step: dict[str, Any]) -> list[str]:
    """Steps a failed or cancelled `step` can move to: onFailure and onCancel targets, or the next step (Continue)."""
    routes = [
        route.removeprefix("step:")
        for route in (step.get("onFailure", "Abort"), step.get("onCancel", "Abort"))
        if route.startswith("step:")
    ]
    if step.get("onFailure") == "Continue" and not step.get("isEnd"):
        names = list(STEPS)
        index = names.index(step["name"])
        following = step.get("nextStep") or (names[index + 1] if index + 1 < len(names) else None)
        routes += [following] if following else []
    return routes


def steps_that_succeeded_before() -> dict[str, set[str]]:
    """For each step, the steps that have succeeded on *every* route from the first step to it (a must-analysis).

    A step reached by a success route adds its source to what its successors may rely on; a failure or cancel route
    does not: the step it leaves has no outputs.
    """
    names = list(STEPS)
    incoming: dict[str, list[tuple[str, bool]]] = {name: [] for name in names}
    for name, step in STEPS.items():
        incoming_routes = [(target, True) for target in routes_after_success(step)]
        incoming_routes += [(target, False) for target in routes_after_failure(step)]
        for target, succeeded in incoming_routes:
            incoming[target].append((name, succeeded))
    before = {name: set(names) for name in names}
    before[names[0]] = set()
    changed = True
    while changed:
        changed = False
        for name in names[1:]:
            sets = [before[source] | ({source} if succeeded else set()) for source, succeeded in incoming[name]]
            after = set.intersection(*sets) if sets else set()
            if after != before[name]:
                before[name], changed = after, True
    return before


def read_outputs(step: dict[str, Any]) -> set[str]:
    """The `step.Output` variables a step's inputs read."""
    text = json.dumps(step["inputs"])
    return {name for name in VARIABLE.findall(text) if "." in name and ":" not in name}


def test_no_step_reads_an_output_of_a_step_that_may_not_have_run() -> None:
    """Ledger: "Reading an output of a step that did not run fails the step".

    Whatever SSM does with `{{ step.Output }}` of a step that was skipped, not reached or failed (the twin fails
    the reader), the runbook never finds out: each output a step reads comes from a step that succeeded on every
    route to it.
    """
    before = steps_that_succeeded_before()
    unsafe = {
        name: sorted(ref for ref in read_outputs(step) if ref.partition(".")[0] not in before[name])
        for name, step in STEPS.items()
    }
    assert {name: refs for name, refs in unsafe.items() if refs} == {}


def test_outputs_that_other_steps_read_always_have_a_value() -> None:
    """Ledger: "Reading an output of a step that did not run fails the step".

    An output another step reads is selected so that a step that succeeded always has it: a script's own payload key
    (each script returns all of its keys) or a top-level list or field the API always returns, never a path into a
    list that may be empty or a field that may be absent.
    """
    declared = {
        f"{name}.{output['Name']}": output["Selector"]
        for name, step in STEPS.items()
        for output in step.get("outputs", [])
    }
    read = {ref for step in STEPS.values() for ref in read_outputs(step)}
    always_there = re.compile(r"^\$\.(Payload\.)?[A-Za-z]+$")
    assert sorted(ref for ref in read if not always_there.match(declared[ref])) == []
    for ref in read:
        step_name, _, output_name = ref.partition(".")
        if STEPS[step_name]["action"] == "aws:executeScript":
            assert f'"{output_name}"' in STEPS[step_name]["inputs"]["Script"], ref


def test_every_status_check_read_lists_the_instance_whatever_its_state() -> None:
    """Ledger: "DescribeInstanceStatus lists running instances only".

    Without IncludeAllInstances, a started instance still pending is absent, and the health wait's selector would
    match nothing.
    """
    reads = [name for name, step in STEPS.items() if step["inputs"].get("Api") == "DescribeInstanceStatus"]
    assert reads == [
        "waitInstanceStatusOk",
        "waitSystemStatusOk",
        "confirmInstanceStatusOk",
        "confirmSystemStatusOk",
    ]
    assert [name for name in reads if STEPS[name]["inputs"].get("IncludeAllInstances") is not True] == []


def seconds_slept_on_the_way(start: str, stop: str) -> int:
    """Seconds of aws:sleep on the success route from `start` (exclusive) to `stop`; the route must be a single line."""
    slept, name = 0, start
    while name != stop:
        (name,) = routes_after_success(STEPS[name])
        if STEPS[name]["action"] == "aws:sleep":
            slept += int(re.fullmatch(r"PT(\d+)S", STEPS[name]["inputs"]["Duration"]).group(1))
    return slept


CHECK_CYCLE_SECONDS = 60


@pytest.mark.parametrize("change_step", ["rebootInstance", "startInstance"])
def test_status_checks_are_read_only_after_a_full_check_cycle_and_confirmed_one_cycle_later(change_step: str) -> None:
    """Ledger: "Status checks do not move on a reboot".

    EC2 runs the checks every minute and a reboot need not move them, so an ok read right after the request proves
    nothing. The first read comes more than one cycle after the request; the confirming reads one more cycle later.
    """
    first_read = next(name for name in STEPS if STEPS[name]["inputs"].get("Api") == "DescribeInstanceStatus")
    assert seconds_slept_on_the_way(change_step, first_read) > CHECK_CYCLE_SECONDS
    assert seconds_slept_on_the_way("waitSystemStatusOk", "confirmInstanceStatusOk") >= CHECK_CYCLE_SECONDS
    assert (
        STEPS["confirmInstanceStatusOk"]["action"]
        == STEPS["confirmSystemStatusOk"]["action"]
        == ("aws:assertAwsResourceProperty")
    )
    assert routes_after_success(STEPS["confirmSystemStatusOk"]) == ["collectStepResults"]


@pytest.mark.parametrize("step_name", [name for name, step in STEPS.items() if step["action"] in WAITING_ACTIONS])
def test_every_waiting_step_has_an_explicit_timeout(step_name: str) -> None:
    timeout = STEPS[step_name].get("timeoutSeconds")
    assert isinstance(timeout, int), f"{step_name} would wait AWS's default (3600 s or 7 days)"
    assert 0 < timeout <= 3600


def test_every_script_has_an_explicit_timeout_and_a_supported_runtime() -> None:
    scripts = [step for step in STEPS.values() if step["action"] == "aws:executeScript"]
    assert scripts
    for step in scripts:
        assert step["inputs"]["Runtime"] == "python3.11"
        assert 0 < step["timeoutSeconds"] <= 600


GOOD_AND_BAD_VALUES = {
    "InstanceId": (
        ["i-0123abcd", "i-0123456789abcdef0", LONGEST_INSTANCE_ID],
        ["", "i-0123", "i-0123456789", "i-0123456789abcdef", "i-0123456789ABCDEF0", "i-0123456789abcdef01x",
         "mi-0123456789abcdef0", "i-0123abcd\n"],
    ),
    "TopicArn": (
        [TOPIC_ARN, "arn:aws-cn:sns:cn-north-1:123456789012:Ops_Alerts-1"],
        ["", "ec2-remediation", "arn:aws:sqs:us-east-1:123456789012:q", "arn:aws:sns:us-east-1:12345:t",
         "arn:aws:sns:us-east-1:123456789012:t.fifo"],
    ),
    "AutomationAssumeRole": (
        ["", "arn:aws:iam::123456789012:role/Remediation", "arn:aws:iam::123456789012:role/path/to/Role+x"],
        ["Remediation", "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123:role/x"],
    ),
    "AlertId": (
        ["", "0000000000ABCDEF", "sumo:alert/42", "a" * 128],
        ["a" * 129, 'quote"inside', "back\\slash", "new\nline", "with space"],
    ),
    "Approvers": (
        ["NoApproverConfigured", "alice", "arn:aws:iam::123456789012:role/OnCallLead",
         "arn:aws:sts::123456789012:assumed-role/OnCall/alice"],
        ["", "alice smith", "arn:aws:iam::123456789012:group/ops"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("parameter", sorted(GOOD_AND_BAD_VALUES))
def test_parameter_pattern_accepts_good_values_and_rejects_bad_ones(parameter: str) -> None:
    pattern = PARAMETERS[parameter]["allowedPattern"]
    # Anchored at both ends, so Java's full match (the API) and Go's search (the agent) agree. fullmatch stands in
    # for Java: Python's search would let "$" match before a trailing newline.
    assert pattern.startswith("^") and pattern.endswith("$")
    compiled = re.compile(pattern)
    good, bad = GOOD_AND_BAD_VALUES[parameter]
    assert [value for value in good if not compiled.fullmatch(value)] == []
    assert [value for value in bad if compiled.fullmatch(value)] == []


def test_what_the_webhook_lambda_sends_fits_the_parameters() -> None:
    # The Lambda sends AlertId "<monitor id>:<trigger start, epoch ms>" and a Reason cut at 512 characters.
    assert re.fullmatch(PARAMETERS["AlertId"]["allowedPattern"], "00000000000468D5:1764237600000")
    assert PARAMETERS["Reason"]["maxChars"] >= 512


def test_defaults_fit_their_own_patterns_and_values() -> None:
    for name, definition in PARAMETERS.items():
        if "default" not in definition:
            continue
        default = definition["default"]
        if "allowedPattern" in definition:
            items = default if isinstance(default, list) else [default]
            assert all(re.search(definition["allowedPattern"], item) for item in items), name
        if "allowedValues" in definition:
            assert default in definition["allowedValues"], name


def test_only_instance_and_topic_are_required() -> None:
    assert sorted(name for name, definition in PARAMETERS.items() if "default" not in definition) == [
        "InstanceId",
        "TopicArn",
    ]
    assert PARAMETERS["Action"]["allowedValues"] == ["auto", "reboot", "start"]
    assert PARAMETERS["DryRun"]["default"] is False
    assert PARAMETERS["RequireApproval"]["default"] is False


# ---- the scripts, run as the executeScript runtime would -------------------------------------------------------

DECIDE_EVENTS = {
    "InstanceId": "i-0123456789abcdef0",
    "Action": "auto",
    "DryRun": False,
    "RequireApproval": False,
    "Approvers": ["NoApproverConfigured"],
}


def reservations(state: str | None) -> list[dict[str, Any]]:
    return [] if state is None else [{"Instances": [{"InstanceId": "i-0123456789abcdef0", "State": {"Name": state}}]}]


@pytest.mark.parametrize(
    ("state", "action", "decision"),
    [
        ("running", "auto", "reboot"),
        ("stopped", "auto", "start"),
        ("running", "reboot", "reboot"),
        ("stopped", "start", "start"),
        ("running", "start", "skip"),
        ("stopped", "reboot", "skip"),
        ("terminated", "auto", "skip"),
        ("shutting-down", "auto", "skip"),
        (None, "auto", "skip"),
    ],
)
def test_decision_for_each_state_and_action(state: str | None, action: str, decision: str) -> None:
    decide = script_of("decide")["decide"]
    result = decide({**DECIDE_EVENTS, "Action": action, "PreviousState": state or "not_found",
                     "Reservations": reservations(state)}, {})  # fmt: skip
    assert result["Decision"] == decision
    assert result["CurrentState"] == (state or "not_found")
    assert result["Detail"]


def test_dry_run_decides_without_planning_a_change() -> None:
    decide = script_of("decide")["decide"]
    result = decide({**DECIDE_EVENTS, "DryRun": "true", "PreviousState": "stopped",
                     "Reservations": reservations("stopped")}, {})  # fmt: skip
    assert (result["Decision"], result["PlannedAction"]) == ("dry_run", "start")


def test_approval_with_the_placeholder_approver_fails_before_any_change() -> None:
    decide = script_of("decide")["decide"]
    with pytest.raises(ValueError, match="Approvers"):
        decide({**DECIDE_EVENTS, "RequireApproval": True, "PreviousState": "running",
                "Reservations": reservations("running")}, {})  # fmt: skip


def test_classify_waits_only_for_pending_and_stopping() -> None:
    classify = script_of("classifyInstance")["classify"]
    phases = {state: classify({"Reservations": reservations(state)}, {})["Phase"] for state in
              ("pending", "stopping", "running", "stopped", "terminated")}  # fmt: skip
    assert phases == {"pending": "settling", "stopping": "settling", "running": "settled", "stopped": "settled",
                      "terminated": "settled"}  # fmt: skip
    assert classify({"Reservations": []}, {}) == {"PreviousState": "not_found", "Phase": "settled"}


def step_record(name: str, status: str = "Success", failure: str | None = None, **outputs: str) -> dict[str, Any]:
    record: dict[str, Any] = {"StepName": name, "StepStatus": status, "Outputs": {k: [v] for k, v in outputs.items()}}
    if failure:
        record["FailureMessage"] = failure
    return record


BUILD_EVENTS = {
    "InstanceId": LONGEST_INSTANCE_ID,
    "Reason": 'slow "/api/data"\n\t p99 > 3 s \\ ' + "x" * 480,
    "AlertId": "",
    "Action": "auto",
    "DryRun": False,
    "ExecutionId": "0b5c3b2e-1111-2222-3333-444455556666",
    "Region": "us-east-1",
    "AccountId": "123456789012",
    "DateTime": "2026-11-27_10.15.00",
}


def test_failure_message_is_valid_json_naming_the_failed_step_and_error() -> None:
    build = script_of("buildNotification")["build"]
    steps = [
        step_record("classifyInstance", PreviousState="running"),
        step_record("decide", Decision="reboot", PlannedAction="reboot", CurrentState="running", Detail="It ran."),
        step_record("rebootInstance", "Failed", 'An error occurred (UnauthorizedOperation): "no"\nTraceback: ...'),
        step_record("collectStepResults", "InProgress"),
    ]
    result = build({**BUILD_EVENTS, "Steps": steps}, {})
    message = json.loads(result["Message"])
    assert message["outcome"] == "failed" == result["Outcome"]
    assert message["action_taken"] == "none"
    assert message["failed_step"] == "rebootInstance"
    # The script's traceback is left in the execution; the notification keeps the error line.
    assert message["error"] == 'An error occurred (UnauthorizedOperation): "no"'
    assert message["reason"] == BUILD_EVENTS["Reason"]
    assert message["alert_id"] is None
    assert message["timestamp_utc"] == "2026-11-27T10:15:00Z"
    assert json.loads(result["PublishFailureMessage"])["failed_step"] == "publishNotification"


REQUESTED = datetime(2026, 11, 27, 10, 15, 0, tzinfo=UTC)
CHECKS_OK = REQUESTED + timedelta(seconds=95.4)
CONFIRMED = CHECKS_OK + timedelta(seconds=61)


def timed(record: dict[str, Any], moment: datetime, as_epoch: bool) -> dict[str, Any]:
    """A step record with its ExecutionEndTime, as epoch seconds or as the ISO text the twin's executeAwsApi gives."""
    return {**record, "ExecutionEndTime": moment.timestamp() if as_epoch else moment.isoformat()}


def changed_steps(change_step: str, decision: str, *, as_epoch: bool = False, confirmed: bool = True) -> list[dict]:
    """The step records of a run that changed the instance and got as far as its health checks."""
    current = "running" if decision == "reboot" else "stopped"
    steps = [
        step_record("classifyInstance", PreviousState=current),
        step_record("decide", Decision=decision, PlannedAction=decision, CurrentState=current,
                    Detail=f"The instance was {current}."),
        timed(step_record(change_step), REQUESTED, as_epoch),
        step_record("waitOneCheckCycle"),
        step_record("waitInstanceStatusOk"),
        timed(step_record("waitSystemStatusOk"), CHECKS_OK, as_epoch),
        step_record("waitAnotherCheckCycle"),
    ]  # fmt: skip
    if confirmed:
        steps += [
            step_record("confirmInstanceStatusOk"),
            timed(step_record("confirmSystemStatusOk"), CONFIRMED, as_epoch),
        ]
    else:
        steps.append(
            step_record("confirmInstanceStatusOk", "Failed", "Property ... is 'impaired'; expected one of ['ok']")
        )
    return [*steps, step_record("collectStepResults", "InProgress")]


@pytest.mark.parametrize("as_epoch", [False, True])
@pytest.mark.parametrize(
    ("change_step", "decision", "action_taken"),
    [("rebootInstance", "reboot", "rebooted"), ("startInstance", "start", "started")],
)
def test_a_success_says_exactly_what_was_verified_and_when(
    change_step: str, decision: str, action_taken: str, as_epoch: bool
) -> None:
    """Ledger: "Status checks do not move on a reboot": ok checks are reported as such, with their times, never as a
    healthy instance or a fixed API."""
    build = script_of("buildNotification")["build"]
    result = build({**BUILD_EVENTS, "Steps": changed_steps(change_step, decision, as_epoch=as_epoch)}, {})
    message = json.loads(result["Message"])

    assert (message["outcome"], message["action_taken"]) == ("success", action_taken)
    assert message["verified"] == "status_checks_ok"
    assert message["change_requested_at"] == "2026-11-27T10:15:00Z"
    assert message["status_checks_ok_at"] == "2026-11-27T10:16:35Z"
    assert message["seconds_to_status_checks_ok"] == 95
    assert message["status_checks_confirmed_at"] == "2026-11-27T10:17:36Z"
    detail = message["detail"]
    assert f"asked EC2 to {decision} it at 2026-11-27T10:15:00Z" in detail
    assert "ok at 2026-11-27T10:16:35Z, 95 s later" in detail and "still ok at 2026-11-27T10:17:36Z" in detail
    assert "not that the cause of the alert is gone" in detail
    assert "healthy" not in detail.lower() and "fixed" not in detail.lower()


def test_a_start_must_leave_pending_running_before_any_status_check_is_waited_for() -> None:
    """Ledger: "A start with volumes on a customer-managed KMS key needs kms:CreateGrant".

    EC2 accepts a start it cannot complete, and the instance goes back to stopped: the run finds out as soon as the
    instance has left pending, and reads EC2's reason, instead of waiting out the status-check waits. The reboot
    route is unchanged.
    """
    # A read right after StartInstances may still say stopped (EC2 is eventually consistent): a pause first.
    assert routes_after_success(STEPS["startInstance"]) == ["letTheStartRegister"]
    assert STEPS["letTheStartRegister"]["action"] == "aws:sleep"
    assert routes_after_success(STEPS["letTheStartRegister"]) == ["waitUntilStartSettles"]
    assert {"running", "stopped"} <= set(STEPS["waitUntilStartSettles"]["inputs"]["DesiredValues"])
    assert routes_after_success(STEPS["waitUntilStartSettles"]) == ["assertStarted"]
    assert STEPS["assertStarted"]["action"] == "aws:assertAwsResourceProperty"
    assert STEPS["assertStarted"]["inputs"]["DesiredValues"] == ["running"]
    assert routes_after_success(STEPS["assertStarted"]) == ["waitOneCheckCycle"]
    assert STEPS["assertStarted"]["onFailure"] == "step:readStartFailure"
    assert routes_after_success(STEPS["readStartFailure"]) == ["collectStepResults"]
    assert routes_after_success(STEPS["rebootInstance"]) == ["waitOneCheckCycle"]


LAUNCH_ERROR = {"code": "Client.InternalError", "message": "Client.InternalError: Client error on launch"}


def start_that_went_back_to_stopped(read_reason: bool) -> list[dict[str, Any]]:
    """The step records of a run whose start EC2 accepted and whose instance then went back to stopped."""
    if read_reason:
        reason = {
            "State": "stopped",
            "StateReasonCode": LAUNCH_ERROR["code"],
            "StateReasonMessage": LAUNCH_ERROR["message"],
        }
        reason_read = step_record("readStartFailure", **reason)
    else:
        reason_read = step_record("readStartFailure", "Failed", "Throttling")
    return [
        step_record("classifyInstance", PreviousState="stopped"),
        step_record("decide", Decision="start", PlannedAction="start", CurrentState="stopped",
                    Detail="The instance was stopped."),
        timed(step_record("startInstance"), REQUESTED, as_epoch=False),
        step_record("waitUntilStartSettles"),
        step_record("assertStarted", "Failed", "Property $...State.Name is 'stopped'; expected one of ['running']"),
        reason_read,
        step_record("collectStepResults", "InProgress"),
    ]  # fmt: skip


def test_a_start_that_went_back_to_stopped_fails_with_ec2s_state_reason() -> None:
    """Ledger: "A start with volumes on a customer-managed KMS key needs kms:CreateGrant"."""
    build = script_of("buildNotification")["build"]
    result = build({**BUILD_EVENTS, "Steps": start_that_went_back_to_stopped(read_reason=True)}, {})
    message = json.loads(result["Message"])

    assert (message["outcome"], message["action_taken"], message["verified"]) == ("failed", "started", "none")
    assert message["failed_step"] == "assertStarted"
    assert message["state_reason"] == LAUNCH_ERROR
    assert (
        message["error"] == f"EC2 accepted the start, but the instance went back to stopped: {LAUNCH_ERROR['message']}"
    )
    assert (
        "asked EC2 to start it at 2026-11-27T10:15:00Z; EC2 accepted, but the instance went back to stopped "
        f"({LAUNCH_ERROR['message']})" in message["detail"]
    )
    assert "kms:CreateGrant" in message["detail"]
    assert result["Subject"].startswith("[remediation] FAILED start ")


def test_a_start_whose_state_reason_could_not_be_read_still_names_the_failed_step() -> None:
    build = script_of("buildNotification")["build"]
    message = json.loads(
        build({**BUILD_EVENTS, "Steps": start_that_went_back_to_stopped(read_reason=False)}, {})["Message"]
    )

    assert (message["outcome"], message["failed_step"], message["state_reason"]) == ("failed", "assertStarted", None)
    assert "is 'stopped'" in message["error"]
    assert "asked EC2 to start it at 2026-11-27T10:15:00Z, but step assertStarted failed" in message["detail"]


def test_a_change_whose_checks_were_not_confirmed_is_a_failure_that_verified_nothing() -> None:
    build = script_of("buildNotification")["build"]
    result = build({**BUILD_EVENTS, "Steps": changed_steps("rebootInstance", "reboot", confirmed=False)}, {})
    message = json.loads(result["Message"])

    assert (message["outcome"], message["action_taken"], message["verified"]) == ("failed", "rebooted", "none")
    assert message["failed_step"] == "confirmInstanceStatusOk"
    assert message["change_requested_at"] == "2026-11-27T10:15:00Z"
    assert message["status_checks_confirmed_at"] is None
    assert (
        "asked EC2 to reboot it at 2026-11-27T10:15:00Z, but step confirmInstanceStatusOk failed" in message["detail"]
    )


def test_unreadable_step_times_still_say_what_was_verified() -> None:
    build = script_of("buildNotification")["build"]
    steps = [{**step, "ExecutionEndTime": "sometime"} for step in changed_steps("rebootInstance", "reboot")]
    message = json.loads(build({**BUILD_EVENTS, "Steps": steps}, {})["Message"])

    assert (message["outcome"], message["verified"]) == ("success", "status_checks_ok")
    assert message["change_requested_at"] is message["seconds_to_status_checks_ok"] is None
    assert "more than one 60 s check cycle after the request" in message["detail"]


@pytest.mark.parametrize("decision", ["skip", "dry_run"])
def test_no_change_verifies_nothing(decision: str) -> None:
    build = script_of("buildNotification")["build"]
    steps = [step_record("decide", Decision=decision, PlannedAction="reboot", CurrentState="running", Detail="d")]
    message = json.loads(build({**BUILD_EVENTS, "Steps": steps}, {})["Message"])

    assert message["outcome"] == "skipped"
    assert message["verified"] == "none"
    assert [message[name] for name in NOTIFICATION_TIMES] == [None] * len(NOTIFICATION_TIMES)


NOTIFICATION_TIMES = (
    "change_requested_at",
    "status_checks_ok_at",
    "seconds_to_status_checks_ok",
    "status_checks_confirmed_at",
)


def test_the_on_call_guide_shows_the_message_the_runbook_builds() -> None:
    """docs/runbook.md's example messages have exactly the builder's fields, in its order."""
    guide = (REPO_ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", guide, re.S)]
    build = script_of("buildNotification")["build"]
    built = json.loads(build({**BUILD_EVENTS, "Steps": changed_steps("rebootInstance", "reboot")}, {})["Message"])

    assert len(examples) >= 2
    assert [list(example) for example in examples] == [list(built)] * len(examples)
    table = set(re.findall(r"^\| `([a-z_]+)`", guide[guide.index("| Field | Meaning |") :], re.M))
    assert set(NOTIFICATION_TIMES) | {"verified"} <= table


SUBJECT_CASES = [
    ("rebootInstance", "reboot", "reboot"),
    ("startInstance", "start", "start"),
    (None, "dry_run", "reboot"),
    (None, "skip", "none"),
]


@pytest.mark.parametrize(("succeeded_step", "decision", "planned"), SUBJECT_CASES)
def test_subjects_fit_sns_for_the_longest_instance_id_and_reason(
    succeeded_step: str | None, decision: str, planned: str
) -> None:
    build = script_of("buildNotification")["build"]
    steps = [step_record("decide", Decision=decision, PlannedAction=planned, CurrentState="running", Detail="d")]
    if succeeded_step:
        steps.append(step_record(succeeded_step))
    result = build({**BUILD_EVENTS, "Steps": steps}, {})
    for subject in (result["Subject"], result["PublishFailureSubject"]):
        assert len(subject) < 100
        assert not re.search(r"[\x00-\x1f\x7f]", subject)
        assert subject.startswith("[remediation] ") and LONGEST_INSTANCE_ID in subject


def test_last_resort_notification_is_valid_json_for_the_longest_values() -> None:
    inputs = STEPS["publishLastResortNotification"]["inputs"]
    values = {**SAMPLE_VALUES, "InstanceId": LONGEST_INSTANCE_ID, "AlertId": "a" * 128}
    rendered = VARIABLE.sub(lambda match: str(values[match.group(1)]), inputs["Message"])
    message = json.loads(rendered)
    assert (message["outcome"], message["instance_id"]) == ("failed", LONGEST_INSTANCE_ID)
    subject = VARIABLE.sub(lambda match: values[match.group(1)], inputs["Subject"])
    assert len(subject) < 100


def test_amended_message_carries_the_sns_error() -> None:
    amend = script_of("amendNotification")["amend"]
    prepared = json.dumps({"outcome": "failed", "failed_step": "publishNotification", "error": None, "detail": "d"})
    failed_publish = [step_record("publishNotification", "Failed", "Throttling: Rate exceeded")]
    amended = json.loads(amend({"Message": prepared, "PublishSteps": failed_publish}, {})["Message"])
    assert amended["error"] == "Throttling: Rate exceeded"
    # A publish step record without a FailureMessage still gives an error that says where to look.
    without_error = amend({"Message": prepared, "PublishSteps": [step_record("publishNotification", "Failed")]}, {})
    assert "publishNotification" in json.loads(without_error["Message"])["error"]


def published(record: dict[str, Any], message: dict[str, Any], quoted: bool) -> dict[str, Any]:
    """A publish step record with its Message input: as JSON text in JSON quotes (the twin's Inputs), or bare."""
    text = json.dumps(message)
    return {**record, "Inputs": {"Message": json.dumps(text) if quoted else text}}


VERDICT = {"previous_state": "running", "action_taken": "rebooted", "outcome": "success"}
QUOTING = pytest.mark.parametrize("quoted", [True, False], ids=["quoted inputs", "bare inputs"])


@QUOTING
def test_record_outcome_repeats_what_was_published(quoted: bool) -> None:
    record = script_of("recordOutcome")["record"]
    steps = [published(step_record("publishNotification", MessageId="m-1"), VERDICT, quoted)]
    assert record({"Steps": steps}, {}) == {
        "PreviousState": "running",
        "ActionTaken": "rebooted",
        "Outcome": "success",
        "NotificationMessageId": "m-1",
    }


@QUOTING
def test_record_outcome_reports_a_failed_publish_as_failed(quoted: bool) -> None:
    record = script_of("recordOutcome")["record"]
    steps = [
        published(step_record("publishNotification", "Failed", "Throttling"), VERDICT, quoted),
        published(step_record("publishFailureNotification", MessageId="m-2"), {**VERDICT, "outcome": "failed"}, quoted),
    ]
    assert record({"Steps": steps}, {}) == {
        "PreviousState": "running",
        "ActionTaken": "rebooted",
        "Outcome": "failed",
        "NotificationMessageId": "m-2",
    }


@QUOTING
def test_record_outcome_after_the_last_resort_message_reports_unknown_and_failed(quoted: bool) -> None:
    record = script_of("recordOutcome")["record"]
    inputs = STEPS["publishLastResortNotification"]["inputs"]
    last_resort = json.loads(VARIABLE.sub(lambda match: str(SAMPLE_VALUES[match.group(1)]), inputs["Message"]))
    steps = [published(step_record("publishLastResortNotification", MessageId="m-3"), last_resort, quoted)]
    assert record({"Steps": steps}, {}) == {
        "PreviousState": "unknown",
        "ActionTaken": "unknown",
        "Outcome": "failed",
        "NotificationMessageId": "m-3",
    }


def test_record_outcome_when_nothing_could_be_published_or_read() -> None:
    record = script_of("recordOutcome")["record"]
    steps = [step_record("publishNotification", "Failed", "InternalError"), step_record("publishFailureNotification")]
    steps[1]["StepStatus"] = "Failed"
    assert record({"Steps": steps}, {}) == {
        "PreviousState": "unknown",
        "ActionTaken": "unknown",
        "Outcome": "failed",
        "NotificationMessageId": "none",
    }
