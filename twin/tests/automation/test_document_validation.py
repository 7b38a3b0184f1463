"""validate_document accepts well-formed schema 0.3 runbooks and rejects the rest with a message naming the problem."""

from __future__ import annotations

import json
import textwrap

import pytest

from emulator.automation import AutomationError, validate_document

VALID = """
---
schemaVersion: '0.3'
description: Reboot or start an instance
assumeRole: '{{ AutomationAssumeRole }}'
parameters:
  InstanceId:
    type: String
    allowedPattern: '^i-[a-z0-9]{8,17}$'
  AutomationAssumeRole:
    type: String
    default: ''
  Retries:
    type: Integer
    default: 2
    allowedValues: [1, 2, 3]
mainSteps:
  - name: getState
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds: ['{{ InstanceId }}']
    outputs:
      - Name: State
        Selector: $.Reservations[0].Instances[0].State.Name
        Type: String
    onFailure: step:notify
  - name: decide
    action: aws:branch
    inputs:
      Choices:
        - NextStep: reboot
          Variable: '{{ getState.State }}'
          StringEquals: running
        - NextStep: start
          And:
            - Variable: '{{ getState.State }}'
              StringEquals: stopped
            - Not:
                Variable: '{{ Retries }}'
                NumericEquals: 0
      Default: notify
  - name: reboot
    action: aws:executeAwsApi
    inputs: {Service: ec2, Api: RebootInstances, InstanceIds: ['{{ InstanceId }}']}
    nextStep: notify
    onCancel: step:start
  - name: start
    action: aws:changeInstanceState
    maxAttempts: 2
    timeoutSeconds: 600
    inputs: {InstanceIds: ['{{ InstanceId }}'], DesiredState: running}
  - name: notify
    action: aws:sleep
    inputs: {Duration: PT1S}
    isEnd: true
outputs:
  - getState.State
"""


def _yaml_with(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


def _rejection(content: str, document_format: str = "YAML") -> str:
    with pytest.raises(AutomationError) as raised:
        validate_document(textwrap.dedent(content), document_format)
    assert raised.value.code == "InvalidDocumentContent"
    assert raised.value.status == 400
    return raised.value.message


def test_a_full_featured_runbook_is_accepted_with_every_control_key_kept():
    document = validate_document(VALID, "YAML")

    assert [step.name for step in document.steps] == ["getState", "decide", "reboot", "start", "notify"]
    assert document.step("getState").on_failure == "step:notify"
    assert document.step("reboot").next_step == "notify"
    assert document.step("reboot").on_cancel == "step:start"
    assert document.step("start").max_attempts == 2
    assert document.step("start").timeout_seconds == 600
    assert document.step("notify").is_end is True
    assert document.outputs == ("getState.State",)
    assert document.parameters["Retries"].default == 2


def test_json_documents_are_accepted():
    document = validate_document(json.dumps({"schemaVersion": "0.3", "mainSteps": [
        {"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT1M"}}]}), "JSON")  # fmt: skip

    assert document.steps[0].action == "aws:sleep"


