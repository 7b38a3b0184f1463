"""Run deployed Lambda code locally: a pool of warm worker processes per function version, no Docker.

Each worker is a separate Python process with the function's configured environment, its unpacked zip first on
sys.path (as /var/task is on Lambda) and AWS_ENDPOINT_URL pointing at the twin, so its AWS calls stay local.
A new code hash, handler or environment starts a new pool, as a new deployment gets new containers on Lambda.
The function's wall clock is the twin's: every request carries a fresh reading of it (lambda_worker.TwinClock).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from emulator.clock import ClockReading

LOG = logging.getLogger("twin.lambda")

LogSink = Callable[[str, str, list[tuple[int, str]]], None]
"""(log group, log stream, [(epoch ms, message)]) -> None"""

ClockReader = Callable[[], ClockReading]
"""The twin's clock, read for a worker's start and for each invocation."""

WORKER_START_TIMEOUT_SECONDS = 60.0
MAX_UNPACKED_BYTES = 250 * 1024 * 1024  # Lambda's limit for an unzipped deployment package


@dataclass(frozen=True)
class FunctionVersion:
    """What decides which warm workers may serve an invocation."""

    function_name: str
    function_arn: str
    handler: str
    runtime: str
    code_sha256: str
    environment: tuple[tuple[str, str], ...]
    timeout_seconds: int
    memory_mb: int
    region: str

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"


@dataclass(frozen=True)
class Invocation:
    ok: bool
    result: Any = None
    error_type: str = ""
    error_message: str = ""


class WorkerFailedError(Exception):
    """The worker process could not start, import the handler, or answer in time."""


class FunctionClock:
    """The twin's clock as functions read it, never earlier than what an invocation that has ended saw.

    A worker runs its reading on at the speed it was given, so when the twin is slowed down during an invocation,
    that worker runs ahead of the twin until the invocation ends; the next invocation, on any worker, holds its
    clock at what that one saw until the twin catches up ("not_before").
    """

    def __init__(self, read_clock: ClockReader) -> None:
        self._read_clock = read_clock
        self._lock = threading.Lock()
        self._seen = 0.0

    def reading(self) -> dict[str, float]:
        with self._lock:
            seen = self._seen
        return {**asdict(self._read_clock()), "not_before": seen}

    def saw(self, latest: float) -> None:
        with self._lock:
            self._seen = max(self._seen, latest)


class Worker:
    """One warm process serving one invocation at a time."""

    def __init__(
        self, version: FunctionVersion, code_dir: Path, aws_url: str, log_sink: LogSink, clock: FunctionClock
    ) -> None:
        self.version = version
        self.log_stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        self._log_sink = log_sink
        self._clock = clock
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **dict(version.environment),
            # Reserved variables win over the function's own, as Lambda refuses to let them be set.
            "AWS_ENDPOINT_URL": aws_url,
            "AWS_REGION": version.region,
            "AWS_DEFAULT_REGION": version.region,
            "AWS_ACCESS_KEY_ID": "ASIALOCALTWINWORKER",
            "AWS_SECRET_ACCESS_KEY": "local-twin-worker-secret",
            "AWS_SESSION_TOKEN": "local-twin-session",
            "AWS_LAMBDA_FUNCTION_NAME": version.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(version.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": version.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{version.runtime}",
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_HANDLER": version.handler,
        }
        start_reading = json.dumps(clock.reading())  # the clock during init, until the first request's
        self._process = subprocess.Popen(
            [sys.executable, "-m", "emulator.aws.lambda_worker", str(code_dir), version.handler, start_reading],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=str(code_dir),
            text=True,
            bufsize=1,
        )
        self._replies: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read_replies, daemon=True).start()
        threading.Thread(target=self._forward_logs, daemon=True).start()
        ready = self._next_reply(WORKER_START_TIMEOUT_SECONDS)
        if not ready.get("ok"):
            self.kill()
            raise WorkerFailedError(f"{ready.get('errorType', 'Runtime.InitError')}: {ready.get('errorMessage', '')}")

    def _read_replies(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._replies.put(line)
        self._replies.put(None)

    def _forward_logs(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._emit([line.rstrip("\n")])

    def _emit(self, messages: list[str]) -> None:
        # Real time, not the twin's: moto's PutLogEvents drops events more than 2 hours ahead of its (real) clock,
        # which a sped-up twin passes within a minute.
        now_ms = int(time.time() * 1000)
        try:
            self._log_sink(self.version.log_group, self.log_stream, [(now_ms, message) for message in messages])
        except Exception:  # logging must never break an invocation
            LOG.exception("could not forward logs of %s", self.version.function_name)

    def _next_reply(self, timeout_seconds: float) -> dict[str, Any]:
        try:
            line = self._replies.get(timeout=timeout_seconds)
        except queue.Empty:
            raise WorkerFailedError(f"Task timed out after {timeout_seconds:.2f} seconds") from None
        if line is None:
            raise WorkerFailedError(f"Runtime exited with code {self._process.wait()}")
        return json.loads(line)

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def invoke(self, event: dict[str, Any]) -> Invocation:
        request_id = str(uuid.uuid4())
        clock = self._clock.reading()
        context = {
            "function_name": self.version.function_name,
            "invoked_function_arn": self.version.function_arn,
            "memory_limit_in_mb": self.version.memory_mb,
            "aws_request_id": request_id,
            "log_group_name": self.version.log_group,
            "log_stream_name": self.log_stream,
            # Real monotonic time: the host waits timeout_seconds of real time for the reply, whatever the speed.
            "deadline_monotonic": clock["monotonic"] + self.version.timeout_seconds,
        }
        self._emit([f"START RequestId: {request_id} Version: $LATEST"])
        started = time.monotonic()
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps({"event": event, "context": context, "clock": clock}) + "\n")
            self._process.stdin.flush()
            reply = self._next_reply(self.version.timeout_seconds)
        except (WorkerFailedError, OSError) as failure:
            self.kill()
            self._emit([f"{request_id} {failure}"])
            return Invocation(ok=False, error_type="Sandbox.Timedout", error_message=str(failure))
        finally:
            duration_ms = (time.monotonic() - started) * 1000
            self._emit(
                [
                    f"END RequestId: {request_id}",
                    f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
                    f"Memory Size: {self.version.memory_mb} MB",
                ]
            )
        self._clock.saw(float(reply.get("clock", 0.0)))
        if reply.get("ok"):
            return Invocation(ok=True, result=reply.get("result"))
        self._emit([json.dumps({k: reply.get(k) for k in ("errorType", "errorMessage", "stackTrace")})])
        return Invocation(ok=False, error_type=reply.get("errorType", ""), error_message=reply.get("errorMessage", ""))

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self._process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)


class WorkerPool:
    """Warm workers of one function version; at most `max_workers` run at once, the rest of the callers queue."""

    def __init__(
        self,
        version: FunctionVersion,
        code_dir: Path,
        aws_url: str,
        log_sink: LogSink,
        clock: FunctionClock,
        max_workers: int,
    ) -> None:
        self.version = version
        self._code_dir = code_dir
        self._aws_url = aws_url
        self._log_sink = log_sink
        self._clock = clock
        self._idle: list[Worker] = []
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_workers)

    def invoke(self, event: dict[str, Any]) -> Invocation:
        with self._slots:
            worker = self._take_worker()
            try:
                return worker.invoke(event)
            finally:
                with self._lock:
                    if worker.alive:
                        self._idle.append(worker)
                    elif worker in self._all:
                        self._all.remove(worker)

    def _take_worker(self) -> Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive:
                    return worker
                self._all.remove(worker)
        worker = Worker(self.version, self._code_dir, self._aws_url, self._log_sink, self._clock)
        with self._lock:
            self._all.append(worker)
        return worker

    def close(self) -> None:
        with self._lock:
            workers, self._all, self._idle = self._all, [], []
        for worker in workers:
            worker.kill()


class LambdaRuntime:
    """Maps function versions to worker pools and unpacks their code once per code hash."""

    def __init__(
        self, aws_url: str, log_sink: LogSink, read_clock: ClockReader, max_workers_per_function: int = 8
    ) -> None:
        self._aws_url = aws_url
        self._log_sink = log_sink
        self._clock = FunctionClock(read_clock)
        self._max_workers = max_workers_per_function
        self._code_root = Path(tempfile.mkdtemp(prefix="twin-lambda-code-"))
        self._pools: dict[str, WorkerPool] = {}
        self._lock = threading.Lock()

    def invoke(self, version: FunctionVersion, code_zip: bytes, event: dict[str, Any]) -> Invocation:
        try:
            pool = self._pool_for(version, code_zip)
            return pool.invoke(event)
        except WorkerFailedError as failure:
            LOG.warning("function %s failed to start: %s", version.function_name, failure)
            return Invocation(ok=False, error_type="Runtime.InitError", error_message=str(failure))

    def _pool_for(self, version: FunctionVersion, code_zip: bytes) -> WorkerPool:
        with self._lock:
            current = self._pools.get(version.function_arn)
            if current is not None and current.version == version:
                return current
            code_dir = self._unpack(code_zip)
            pool = WorkerPool(version, code_dir, self._aws_url, self._log_sink, self._clock, self._max_workers)
            self._pools[version.function_arn] = pool
        if current is not None:
            current.close()
        return pool

    def _unpack(self, code_zip: bytes) -> Path:
        digest = hashlib.sha256(code_zip).hexdigest()
        target = self._code_root / digest
        if target.exists():
            return target
        staging = Path(tempfile.mkdtemp(dir=self._code_root))
        with zipfile.ZipFile(io.BytesIO(code_zip)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise WorkerFailedError(f"unzipped code is {unpacked} bytes, over Lambda's {MAX_UNPACKED_BYTES}")
            for member in archive.infolist():
                destination = (staging / member.filename).resolve()
                if not destination.is_relative_to(staging.resolve()):
                    raise WorkerFailedError(f"zip entry {member.filename!r} points outside the package")
            archive.extractall(staging)
        staging.rename(target)
        return target

    def stop(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
        shutil.rmtree(self._code_root, ignore_errors=True)
