"""How the demo's simulated service reads its instance's power history: pure rules, no twin."""

from __future__ import annotations

import pytest

from demo.power import REBOOT_DOWNTIME_SECONDS, PowerEvent, PowerHistory


def history(now: float, state: str, *events: tuple[float, str]) -> PowerHistory:
    return PowerHistory(now=now, state=state, events=tuple(PowerEvent(at, action) for at, action in events))


def test_boots_count_the_launch_every_start_and_every_reboot_but_not_stops():
    reading = history(500, "running", (0, "launch"), (100, "reboot"), (200, "stop"), (300, "start"))

    assert reading.boots == 3
    assert reading.last_boot() == PowerEvent(300, "start")


def test_the_service_is_down_for_the_reboot_downtime_and_up_after_it():
    during = history(100 + REBOOT_DOWNTIME_SECONDS / 2, "running", (0, "launch"), (100, "reboot"))
    after = history(100 + REBOOT_DOWNTIME_SECONDS + 1, "running", (0, "launch"), (100, "reboot"))

    assert not during.serving()
    assert after.serving()


@pytest.mark.parametrize("state", ["pending", "stopping", "stopped", "terminated"])
def test_the_service_serves_only_on_a_running_instance(state):
    assert not history(1000, state, (0, "launch")).serving()
    assert history(1000, state, (0, "launch")).up_seconds(900) == 0


def test_up_time_leaves_out_each_reboot_downtime_once_even_when_they_overlap():
    reading = history(1000, "running", (0, "launch"), (100, "reboot"), (110, "reboot"), (500, "reboot"))

    # Down from 100 to 110 + downtime (the two first reboots overlap), and from 500 to 500 + downtime.
    expected_down = (110 + REBOOT_DOWNTIME_SECONDS - 100) + REBOOT_DOWNTIME_SECONDS
    assert reading.up_seconds(0) == pytest.approx(1000 - expected_down)
    assert reading.up_seconds(600) == pytest.approx(400)


def test_a_malformed_answer_is_refused_with_what_was_wrong():
    with pytest.raises(ValueError, match="power history is not as expected"):
        PowerHistory.from_answer({"now": 1, "state": "running", "events": [{"at": "soon"}]})
