"""HTTP Source ingestion: one message per line, metadata from X-Sumo-* headers, message time and retention."""

from __future__ import annotations

import gzip

import pytest
import requests

from emulator.control_client import LogsSummary
from emulator.sumo.message_time import MessageTimeReader
from tests.sumo.conftest import CLOCK_START


def stored(sumo, limit: int = 100) -> LogsSummary:
    return sumo.control.logs(limit)


def test_each_line_is_one_message_with_metadata_from_the_headers(sumo):
    sumo.ingest("first line\n\nsecond line\n", category="prod/app", **{"X-Sumo-Name": "nginx", "X-Sumo-Host": "web-1"})
    logs = stored(sumo)
    assert logs["count"] == 2
    assert [record["raw"] for record in logs["latest"]] == ["first line", "second line"]
    fields = logs["latest"][0]["fields"]
    assert fields["_sourceCategory"] == "prod/app"
    assert fields["_sourceName"] == "nginx"
    assert fields["_sourceHost"] == "web-1"
    assert fields["_collector"]


def test_a_line_without_timestamp_gets_the_twin_clock_at_receipt(sumo, clock):
    clock.advance(3600)
    sumo.ingest("no timestamp here")
    timestamp_ms = stored(sumo)["latest"][0]["timestampMs"]
    assert (CLOCK_START + 3600) * 1000 <= timestamp_ms <= clock.now() * 1000


def test_a_leading_iso_timestamp_sets_the_message_time(sumo):
    sumo.ingest("2027-01-15T07:55:00.250Z GET /api/data")
    assert stored(sumo)["latest"][0]["timestampMs"] == int((CLOCK_START - 300) * 1000) + 250


def test_a_combined_log_time_sets_the_message_time(sumo):
    sumo.ingest('10.0.0.7 - - [15/Jan/2027:07:55:00 +0000] "GET /api/data HTTP/1.1" 200 512')
    assert stored(sumo)["latest"][0]["timestampMs"] == int((CLOCK_START - 300) * 1000)


def test_a_json_ts_key_sets_the_message_time(sumo):
    sumo.ingest('{"ts": "2027-01-15T07:55:00Z", "path": "/api/data"}')
    assert stored(sumo)["latest"][0]["timestampMs"] == int((CLOCK_START - 300) * 1000)


def test_an_implausible_timestamp_falls_back_to_receipt_time(sumo, clock):
    sumo.ingest("2001-01-01T00:00:00Z ancient\n2030-01-01T00:00:00Z future")
    times = [record["timestampMs"] for record in stored(sumo)["latest"]]
    assert all(CLOCK_START * 1000 <= moment <= clock.now() * 1000 for moment in times)


@pytest.mark.parametrize(
    ("line", "expected_ms"),
    [
        ("2027-01-15T08:00:00Z x", 1_800_000_000_000),
        ("2027-01-15 08:00:00 x", 1_800_000_000_000),
        ("2027-01-15T09:00:00+01:00 x", 1_800_000_000_000),
        ("2027-01-15T09:00:00+0100 x", 1_800_000_000_000),
        ("2027-01-15T08:00:00,5Z x", 1_800_000_000_500),
        ("2027-01-15T08:00:60Z x", None),
        ("15/01/2027 08:00:00 x", None),
        ("x 2027-01-15T08:00:00Z", None),
    ],
)
def test_leading_timestamp_rule(line, expected_ms):
    assert MessageTimeReader()(line) == expected_ms


def test_gzip_bodies_are_accepted(sumo):
    body = gzip.compress(b"zipped one\nzipped two\n")
    response = requests.post(
        f"{sumo.url}/receiver/v1/http/TOKEN", data=body, headers={"Content-Encoding": "gzip"}, timeout=10
    )
    assert response.status_code == 200
    assert stored(sumo)["count"] == 2


def test_lines_older_than_a_day_of_virtual_time_are_dropped(sumo, clock):
    sumo.ingest("old line")
    clock.advance(25 * 3600)
    sumo.ingest("new line")
    logs = stored(sumo)
    assert [record["raw"] for record in logs["latest"]] == ["new line"]
