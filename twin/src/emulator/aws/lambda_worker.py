"""One warm Lambda "container": imports a deployed handler once and runs invocations sent over a pipe.

Started by the Function URL host as `python -m emulator.aws.lambda_worker CODE_DIR HANDLER CLOCK_READING` with the
function's environment. Protocol: one JSON object per line on stdin ({"event", "context", "clock"}), one JSON reply
per line on the original stdout. The function's own prints and log lines go to stderr, which the host forwards to
CloudWatch Logs, so nothing the function writes can corrupt the protocol.

A function on Lambda has one clock, the system's; here that clock is the twin's. CLOCK_READING (JSON: "now",
"speed", "monotonic", as emulator.clock.ClockReading, and "not_before") sets it for the import; each request's
"clock" resets it, so a speed change or a jump reaches a warm worker at its next invocation, and each reply's
"clock" is the latest time the function was given, which the host passes on as later requests' "not_before".
time.time, time.time_ns and datetime.datetime.now/utcnow (and so date.today) read it. They are replaced before the
handler's module is imported, since code binds them at import (`clock: Callable[[], float] = time.time`).
time.monotonic and time.perf_counter stay real: timeouts and the invocation's deadline are real-time budgets, and
the host enforces them in real time.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import sys
import threading
import time
import traceback
from typing import Any, TextIO


class TwinClock:
    """The twin's time, run on from the host's latest reading: `now + (monotonic elapsed since) x speed`.

    The elapsed time is counted from the monotonic instant the host read its clock, not from when the line arrived:
    both processes run on one machine and share its monotonic clock (CLOCK_MONOTONIC, system-wide), so a busy
    machine's pipe latency does not set the function's clock back by latency x speed. It never goes backwards: a
    reading behind what was already returned, here or by an invocation elsewhere that has ended ("not_before"; the
    twin was slowed down meanwhile), holds the clock until the twin catches up, since code that measures with
    time.time() must not see a negative duration.
    """

    def __init__(self, reading: dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self._latest = float("-inf")
        self.set(reading)

    def set(self, reading: dict[str, Any]) -> None:
        with self._lock:
            self._now = float(reading["now"])
            self._speed = float(reading["speed"])
            # A stamp ahead of this process's monotonic clock would run the clock backwards; start from here instead.
            self._monotonic = min(float(reading["monotonic"]), time.monotonic())
            self._latest = max(self._latest, float(reading.get("not_before", self._latest)))

    @property
    def latest(self) -> float:
        """The latest time handed out (or held to), for the host."""
        with self._lock:
            return self._latest

    def time(self) -> float:
        with self._lock:
            now = self._now + (time.monotonic() - self._monotonic) * self._speed
            self._latest = max(self._latest, now)
            return self._latest

    def time_ns(self) -> int:
        return int(self.time() * 1_000_000_000)


def install_clock(clock: TwinClock) -> None:
    """Make the function's wall clock the twin's: time.time, time.time_ns and datetime.datetime.now/utcnow."""
    time.time = clock.time
    time.time_ns = clock.time_ns
    real_datetime = datetime.datetime

    class _DatetimeType(type):
        # Datetimes made by C code (and by anything imported before this) are of the real class; they still count.
        def __instancecheck__(cls, instance: object) -> bool:
            return isinstance(instance, real_datetime)

        def __subclasscheck__(cls, subclass: type) -> bool:
            return issubclass(subclass, real_datetime)

    class TwinDatetime(real_datetime, metaclass=_DatetimeType):
        """datetime.datetime whose now() and utcnow() read the twin's clock (the C ones read the system's)."""

        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> TwinDatetime:
            return cls.fromtimestamp(clock.time(), tz)

        @classmethod
        def utcnow(cls) -> TwinDatetime:
            return cls.fromtimestamp(clock.time(), datetime.UTC).replace(tzinfo=None)

    # Named as the real class, so reprs, pickles and error messages read as they do on Lambda.
    TwinDatetime.__name__ = TwinDatetime.__qualname__ = "datetime"
    TwinDatetime.__module__ = "datetime"
    datetime.datetime = TwinDatetime  # type: ignore[misc]


class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.function_name: str = fields["function_name"]
        self.function_version: str = fields.get("function_version", "$LATEST")
        self.invoked_function_arn: str = fields["invoked_function_arn"]
        self.memory_limit_in_mb: int = int(fields.get("memory_limit_in_mb", 128))
        self.aws_request_id: str = fields["aws_request_id"]
        self.log_group_name: str = fields.get("log_group_name", f"/aws/lambda/{self.function_name}")
        self.log_stream_name: str = fields.get("log_stream_name", "local")
        # A real-time budget, as the host enforces it: the function's own clock runs at the twin's speed.
        self._deadline_monotonic: float = float(fields["deadline_monotonic"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline_monotonic - time.monotonic()) * 1000))


def _error_reply(kind: str, error: BaseException) -> dict[str, Any]:
    return {
        "ok": False,
        "kind": kind,
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def _load_handler(code_dir: str, handler_spec: str) -> Any:
    module_name, _, function_name = handler_spec.rpartition(".")
    if not module_name or not function_name:
        raise ValueError(f"handler {handler_spec!r} is not of the form module.function")
    sys.path.insert(0, code_dir)
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise AttributeError(f"module {module_name!r} has no callable {function_name!r}")
    return handler


def serve(code_dir: str, handler_spec: str, clock: TwinClock, requests: TextIO, replies: TextIO) -> None:
    try:
        handler = _load_handler(code_dir, handler_spec)
        init_reply: dict[str, Any] = {"ok": True, "ready": True}
    except Exception as error:  # an init failure is reported to the host, as Lambda reports Runtime.ImportModuleError
        handler = None
        init_reply = _error_reply("init", error)
    replies.write(json.dumps(init_reply) + "\n")
    replies.flush()
    if handler is None:
        return
    for line in requests:
        request = json.loads(line)
        clock.set(request["clock"])
        try:
            result = handler(request["event"], LambdaContext(request["context"]))
            encoded = json.dumps({"ok": True, "result": result, "clock": clock.latest}, default=str)
        except Exception as error:  # the function's own failure becomes the invocation's error, as on Lambda
            encoded = json.dumps({**_error_reply("invoke", error), "clock": clock.latest}, default=str)
        sys.stdout.flush()
        sys.stderr.flush()
        replies.write(encoded + "\n")
        replies.flush()


def main() -> int:
    code_dir, handler_spec, clock_reading = sys.argv[1], sys.argv[2], sys.argv[3]
    clock = TwinClock(json.loads(clock_reading))
    install_clock(clock)
    # Keep the real stdout for replies, then point fd 1 at stderr so prints and loggers cannot corrupt the protocol.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    os.chdir(code_dir)
    serve(code_dir, handler_spec, clock, sys.stdin, replies)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
