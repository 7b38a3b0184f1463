"""sumo_monitor_lag_seconds: how long a log monitor keeps counting a line, the base of the verification window."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.autoremediation.sumo_aws.plugins.filter.sumo_monitor_timing import FilterModule

LAG = FilterModule().filters()["sumo_monitor_lag_seconds"]


def test_the_default_monitor_lags_its_ten_minute_window_plus_the_two_minutes_sumo_runs_behind() -> None:
    assert LAG("10m", "2m") == 720


def test_a_delay_under_two_minutes_still_counts_as_two_minutes() -> None:
    assert LAG("10m", "0m") == 720
    assert LAG("5m") == 420


def test_a_longer_delay_counts_in_full() -> None:
    assert LAG("1h", "5m") == 3900
    assert LAG("-15m", "3m") == 1080


@pytest.mark.parametrize(
    ("time_range", "delay", "named"), [("10x", "2m", "time range"), ("10m", "soon", "evaluation delay")]
)
def test_a_value_that_is_not_a_duration_fails_naming_which(time_range: str, delay: str, named: str) -> None:
    with pytest.raises(AnsibleFilterError, match=f"sumo_monitor_lag_seconds: {named}: not a duration"):
        LAG(time_range, delay)


def test_a_zero_window_is_refused() -> None:
    with pytest.raises(AnsibleFilterError, match="must be longer than zero"):
        LAG("0m")
