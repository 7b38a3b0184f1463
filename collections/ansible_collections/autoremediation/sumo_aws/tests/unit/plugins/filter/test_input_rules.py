"""The input-rule filters the roles' preflights use: '' for a good value, else a message naming what was expected."""

from __future__ import annotations

import pytest
from ansible_collections.autoremediation.sumo_aws.plugins.filter.input_rules import FilterModule

FILTERS = FilterModule().filters()
GOOD_SECRET = "A1b2C3d4-" * 4


@pytest.mark.parametrize("instance_id", ["i-0123abcd", "i-0123456789abcdef0"])
def test_an_instance_id_of_8_or_17_hex_digits_has_no_problem(instance_id: str) -> None:
    assert FILTERS["ec2_instance_id_problem"](instance_id) == ""


@pytest.mark.parametrize(
    "value",
    ["i-0123", "i-0123456789", "i-0123456789abcdef", "i-0123456789ABCDEF0", "i-0123abcd\n", " i-0123abcd", "0123abcd"],
)
def test_a_malformed_instance_id_is_quoted_with_the_expected_shape(value: str) -> None:
    problem = FILTERS["ec2_instance_id_problem"](value)
    assert repr(value) in problem and "8 or 17 lower-case hex digits" in problem


def test_an_instance_id_that_is_not_a_string_is_refused_naming_its_type() -> None:
    assert "(a int) is not an EC2 instance id" in FILTERS["ec2_instance_id_problem"](12345678)


def test_a_long_visible_ascii_secret_has_no_problem() -> None:
    assert FILTERS["webhook_secret_problem"](GOOD_SECRET) == ""
    assert FILTERS["webhook_secret_problem"]("!" * 32) == ""


def test_a_short_secret_is_refused_with_its_length_but_not_its_value() -> None:
    secret = "x" * 31
    problem = FILTERS["webhook_secret_problem"](secret)
    assert "at least 32" in problem and "got 31 characters" in problem and secret not in problem


@pytest.mark.parametrize("secret", [GOOD_SECRET + " ", GOOD_SECRET + "é", GOOD_SECRET + "\t"])
def test_a_secret_with_a_space_or_non_ascii_is_refused_without_showing_it(secret: str) -> None:
    problem = FILTERS["webhook_secret_problem"](secret)
    assert "visible ASCII" in problem and GOOD_SECRET not in problem


def test_a_secret_that_is_not_a_string_is_refused() -> None:
    assert "got a NoneType" in FILTERS["webhook_secret_problem"](None)


@pytest.mark.parametrize(
    ("deployment", "endpoint"), [("us2", ""), ("", "http://127.0.0.1:4567/api"), ("", "https://api.sumologic.com/api/")]
)
def test_one_known_deployment_or_one_api_url_has_no_problem(deployment: str, endpoint: str) -> None:
    assert FILTERS["sumo_api_location_problem"](deployment, endpoint) == ""


@pytest.mark.parametrize(
    ("deployment", "endpoint", "expected"),
    [
        ("us2", "https://api.us2.sumologic.com/api", "give sumo_deployment or sumo_api_endpoint, not both"),
        ("", "", "give sumo_deployment (one of: au, ca, ch"),
        ("mars", "", "unknown Sumo Logic deployment 'mars' in sumo_deployment"),
        ("", "https://api.sumologic.com", "sumo_api_endpoint must be an http(s) URL ending in /api"),
        (None, None, "neither is set"),
    ],
)
def test_a_wrong_location_names_the_variables(deployment: str | None, endpoint: str | None, expected: str) -> None:
    assert expected in FILTERS["sumo_api_location_problem"](deployment, endpoint)
