"""Variables keep their type when they are the whole value, and render as text inside a larger string."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from emulator.automation.variables import (
    UnresolvedOutputError,
    UnresolvedVariableError,
    VariableScope,
    substitute,
)

MOMENT = datetime(2026, 11, 27, 10, 5, 9, tzinfo=UTC).timestamp()


@pytest.fixture
def scope() -> VariableScope:
    return VariableScope(
        parameters={
            "InstanceIds": ["i-1", "i-2"],
            "DryRun": False,
            "Count": 3,
            "Tags": [{"Key": "a", "Value": "b"}],
            "Name": "web",
        },
        execution_id="exec-1",
        account_id="123456789012",
        region="eu-west-1",
        now=MOMENT,
        step_outputs={"getState": {"State": "running", "Ids": ["i-1"]}},
    )


def test_a_whole_value_variable_keeps_its_type(scope: VariableScope):
    assert substitute("{{ InstanceIds }}", scope) == ["i-1", "i-2"]
    assert substitute("{{DryRun}}", scope) is False
    assert substitute("{{ Count }}", scope) == 3
    assert substitute("{{ Tags }}", scope) == [{"Key": "a", "Value": "b"}]
    assert substitute("{{ getState.Ids }}", scope) == ["i-1"]


def test_variables_inside_text_are_rendered_as_text_and_json(scope: VariableScope):
    assert substitute("ids={{ InstanceIds }} dry={{ DryRun }} n={{Count}}", scope) == 'ids=["i-1", "i-2"] dry=false n=3'
    assert substitute("state is {{ getState.State }}", scope) == "state is running"


def test_nested_maps_and_lists_are_substituted_recursively(scope: VariableScope):
    value = {"Filters": [{"Name": "tag:Name", "Values": ["{{ Name }}"]}], "Ids": "{{ InstanceIds }}"}

    assert substitute(value, scope) == {"Filters": [{"Name": "tag:Name", "Values": ["web"]}], "Ids": ["i-1", "i-2"]}


def test_system_variables_resolve(scope: VariableScope):
    assert substitute("{{ automation:EXECUTION_ID }}", scope) == "exec-1"
    assert substitute("{{global:ACCOUNT_ID}}/{{ global:REGION }}/{{ global:AWS_PARTITION }}", scope) == (
        "123456789012/eu-west-1/aws"
    )
    assert substitute("{{ global:DATE }} {{ global:DATE_TIME }}", scope) == "2026-11-27 2026-11-27_10.05.09"


@pytest.mark.parametrize("value", ["{{ reboot.State }}", "state: {{ reboot.State }}", ["{{reboot.State}}"]])
def test_an_output_of_a_step_that_did_not_run_raises_naming_the_step_and_the_output(scope: VariableScope, value):
    """Ledger: "Reading an output of a step that did not run fails the step"."""
    with pytest.raises(UnresolvedOutputError) as unresolved:
        substitute(value, scope)

    assert (unresolved.value.step_name, unresolved.value.output_name) == ("reboot", "State")
    assert str(unresolved.value) == (
        "output State of step reboot ({{ reboot.State }}) has no value: step reboot did not run in this execution"
    )


def test_an_output_missing_from_a_step_that_ran_or_runs_says_so(scope: VariableScope):
    scope.step_statuses.update({"getState": "Success", "wait": "InProgress", "reboot": "Failed"})

    reasons = []
    for value in ("{{ getState.Missing }}", "{{ wait.State }}", "{{ reboot.State }}"):
        with pytest.raises(UnresolvedOutputError) as unresolved:
            substitute(value, scope)
        reasons.append(unresolved.value.why)

    assert reasons == [
        "step getState ended Success without producing it",
        "step wait has not finished",
        "step reboot ended Failed without producing it",
    ]


def test_an_unknown_plain_variable_stays_literal_unless_strict(scope: VariableScope):
    assert substitute("name: {{ Unknown }}", scope) == "name: {{ Unknown }}"
    with pytest.raises(UnresolvedVariableError):
        substitute("{{ Unknown }}", scope, strict=True)
