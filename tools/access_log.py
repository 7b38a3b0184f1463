"""Write a synthetic /api/data access log, in the line format the monitor's default regex reads, to try the backtest.

python -m tools.access_log --minutes 60 --calls-per-minute 20 --slow 20:3 --slow 21:3 --slow 45:6 > access.log

`access_line` is the one writer of that line: the demo's simulated API and the tests import it from here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta


def access_line(
    moment: datetime,
    response_ms: int,
    path: str = "/api/data?id=7",
    *,
    method: str = "GET",
    status: int = 200,
    size: int = 512,
    client: str = "10.0.0.1",
) -> str:
    """A combined-log line with a trailing response_time, as the product's web server writes it (time in UTC)."""
    when = moment.astimezone(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{client} - - [{when}] "{method} {path} HTTP/1.1" {status} {size} response_time={response_ms}ms'


def access_log(
    start: datetime,
    minutes: int,
    calls_per_minute: int,
    slow_calls: dict[int, int],
    silent_minutes: set[int],
    slow_ms: int = 3500,
    fast_ms: int = 120,
) -> Iterator[str]:
    """Each minute `calls_per_minute` calls evenly spaced, the first `slow_calls[minute]` of them slow; no line at all
    in `silent_minutes`."""
    for minute in range(minutes):
        if minute in silent_minutes:
            continue
        slow = slow_calls.get(minute, 0)
        calls = max(calls_per_minute, slow)
        for call in range(calls):
            moment = start + timedelta(minutes=minute, seconds=call * 60 / calls)
            yield access_line(moment, slow_ms if call < slow else fast_ms)


def _minute_count(text: str) -> tuple[int, int]:
    minute, separator, count = text.partition(":")
    if not separator or not minute.isdigit() or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected MINUTE:COUNT such as 20:6, got {text!r}")
    return int(minute), int(count)


def _minute_range(text: str) -> range:
    first, separator, last = text.partition("-")
    if not first.isdigit() or (separator and not last.isdigit()):
        raise argparse.ArgumentTypeError(f"expected MINUTE or FIRST-LAST such as 50-59, got {text!r}")
    return range(int(first), int(last or first) + 1)


def _start(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2026-11-27T10:00:00Z, got {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.access_log", description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=_start, default=_start("2026-11-27T10:00:00Z"), help="time of minute 0")
    parser.add_argument("--minutes", type=int, default=60, help="how many minutes to write (default 60)")
    parser.add_argument("--calls-per-minute", type=int, default=20, help="calls each minute (default 20)")
    parser.add_argument(
        "--slow", type=_minute_count, action="append", default=[], metavar="MINUTE:COUNT", help="slow calls in a minute"
    )
    parser.add_argument(
        "--silent", type=_minute_range, action="append", default=[], metavar="FIRST-LAST", help="minutes without lines"
    )
    parser.add_argument("--slow-ms", type=int, default=3500, help="latency of a slow call (default 3500)")
    parser.add_argument("--fast-ms", type=int, default=120, help="latency of the other calls (default 120)")
    args = parser.parse_args(argv)
    if args.minutes < 1 or args.calls_per_minute < 0:
        parser.error(f"--minutes must be 1 or more and --calls-per-minute 0 or more, got {args.minutes}, "
                     f"{args.calls_per_minute}")  # fmt: skip
    slow_calls: dict[int, int] = {}
    for minute, count in args.slow:
        slow_calls[minute] = slow_calls.get(minute, 0) + count
    silent = {minute for minutes in args.silent for minute in minutes}
    lines = access_log(args.start, args.minutes, args.calls_per_minute, slow_calls, silent, args.slow_ms, args.fast_ms)
    sys.stdout.writelines(f"{line}\n" for line in lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
