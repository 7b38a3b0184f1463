"""A step that reads an output with no value fails, naming the step, the output and why (the stricter reading).

Ledger: "Reading an output of a step that did not run fails the step" (docs/twin-fidelity.md). AWS documents
`{{ step.Output }}` only for steps that ran; a runbook that counts on getting the literal `{{ … }}` text back, or on
any other answer, breaks here before it can break on AWS.
"""

from __future__ import annotations

from tests.automation.conftest import steps_by_name

SKIPPED_BY_A_BRANCH = """
    schemaVersion: '0.3'
    mainSteps:
      - name: decide
        action: aws:branch
        inputs:
          Choices:
            - {NextStep: report, Variable: 'skip', StringEquals: skip}
          Default: make
      - name: make
        action: aws:executeScript
        inputs: {Runtime: python3.11, Handler: main, Script: 'def main(e, c): return {"State": "made"}'}
        outputs:
          - {Name: State, Selector: $.Payload.State, Type: String}
      - name: report
        action: aws:executeScript
        onFailure: step:fallback
        inputs:
          Runtime: python3.11
          Handler: main
          InputPayload: {State: '{{ make.State }}'}
          Script: 'def main(e, c): return e'
      - name: fallback
        action: aws:sleep
        inputs: {Duration: PT1S}
    """


def test_reading_an_output_of_a_step_a_branch_skipped_fails_the_reader_naming_step_and_output(runbook):
    execution = runbook.run(SKIPPED_BY_A_BRANCH)

    steps = steps_by_name(execution)
    assert [step["StepName"] for step in execution["StepExecutions"]] == ["decide", "report", "fallback"]
    assert steps["report"]["StepStatus"] == "Failed"
    assert steps["report"]["FailureMessage"] == (
        "Step report reads output State of step make ({{ make.State }}), which has no value: "
        "step make did not run in this execution"
    )
    assert steps["report"]["FailureDetails"]["FailureType"] == "InvalidInput"
    assert steps["fallback"]["StepStatus"] == "Success"
    assert execution["AutomationExecutionStatus"] == "Failed"


def test_reading_an_output_of_a_step_not_reached_yet_fails_inside_a_larger_string(runbook):
    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: early
            action: aws:executeScript
            inputs:
              Runtime: python3.11
              Handler: main
              InputPayload: {Text: 'later said {{ later.Payload }}'}
              Script: 'def main(e, c): return e'
          - name: later
            action: aws:executeScript
            inputs: {Runtime: python3.11, Handler: main, Script: 'def main(e, c): return 1'}
        """
    )

    early = steps_by_name(execution)["early"]
    assert early["StepStatus"] == "Failed"
    assert "output Payload of step later ({{ later.Payload }})" in early["FailureMessage"]
    assert "step later did not run in this execution" in early["FailureMessage"]
    assert execution["AutomationExecutionStatus"] == "Failed"
    assert "later" not in steps_by_name(execution)


def test_reading_an_output_whose_selector_matched_nothing_fails_the_reader(runbook):
    execution = runbook.run(
        """
        schemaVersion: '0.3'
        mainSteps:
          - name: describe
            action: aws:executeAwsApi
            inputs:
              Service: ec2
              Api: DescribeInstances
              Filters: [{Name: instance-id, Values: [i-0000000000000dead]}]
            outputs:
              - {Name: State, Selector: '$.Reservations[0].Instances[0].State.Name', Type: String}
          - name: report
            action: aws:executeScript
            inputs:
              Runtime: python3.11
              Handler: main
              InputPayload: {State: '{{ describe.State }}'}
              Script: 'def main(e, c): return e'
        """
    )

    steps = steps_by_name(execution)
    assert steps["describe"]["StepStatus"] == "Success"
    assert steps["report"]["StepStatus"] == "Failed"
    assert steps["report"]["FailureMessage"].endswith("step describe ended Success without producing it")


def test_an_output_of_a_step_that_ran_resolves_on_every_route_through_it(runbook):
    execution = runbook.run(SKIPPED_BY_A_BRANCH.replace("StringEquals: skip", "StringEquals: other"))

    steps = steps_by_name(execution)
    assert [step["StepName"] for step in execution["StepExecutions"]] == ["decide", "make", "report", "fallback"]
    assert steps["report"]["StepStatus"] == "Success"
    assert steps["report"]["Outputs"]["Payload"] == ['{"State": "made"}']
    assert execution["AutomationExecutionStatus"] == "Success"
