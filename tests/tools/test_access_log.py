"""The synthetic access-log writer: the line format the monitor's default query reads, and its arguments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tools.access_log import access_line, access_log, main


def test_slow_calls_come_first_in_their_minute_and_silent_minutes_have_no_lines() -> None:
    start = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    lines = list(access_log(start, minutes=3, calls_per_minute=4, slow_calls={1: 2}, silent_minutes={2}))
    assert len(lines) == 8
    assert lines[4] == (
        '10.0.0.1 - - [27/Nov/2026:10:01:00 +0000] "GET /api/data?id=7 HTTP/1.1" 200 512 response_time=3500ms'
    )
    assert [line.rsplit("=", 1)[1] for line in lines[4:]] == ["3500ms", "3500ms", "120ms", "120ms"]


def test_one_line_takes_its_client_method_status_and_size_and_is_written_in_utc() -> None:
    moment = datetime.fromisoformat("2026-11-27T11:02:03+01:00")
    line = access_line(moment, 4100, "/api/data", method="POST", status=503, size=77, client="10.0.3.4")
    assert line == '10.0.3.4 - - [27/Nov/2026:10:02:03 +0000] "POST /api/data HTTP/1.1" 503 77 response_time=4100ms'


def test_more_slow_calls_than_calls_per_minute_adds_calls() -> None:
    start = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert len(list(access_log(start, minutes=1, calls_per_minute=2, slow_calls={0: 6}, silent_minutes=set()))) == 6


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--slow", "20"], "expected MINUTE:COUNT"),
        (["--silent", "a-b"], "expected MINUTE or FIRST-LAST"),
        (["--start", "yesterday"], "expected an ISO 8601 time"),
        (["--minutes", "0"], "--minutes must be 1 or more"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(arguments)
    assert message in capsys.readouterr().err
