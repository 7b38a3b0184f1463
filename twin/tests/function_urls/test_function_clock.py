"""A deployed function reads the twin's clock, as a function on Lambda reads its one system clock.

Each check brackets what the function saw between two readings of the twin's clock (or of its own monotonic clock),
so it holds however slow the machine is: nothing here waits for a window of sped-up time.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.function_urls.conftest import MotoWithUrls, deploy

CLOCK_SOURCE = """
import datetime, time
from dataclasses import dataclass
from typing import Callable

IMPORTED_AT = time.time()


@dataclass(frozen=True)
class Runtime:
    clock: Callable[[], float] = time.time  # bound at import, as the product's Lambda binds it


def handler(event, context):
    before_first, first, after_first = time.monotonic(), time.time(), time.monotonic()
    time.sleep(0.3 if event["rawPath"] == "/sleepy" else 0.05)
    before_last, last, after_last = time.monotonic(), time.time(), time.monotonic()
    return {
        "imported_at": IMPORTED_AT,
        "first": first,
        "last": last,
        "elapsed_real_at_least": before_last - after_first,
        "elapsed_real_at_most": after_last - before_first,
        "time_ns": time.time_ns() / 1e9,
        "bound_clock": Runtime().clock(),
        "datetime_now": datetime.datetime.now(datetime.timezone.utc).timestamp(),
        "datetime_utcnow": datetime.datetime.utcnow().replace(tzinfo=datetime.timezone.utc).timestamp(),
        "today": datetime.date.today().isoformat(),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""

THREE_DAYS = 3 * 24 * 3600
EPSILON = 0.01  # float rounding of epoch seconds, not a timing allowance


@pytest.fixture
def function_url(moto_with_urls: MotoWithUrls) -> str:
    moto_with_urls.clock.set_speed(1)
    _, url = deploy(moto_with_urls, CLOCK_SOURCE, timeout=3)
    return url


def call(url: str, path: str = "plain") -> dict[str, Any]:
    response = requests.get(f"{url}{path}", timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def timed_call(moto: MotoWithUrls, url: str, path: str = "plain") -> tuple[float, dict[str, Any], float]:
    """(twin time before, what the function saw, twin time after)."""
    before = moto.clock.now()
    seen = call(url, path)
    return before, seen, moto.clock.now()


def assert_sees_the_twin(before: float, seen: dict[str, Any], after: float, speed: float) -> None:
    for key in ("first", "last", "time_ns", "bound_clock", "datetime_now", "datetime_utcnow"):
        assert before - EPSILON <= seen[key] <= after + EPSILON, (key, before, seen[key], after)
    # Inside the invocation the clock runs at the twin's speed: real elapsed time between the reads x speed.
    elapsed = seen["last"] - seen["first"]
    assert seen["elapsed_real_at_least"] * speed - EPSILON <= elapsed <= seen["elapsed_real_at_most"] * speed + EPSILON


def test_a_function_reads_the_twin_clock_at_its_speed(moto_with_urls, function_url):
    moto_with_urls.clock.advance(THREE_DAYS)
    moto_with_urls.clock.set_speed(120)
    before, seen, after = timed_call(moto_with_urls, function_url)
    assert_sees_the_twin(before, seen, after, speed=120)
    assert seen["today"] in {time.strftime("%Y-%m-%d", time.gmtime(moment)) for moment in (before, after)}
    assert seen["last"] > time.time() + THREE_DAYS - 60  # not the real clock


def test_the_clock_at_import_is_the_twin_clock(moto_with_urls, function_url):
    moto_with_urls.clock.set_speed(120)
    before = moto_with_urls.clock.now()
    seen = call(function_url)  # a cold start: the first call to this function imports it
    assert before - EPSILON <= seen["imported_at"] <= seen["first"]


def test_a_speed_change_and_a_jump_reach_a_warm_worker(moto_with_urls, function_url):
    moto_with_urls.clock.set_speed(600)
    assert_sees_the_twin(*timed_call(moto_with_urls, function_url), speed=600)
    moto_with_urls.clock.set_speed(1)
    assert_sees_the_twin(*timed_call(moto_with_urls, function_url), speed=1)
    moto_with_urls.clock.advance(THREE_DAYS)
    assert_sees_the_twin(*timed_call(moto_with_urls, function_url), speed=1)
    moto_with_urls.clock.set_speed(240)
    assert_sees_the_twin(*timed_call(moto_with_urls, function_url), speed=240)


def test_the_clock_never_goes_backwards_across_invocations(moto_with_urls, function_url):
    clock = moto_with_urls.clock
    clock.set_speed(600)
    with ThreadPoolExecutor(max_workers=4) as pool:  # several warm workers, each with its own copy of the clock
        list(pool.map(lambda _: call(function_url), range(4)))
    latest = 0.0
    for speed in (600, 1, 120, 5, 600, 1):
        clock.set_speed(speed)
        seen = call(function_url)
        assert seen["first"] >= latest
        latest = seen["last"]


def test_a_slowdown_during_an_invocation_does_not_send_later_ones_back(moto_with_urls, function_url):
    """Workers run ahead of a twin slowed down while they run; whatever they saw, later invocations see no earlier."""
    clock = moto_with_urls.clock
    clock.set_speed(600)
    results: list[dict[str, Any]] = []
    callers = [threading.Thread(target=lambda: results.append(call(function_url, "sleepy"))) for _ in range(2)]
    for caller in callers:
        caller.start()
    time.sleep(0.1)
    clock.set_speed(1)
    for caller in callers:
        caller.join()
    latest = max(seen["last"] for seen in results)
    with ThreadPoolExecutor(max_workers=2) as pool:
        later = list(pool.map(lambda _: call(function_url), range(2)))
    assert all(seen["first"] >= latest for seen in later), (latest, later)


def test_remaining_time_is_a_real_time_budget_whatever_the_speed(moto_with_urls, function_url):
    moto_with_urls.clock.set_speed(600)  # the function's 3 s would be 5 ms of real time at the twin's speed
    for _ in range(3):
        started = time.monotonic()
        seen = call(function_url)
        call_ms = (time.monotonic() - started) * 1000
        # The budget began after the call did and was read before it ended: it lost at most the call's real time.
        assert 3000 - call_ms - 1 <= seen["remaining_ms"] <= 3000
        assert seen["remaining_ms"] > 0
