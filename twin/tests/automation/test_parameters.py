"""Start-time parameters arrive as lists of strings and are typed, defaulted and checked before any step runs."""

from __future__ import annotations

import pytest

from emulator.automation import AutomationError
from emulator.automation.parameters import parse_parameter_definitions, resolve_parameters

DEFINITIONS = parse_parameter_definitions(
    {
        "InstanceId": {"type": "String", "allowedPattern": "^i-[a-z0-9]{8,17}$"},
        "InstanceIds": {"type": "StringList", "default": [], "maxItems": 2},
        "Count": {"type": "Integer", "default": 1},
        "DryRun": {"type": "Boolean", "default": False},
        "Tags": {"type": "MapList", "default": [], "minItems": 0},
        "Labels": {"type": "StringMap", "default": {}},
        "Mode": {"type": "String", "default": "reboot", "allowedValues": ["reboot", "start"]},
        "Note": {"type": "String", "default": "", "maxChars": 5},
        "Instance": {"type": "AWS::EC2::Instance::Id", "default": "i-12345678"},
        "More": {"type": "List<AWS::EC2::Instance::Id>", "default": []},
    }
)


def _error(supplied: dict[str, list[str]]) -> str:
    with pytest.raises(AutomationError) as raised:
        resolve_parameters(DEFINITIONS, supplied)
    assert raised.value.code == "InvalidAutomationExecutionParametersException"
    return raised.value.message


def test_values_are_coerced_to_their_declared_types():
    resolved = resolve_parameters(
        DEFINITIONS,
        {
            "InstanceId": ["i-0123456789abcdef0"],
            "InstanceIds": ["i-11111111", "i-22222222"],
            "Count": ["3"],
            "DryRun": ["true"],
            "Tags": ['{"Key": "a", "Value": "b"}'],
            "Labels": ['{"team": "ops"}'],
        },
    )

    assert resolved["InstanceId"] == "i-0123456789abcdef0"
    assert resolved["InstanceIds"] == ["i-11111111", "i-22222222"]
    assert resolved["Count"] == 3
    assert resolved["DryRun"] is True
    assert resolved["Tags"] == [{"Key": "a", "Value": "b"}]
    assert resolved["Labels"] == {"team": "ops"}


def test_defaults_fill_parameters_that_were_not_given():
    resolved = resolve_parameters(DEFINITIONS, {"InstanceId": ["i-0123456789abcdef0"]})

    assert resolved["Count"] == 1
    assert resolved["DryRun"] is False
    assert resolved["Mode"] == "reboot"


def test_aws_console_types_are_treated_as_string_and_string_list():
    assert DEFINITIONS["Instance"].base_type == "String"
    assert DEFINITIONS["More"].base_type == "StringList"


def test_a_map_list_may_also_arrive_as_one_json_list():
    resolved = resolve_parameters(
        DEFINITIONS, {"InstanceId": ["i-0123456789abcdef0"], "Tags": ['[{"Key": "a"}, {"Key": "b"}]']}
    )

    assert resolved["Tags"] == [{"Key": "a"}, {"Key": "b"}]


@pytest.mark.parametrize(
    ("supplied", "expected"),
    [
        ({}, "Parameter 'InstanceId' is required (type String) but missing"),
        ({"InstanceId": ["web-1"]}, "Parameter 'InstanceId' value 'web-1' is invalid: expected a value matching"),
        ({"Count": ["three"]}, "Parameter 'Count' value 'three' is not an Integer; expected digits"),
        ({"DryRun": ["yes"]}, "Parameter 'DryRun' value 'yes' is not a Boolean; expected true or false"),
        ({"Labels": ["team=ops"]}, "Parameter 'Labels' value 'team=ops' is not valid JSON"),
        ({"Labels": ["[1]"]}, "Parameter 'Labels' value '[1]' is not a StringMap; expected a JSON object"),
        ({"Tags": ['"x"']}, "is not a MapList; expected JSON objects"),
        ({"Mode": ["restart"]}, "Parameter 'Mode' value 'restart' is invalid: expected one of ['reboot', 'start']"),
        ({"Note": ["too long"]}, "Parameter 'Note' value 'too long' is invalid: expected at most 5 characters"),
        ({"InstanceIds": ["a", "b", "c"]}, "expected at most 2 items, got 3"),
        ({"Count": ["1", "2"]}, "Parameter 'Count' of type Integer takes exactly one value"),
        ({"Colour": ["red"]}, "Parameter(s) ['Colour'] are not defined in the document"),
    ],
)
def test_invalid_input_is_refused_naming_the_parameter_value_and_expectation(supplied, expected):
    supplied = {"InstanceId": ["i-0123456789abcdef0"], **supplied} if supplied else supplied

    assert expected in _error(supplied)


def test_a_parameter_store_default_is_read_when_the_parameter_is_not_given():
    definitions = parse_parameter_definitions({"Topic": {"type": "String", "default": "{{ssm:/ops/topic}}"}})

    resolved = resolve_parameters(definitions, {}, ssm_resolver=lambda name: f"value-of-{name}")

    assert resolved == {"Topic": "value-of-/ops/topic"}