def test_is_critical_defaults_to_false_when_on_failure_is_continue():
    document = validate_document(_yaml_with("onFailure: step:notify", "onFailure: Continue"), "YAML")

    assert document.step("getState").is_critical is False
    assert document.step("decide").is_critical is True


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("schemaVersion: '0.3'", "schemaVersion: '2.2'", "schemaVersion must be '0.3'"),
        ("description: Reboot", "color: blue\ndescription: Reboot", "unknown top-level key(s) ['color']"),
        ("action: aws:sleep", "action: aws:nap", "step 'notify': unknown action 'aws:nap'"),
        ("name: reboot", "name: reboot-now", "step name 'reboot-now'"),
        ("name: start", "name: reboot", "step 'reboot': the name is used by more than one step"),
        ("    isEnd: true", "    isEnd: true\n    retry: 3", "step 'notify': unknown key(s) ['retry']"),
        ("nextStep: notify", "nextStep: waitX", "step 'reboot': nextStep 'waitX' is not a step of this document"),
        ("onFailure: step:notify", "onFailure: step:nowhere", "step 'getState': onFailure 'step:nowhere' names a step"),
        ("onFailure: step:notify", "onFailure: Retry", "step 'getState': onFailure 'Retry' must be Abort, Continue"),
        ("onFailure: step:notify", "onFailure: 'step: notify'", "onFailure 'step: notify' must be Abort"),
        ("onCancel: step:start", "onCancel: Continue", "step 'reboot': onCancel 'Continue' must be Abort or step:"),
        ("onCancel: step:start", "onCancel: step:gone", "step 'reboot': onCancel 'step:gone' names a step"),
        ("Default: notify", "Default: elsewhere", "step 'decide': Default 'elsewhere' is not a step"),
        ("- NextStep: start", "- NextStep: begin", "step 'decide': Choices[1]: NextStep 'begin' is not a step"),
        ("StringEquals: running", "StringMatches: running", "unknown operator(s) ['StringMatches']"),
        ("NumericEquals: 0", "NumericEquals: zero", "NumericEquals needs a number, got 'zero'"),
        ("DesiredState: running", "DesiredState: rebooted", "DesiredState must be one of"),
        ("DesiredState: running}", "Force: true}", "aws:changeInstanceState requires input(s) ['DesiredState']"),
        ("Duration: PT1S", "Duration: 10 minutes", "Duration '10 minutes' is not an ISO 8601 duration"),
        ("Duration: PT1S", "Duration: P8D", "the maximum is 604799"),
        ("Duration: PT1S", "Duration: PT1S, Speed: fast", "aws:sleep does not take input(s) ['Speed']"),
        ("Api: RebootInstances", "Api: RebootAll", "Api 'RebootAll' is not an operation of service 'ec2'"),
        ("Service: ec2, Api: Reboot", "Service: ec3, Api: Reboot", "Service 'ec3' is not a boto3 client name"),
        ("Type: String", "Type: Text", "output 'State' Type 'Text' must be one of"),
        ("Selector: $.Reservations", "Selector: Reservations", "must be a JSONPath starting with '$'"),
        ("maxAttempts: 2", "maxAttempts: 0", "step 'start': maxAttempts must be a positive integer, got 0"),
        ("timeoutSeconds: 600", "timeoutSeconds: soon", "step 'start': timeoutSeconds must be a positive integer"),
        ("isEnd: true", "isEnd: maybe", "step 'notify': isEnd must be true or false, got 'maybe'"),
        ("type: Integer", "type: Number", "parameter 'Retries': unknown type 'Number'"),
        ("default: 2", "default: 5", "parameter 'Retries': default 5 is invalid: expected one of [1, 2, 3]"),
        ("default: 2", "default: 'two'", "parameter 'Retries': default 'two' is invalid: expected an Integer"),
        ("    default: ''", "    default: ''\n    secret: true", "unknown key(s) ['secret']"),
        ("    allowedPattern: '^i-[a-z0-9]{8,17}$'", "    allowedPattern: '^i-[a-z'", "is not a valid regex"),
        ("InstanceIds: ['{{ InstanceId }}']}\n    nextStep", "InstanceIds: ['{{ssm:/ids}}']}\n    nextStep",
         "step 'reboot': {{ssm:/ids}} is not allowed in step inputs"),
        ("InstanceIds: ['{{ InstanceId }}']}\n    nextStep", "InstanceIds: ['{{ Instance }}']}\n    nextStep",
         "step 'reboot': variable {{Instance}} is not a parameter of this document"),
        ("'{{ getState.State }}'\n          StringEquals: run", "'{{ getState.Status }}'\n          StringEquals: run",
         "step 'decide': variable {{getState.Status}}: step 'getState' has no output 'Status'"),
        ("'{{ getState.State }}'\n          StringEquals: run", "'{{ global:HOST }}'\n          StringEquals: run",
         "unknown system variable {{global:HOST}}"),
        ("  - getState.State", "  - reboot.State", "outputs: step 'reboot' has no output 'State'"),
        ("  - getState.State", "  - missing.State", "outputs: 'missing.State' must name an output of a step"),
    ],
)  # fmt: skip
def test_invalid_documents_are_rejected_with_a_message_naming_the_problem(old: str, new: str, expected: str):
    message = _rejection(_yaml_with(old, new))

    assert expected in message


def test_script_attachments_are_rejected_because_only_inline_scripts_run():
    assert "'files' (script attachments) is not supported" in _rejection(VALID + "files: {a.py: {checksums: {}}}\n")


def test_a_document_without_main_steps_is_rejected():
    assert "mainSteps is required" in _rejection("schemaVersion: '0.3'\nparameters: {}\n")


def test_on_cancel_cannot_move_to_a_pause_or_sleep_step():
    message = _rejection(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: work
            action: aws:pause
            onCancel: step:rest
          - name: rest
            action: aws:sleep
            inputs: {Duration: PT1M}
        """
    )

    assert message == "step 'work': onCancel cannot move to step 'rest' because it is aws:sleep"


def test_missing_required_inputs_name_the_action_and_inputs():
    message = _rejection(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: call
            action: aws:executeAwsApi
            inputs: {Service: ec2}
        """
    )

    assert message == "step 'call': aws:executeAwsApi requires input(s) ['Api']"


def test_outputs_on_an_action_without_declared_outputs_are_rejected():
    message = _rejection(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: rest
            action: aws:sleep
            inputs: {Duration: PT1M}
            outputs: [{Name: X, Selector: $.X, Type: String}]
        """
    )

    assert "aws:sleep does not take declared outputs" in message


def test_unsupported_script_runtime_and_attachments_are_rejected():
    message = _rejection(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: script
            action: aws:executeScript
            inputs: {Runtime: python3.7, Handler: main, Script: 'def main(e, c): return 1'}
        """
    )

    assert "Runtime 'python3.7' is not supported" in message


def test_malformed_yaml_and_unknown_formats_are_rejected():
    assert "not valid YAML" in _rejection("schemaVersion: '0.3'\nmainSteps: [\n")
    assert "not valid JSON" in _rejection("{", "JSON")
    assert "format 'TEXT' is not supported" in _rejection("x", "TEXT")
