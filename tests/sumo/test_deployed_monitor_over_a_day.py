"""The monitor the role deploys, run by the local Sumo over a day of healthy traffic and then a silence.

Ledger entries relied on: "Missing data" (MissingData when the query returns no row, the strict reading) and
"Evaluation delay" (log monitors run two minutes behind). The local Sumo runs in-process; its clock is moved a minute
at a time by this test and each minute gets one pass, as Sumo's scheduler would run it, so nothing depends on a
poller catching a moment of sped-up time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests

from emulator.clock import ScaledClock
from emulator.control_client import TwinControl
from emulator.sumo.query import compile_query
from emulator.sumo.replay import TriggerSettings, bucket_lines, replay_monitor
from tests.sumo.local_sumo import LocalSumo, serve_local_sumo
from tests.sumo.playbook_runner import run_playbook
from tools.access_log import access_line

pytestmark = pytest.mark.slow

SOURCE_CATEGORY = "prod/api"
DAY_MINUTES = 24 * 60
SILENCE_MINUTES = 15
# Ingest no further ahead of the clock than the twin accepts a message time in (an hour; logstore.py).
CHUNK_MINUTES = 30
# Traffic before the first pass: more than the 10-minute windows plus the 2-minute delay.
WARM_UP_MINUTES = 15


def healthy_minute(minute: int) -> list[tuple[int, int]]:
    """(second, response ms) of the calls in one minute of a healthy day: 20 calls a minute by day, 2 at night
    (midnight to 06:00), and in the busy hours (09:00 to 17:00) two slow calls every 7 minutes, never more than 5
    in 10 minutes; outside them no slow call at all."""
    minute_of_day = minute % DAY_MINUTES
    calls = 2 if minute_of_day < 6 * 60 else 20
    slow = 2 if 9 * 60 <= minute_of_day < 17 * 60 and minute % 7 == 0 else 0
    return [(call * 60 // calls, 3500 if call < slow else 120) for call in range(calls)]


@dataclass
class Day:
    sumo: LocalSumo
    control: TwinControl
    start: datetime
    monitor_query: str

    @property
    def clock(self) -> ScaledClock:
        return self.sumo.twin.backend.clock  # type: ignore[return-value]

    def lines(self, first_minute: int, last_minute: int, silent: range = range(0)) -> list[str]:
        return [
            access_line(self.start + timedelta(minutes=minute, seconds=second), response_ms)
            for minute in range(first_minute, last_minute)
            if minute not in silent
            for second, response_ms in healthy_minute(minute)
        ]

    def ingest(self, lines: list[str]) -> None:
        if not lines:
            return
        url = self.api_url_root + "/receiver/v1/http/day-test"
        answer = requests.post(url, data="\n".join(lines), headers={"X-Sumo-Category": SOURCE_CATEGORY}, timeout=30)
        answer.raise_for_status()

    @property
    def api_url_root(self) -> str:
        return self.sumo.api_url.removesuffix("/api")

    def run_minutes(self, first_minute: int, last_minute: int, silent: range = range(0)) -> list[tuple[int, str]]:
        """Send the traffic of [first_minute, last_minute) as it happens (a chunk at a time, ahead of the clock)
        and run one pass at each minute boundary; the (minute, trigger type) of every alert that starts or clears."""
        moves: list[tuple[int, str]] = []
        for minute in range(first_minute, last_minute):
            if (minute - first_minute) % CHUNK_MINUTES == 0:
                self.ingest(self.lines(minute, min(minute + CHUNK_MINUTES, last_minute), silent))
            self.clock.advance(self.start.timestamp() + (minute + 1) * 60 - self.clock.now())
            report = self.control.evaluate()
            moves += [(minute + 1, alert["triggerType"]) for alert in report["fired"]]
            moves += [(minute + 1, alert["triggerType"]) for alert in report["resolved"]]
        return moves


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    with serve_local_sumo() as sumo:
        work = tmp_path_factory.mktemp("day")
        role = [{"name": "Apply the role", "ansible.builtin.include_role": {"name": "sumo_monitoring"}}]
        run = run_playbook(work, role, variables=sumo.role_variables(f"/Monitor/{work.name}"))
        assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"
        (monitor,) = sumo.twin.backend.library.monitors()
        clock: ScaledClock = sumo.twin.backend.clock  # type: ignore[assignment]
        # The clock moves only when the test moves it: each pass then runs exactly on its minute boundary, and a call
        # at the very start of a minute is inside or outside a window however long the test takes between steps.
        clock.set_speed(1e-6)
        # The day starts at the next whole minute, so every pass is on a minute boundary.
        start = datetime.fromtimestamp((int(clock.now()) // 60 + 1) * 60, tz=UTC)
        yield Day(
            sumo,
            TwinControl(sumo_url=sumo.api_url.removesuffix("/api")),
            start,
            monitor.settings["queries"][0]["query"],
        )


def test_the_deployed_monitor_has_the_two_minute_delay_and_a_missing_data_trigger(day: Day) -> None:
    (monitor,) = day.sumo.twin.backend.library.monitors()
    assert monitor.settings["evaluationDelay"] == "2m"
    assert {trigger["triggerType"] for trigger in monitor.settings["triggers"]} >= {"MissingData", "Critical"}


def test_a_day_of_healthy_traffic_raises_no_alert_then_a_silence_raises_missing_data_once(day: Day) -> None:
    # The service was already serving when the monitor's first pass ran: the windows of the first passes are full.
    day.ingest(day.lines(-WARM_UP_MINUTES, 0))
    assert day.run_minutes(0, DAY_MINUTES) == [], "a healthy day, quiet nights included, raised an alert"
    assert day.control.alerts() == []

    silent = range(DAY_MINUTES, DAY_MINUTES + SILENCE_MINUTES)
    moves = day.run_minutes(DAY_MINUTES, DAY_MINUTES + SILENCE_MINUTES + 10, silent)
    # The last call before the silence is in minute 1439; the 10-minute window [1440, 1450) is empty at the pass
    # two minutes after it ends, and the first call after it (minute 1455) is seen at the pass that ends at 1456.
    assert moves == [(DAY_MINUTES + 12, "MissingData"), (DAY_MINUTES + SILENCE_MINUTES + 3, "ResolvedMissingData")]
    assert day.control.alerts() == []


def test_the_same_day_under_a_filtering_query_would_report_missing_data_while_healthy(day: Day) -> None:
    """What the deployed query guards against: `where response_time > 3000 | count` returns no row for a healthy
    window, and the same day replayed by the twin's own rules reports MissingData again and again."""
    filtering = day.monitor_query.replace(
        "| if(response_time > 3000, 1, 0) as is_slow\n| sum(is_slow) as slow_calls",
        "| where response_time > 3000\n| count as slow_calls",
    )
    assert filtering != day.monitor_query
    trigger = TriggerSettings(
        threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="slow_calls",
        missing_data_time_range_seconds=600, evaluation_delay_seconds=120,
    )  # fmt: skip
    lines = day.lines(0, 6 * 60)
    metadata = {"_sourceCategory": SOURCE_CATEGORY}
    for query_text, expected_none in ((day.monitor_query, True), (filtering, False)):
        query = compile_query(query_text)
        events = replay_monitor(bucket_lines(lines, query, metadata), query, trigger).events
        missing = [event for event in events if event.trigger == "MissingData"]
        assert (missing == []) is expected_none, (query_text, missing[:3])


def test_the_healthy_day_is_healthy_by_the_monitors_own_threshold() -> None:
    """The traffic is what healthy_minute says: day and night rates, and never more than 5 slow calls in 10 minutes
    (so an alert in the day above would be the twin's or the query's fault, not the traffic's)."""
    minutes = [healthy_minute(minute) for minute in range(DAY_MINUTES)]
    slow = [sum(ms > 3000 for _, ms in calls) for calls in minutes]
    assert max(sum(slow[minute : minute + 10]) for minute in range(DAY_MINUTES - 10)) <= 5
    assert {len(calls) for calls in minutes} == {2, 20}
    assert 0 < sum(slow) < sum(len(calls) for calls in minutes)
