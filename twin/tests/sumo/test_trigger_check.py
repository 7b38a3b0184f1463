"""The trigger condition over result rows: which rows fire or resolve it, and which value is reported."""

from __future__ import annotations

import pytest

from emulator.sumo.trigger_check import TriggerVerdict, check_trigger

ROWS = [{"host": "a", "slow": "3"}, {"host": "b", "slow": "9"}, {"host": "c", "slow": "6"}]


@pytest.mark.parametrize(
    ("threshold_type", "threshold", "expected"),
    [
        ("GreaterThan", 5, TriggerVerdict(True, 9)),
        ("GreaterThanOrEqual", 9, TriggerVerdict(True, 9)),
        ("GreaterThan", 9, TriggerVerdict(False, 9)),
        ("LessThan", 4, TriggerVerdict(True, 3)),
        ("LessThanOrEqual", 2, TriggerVerdict(False, 3)),
    ],
)
def test_any_row_reports_the_most_extreme_value_in_the_conditions_direction(threshold_type, threshold, expected):
    assert check_trigger(ROWS, threshold_type, threshold, "slow") == expected


def test_every_row_reports_the_row_furthest_from_resolving():
    assert check_trigger(ROWS, "LessThanOrEqual", 5, "slow", every_row=True) == TriggerVerdict(False, 9)
    assert check_trigger(ROWS, "LessThanOrEqual", 9, "slow", every_row=True) == TriggerVerdict(True, 9)
    assert check_trigger(ROWS, "GreaterThan", 2, "slow", every_row=True) == TriggerVerdict(True, 3)


def test_without_a_field_the_row_count_is_compared():
    assert check_trigger(ROWS, "GreaterThan", 2) == TriggerVerdict(True, 3)
    assert check_trigger([], "LessThan", 1) == TriggerVerdict(True, 0)


def test_field_names_match_case_insensitively_and_non_numbers_are_skipped():
    rows = [{"Slow": "many"}, {"SLOW": 7}]
    assert check_trigger(rows, "GreaterThan", 5, "slow") == TriggerVerdict(True, 7)


def test_rows_without_a_numeric_value_fire_nothing_and_say_whether_the_field_exists():
    assert check_trigger([{"slow": "n/a"}], "GreaterThan", 5, "slow") == TriggerVerdict(False, None, field_found=True)
    assert check_trigger([{"fast": 1}], "GreaterThan", 5, "slow") == TriggerVerdict(False, None, field_found=False)
    assert check_trigger([{"slow": "n/a"}], "LessThanOrEqual", 5, "slow", every_row=True).holds
