"""The monitor query: its exact shape per mode, the settings it rejects, and what the default regex matches."""

from __future__ import annotations

import re

import pytest
from ansible_collections.autoremediation.sumo_aws.plugins.filter.sumo_monitor_query import FilterModule
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_query import (
    DEFAULT_LATENCY_REGEX,
    latency_threshold,
    monitor_trigger_field,
    render_monitor_query,
)

EXPECTED_REGEX_QUERY = "\n".join(
    (
        '_sourceCategory=prod/api "/api/data"',
        r'| parse regex "\"(?:GET|POST|PUT|DELETE|PATCH) (?<path>/api/data)[^\"]*\" (?<status>\d{3}) '
        r'.*response_time=(?<response_time>[0-9.]+)ms"',
        "| num(response_time)",
        "| if(response_time > 3000, 1, 0) as is_slow",
        "| sum(is_slow) as slow_calls",
    )
)


def test_latency_regex_query_has_the_shape_the_query_engine_reads() -> None:
    assert render_monitor_query({"source_category": "prod/api"}) == EXPECTED_REGEX_QUERY


def test_latency_json_query_reads_the_path_and_duration_fields() -> None:
    query = render_monitor_query({"source_category": "prod/api", "latency_source": "json", "latency_json_field": "ms"})
    assert query.splitlines() == [
        '_sourceCategory=prod/api "/api/data"',
        '| json field=_raw "path", "ms" as path, response_time',
        '| where path = "/api/data" or path matches "/api/data?*"',
        "| num(response_time)",
        "| if(response_time > 3000, 1, 0) as is_slow",
        "| sum(is_slow) as slow_calls",
    ]


def test_seconds_unit_compares_with_seconds() -> None:
    settings = {"source_category": "prod/api", "latency_unit": "s", "latency_threshold_seconds": 2.5}
    assert "| if(response_time > 2.5, 1, 0) as is_slow" in render_monitor_query(settings)
    assert latency_threshold(settings) == 2.5


def test_fractional_seconds_become_whole_milliseconds() -> None:
    assert "| if(response_time > 1500, 1, 0) as is_slow\n" in render_monitor_query(
        {"source_category": "a", "latency_threshold_seconds": 1.5}
    )


def test_volume_mode_counts_every_call() -> None:
    settings = {"source_category": "prod/api", "mode": "volume"}
    assert render_monitor_query(settings) == '_sourceCategory=prod/api "/api/data"\n| count'
    assert monitor_trigger_field(settings) == "_count"


def test_latency_mode_triggers_on_slow_calls() -> None:
    assert monitor_trigger_field({"source_category": "prod/api"}) == "slow_calls"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"source_category": "prod api"}, "source_category must be"),
        ({"source_category": ""}, "source_category must be"),
        ({"source_category": "a", "mode": "p95"}, "mode must be one of latency, volume, got 'p95'"),
        (
            {"source_category": "a", "latency_regex": "took=(?<ms>\\d+)"},
            r"must capture the latency as \(\?<response_time>",
        ),
        ({"source_category": "a", "latency_threshold_seconds": 0}, "greater than 0"),
        ({"source_category": "a", "latency_source": "json", "latency_json_field": 'a"b'}, "latency_json_field"),
    ],
)
def test_bad_settings_are_rejected_naming_the_setting(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_monitor_query(settings)


def _python_regex(sumo_regex: str) -> re.Pattern[str]:
    return re.compile(sumo_regex.replace("(?<", "(?P<"))


@pytest.mark.parametrize(
    ("line", "milliseconds"),
    [
        (
            '10.0.0.5 - - [27/Nov/2026:10:00:00 +0000] "GET /api/data?id=7 HTTP/1.1" 200 512 response_time=3412ms',
            "3412",
        ),
        ('10.0.0.9 - - [27/Nov/2026:10:00:01 +0000] "POST /api/data HTTP/1.1" 503 0 response_time=120.5ms', "120.5"),
    ],
)
def test_default_regex_reads_the_latency_of_api_data_calls(line: str, milliseconds: str) -> None:
    match = _python_regex(DEFAULT_LATENCY_REGEX).search(line)
    assert match is not None and match["response_time"] == milliseconds and match["path"] == "/api/data"


@pytest.mark.parametrize(
    "line",
    [
        '10.0.0.5 - - [27/Nov/2026:10:00:00 +0000] "GET /api/users HTTP/1.1" 200 512 response_time=9000ms',
        '10.0.0.5 - - [27/Nov/2026:10:00:00 +0000] "GET /api/data HTTP/1.1" 200 512',
        "api-data job finished response_time=5000ms",
    ],
)
def test_default_regex_skips_other_paths_and_lines_without_a_latency(line: str) -> None:
    assert _python_regex(DEFAULT_LATENCY_REGEX).search(line) is None


def test_filter_plugin_exposes_the_same_renderer() -> None:
    filters = FilterModule().filters()
    assert filters["sumo_monitor_query"]({"source_category": "prod/api"}) == EXPECTED_REGEX_QUERY
    assert filters["sumo_monitor_trigger_field"]({"source_category": "prod/api", "mode": "volume"}) == "_count"
