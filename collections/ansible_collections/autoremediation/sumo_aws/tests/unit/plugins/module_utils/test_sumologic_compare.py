"""Payload template checks, duration normalisation and the diff text."""

from __future__ import annotations

import pytest
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_compare import (
    as_number,
    duration_seconds,
    past_time_range,
    render_for_diff,
    same_duration,
    validate_json_template,
)

LAMBDA_PAYLOAD = (
    '{"Id":"{{Id}}","Name":"{{Name}}","TriggerType":"{{TriggerType}}","TriggerTimeStart":"{{TriggerTimeStart}}",'
    '"TriggerTimeEnd":"{{TriggerTimeEnd}}","TriggerValue":"{{TriggerValue}}","NumQueryResults":"{{NumQueryResults}}",'
    '"ResultsJson":"{{ResultsJson}}","AlertResponseUrl":"{{AlertResponseUrl}}","QueryUrl":"{{QueryUrl}}"}'
)


def test_the_lambda_payload_is_a_valid_template() -> None:
    validate_json_template("default_payload", LAMBDA_PAYLOAD)


def test_a_bare_numeric_variable_is_a_valid_template() -> None:
    validate_json_template("default_payload", '{"value": {{TriggerValue}}, "name": "{{Name}}"}')


def test_invalid_template_error_names_the_field_and_shows_the_value() -> None:
    with pytest.raises(ValueError, match="resolution_payload is not a valid JSON template") as raised:
        validate_json_template("resolution_payload", '{"Name": "{{Name}}",}')
    assert '\'{"Name": "{{Name}}",}\'' in str(raised.value)


def test_empty_template_is_rejected() -> None:
    with pytest.raises(ValueError, match="default_payload must be a JSON template"):
        validate_json_template("default_payload", "  ")


def test_omitted_template_is_accepted() -> None:
    validate_json_template("resolution_payload", None)


@pytest.mark.parametrize(
    ("text", "seconds"), [("10m", 600), ("-10m", 600), ("1h", 3600), ("60m", 3600), ("23h60m", 86400), ("0m", 0)]
)
def test_durations_read_with_or_without_the_past_sign(text: str, seconds: int) -> None:
    assert duration_seconds(text) == seconds


def test_a_duration_without_a_unit_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a duration"):
        duration_seconds("10")


def test_negative_and_positive_time_ranges_are_the_same_window() -> None:
    assert same_duration("-10m", "10m")
    assert not same_duration("-10m", "15m")
    assert past_time_range("10m") == "-10m" == past_time_range("-10m")


def test_integer_and_float_thresholds_compare_equal() -> None:
    assert as_number(5) == as_number(5.0) == as_number("5")
    assert as_number(True) is True


def test_diff_text_shows_a_multiline_query_as_a_block_one_line_per_stage() -> None:
    text = render_for_diff({"query": "a\n| count", "threshold": 5.0, "triggers": [{"triggerType": "Critical"}]})
    assert text == 'query: |\n  a\n  | count\nthreshold: 5\ntriggers:\n  - triggerType: "Critical"\n'
