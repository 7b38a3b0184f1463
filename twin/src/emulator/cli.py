"""Start, stop and inspect the local twin: `python -m emulator up|down|status|serve`.

`up` starts the twin in the background and returns once both services answer; `serve` runs it in the
foreground (what `up` starts). Settings come from the environment: TWIN_AWS_PORT (4566), TWIN_SUMO_PORT (4567),
TWIN_CLOCK_SPEED (1), TWIN_SUMO_RATE_LIMIT (1), TWIN_STATE_DIR (.twin), and SUMO_OPENAPI_SPEC (unset: the Sumo
API validates requests with the twin's compact schema; `--sumo-spec PATH` sets it to Sumo's published OpenAPI spec).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from emulator.control_client import TwinControl
from emulator.service_contract import TwinSettings

READY_TIMEOUT_SECONDS = 90.0


def settings_from_environment() -> TwinSettings:
    def env_int(name: str, default: int) -> int:
        raw = os.environ.get(name, str(default))
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            raise SystemExit(f"{name} must be a TCP port number, got {raw!r}")
        return int(raw)

    raw_speed = os.environ.get("TWIN_CLOCK_SPEED", "1")
    try:
        speed = float(raw_speed)
    except ValueError:
        raise SystemExit(f"TWIN_CLOCK_SPEED must be a positive number, got {raw_speed!r}") from None
    if speed <= 0:
        raise SystemExit(f"TWIN_CLOCK_SPEED must be a positive number, got {raw_speed!r}")
    return TwinSettings(
        aws_port=env_int("TWIN_AWS_PORT", 4566),
        sumo_port=env_int("TWIN_SUMO_PORT", 4567),
        clock_speed=speed,
        sumo_rate_limit=os.environ.get("TWIN_SUMO_RATE_LIMIT", "1") not in {"0", "false", "no"},
    )


def state_dir() -> Path:
    return Path(os.environ.get("TWIN_STATE_DIR", ".twin")).resolve()


def serve(settings: TwinSettings) -> int:
    """Run both services in this process until SIGTERM or SIGINT."""
    import logging

    from werkzeug.serving import make_server

    # Deliveries, alerts and EC2 transitions are logged at INFO: that is what a person reads in .twin/twin.log.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    from emulator.aws.server import create_aws_twin
    from emulator.clock import ScaledClock
    from emulator.sumo.server import create_sumo_twin

    clock = ScaledClock(speed=settings.clock_speed)
    services = {
        "aws": (create_aws_twin(clock, settings), settings.aws_port),
        "sumo": (create_sumo_twin(clock, settings), settings.sumo_port),
    }
    servers = []
    for name, (service, port) in services.items():
        server = make_server(settings.host, port, service.wsgi_app, threaded=True)
        threading.Thread(target=server.serve_forever, name=f"{name}-http", daemon=True).start()
        servers.append(server)
        service.start()
    print(
        json.dumps({"aws_url": settings.aws_url, "sumo_url": settings.sumo_url, "clock_speed": clock.speed}),
        flush=True,
    )

    stop_requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
    signal.signal(signal.SIGINT, lambda *_: stop_requested.set())
    stop_requested.wait()
    for service, _port in services.values():
        service.stop()
    for server in servers:
        server.shutdown()
    return 0


def up(settings: TwinSettings) -> int:
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    pid_file = directory / "twin.pid"
    already_running = pid_file.exists() and _pid_alive(int(pid_file.read_text()))
    control = TwinControl(settings.aws_url, settings.sumo_url)
    if already_running and control.healthy():
        print(f"twin already up: AWS {settings.aws_url}, Sumo Logic {settings.sumo_url}/api")
        return 0
    for service, url in (("aws", settings.aws_url), ("sumo", settings.sumo_url)):
        if control.answers(service):
            print(f"something already answers at {url}; stop it or set TWIN_AWS_PORT / TWIN_SUMO_PORT")
            return 1
    log_path = directory / "twin.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(f"twin exited with code {process.returncode} before answering; see {log_path}")
            print(_tail(log_path))
            return 1
        if control.healthy():
            print(f"twin up (pid {process.pid}): AWS {settings.aws_url}, Sumo Logic {settings.sumo_url}/api")
            print(f"clock speed {settings.clock_speed}x; log {log_path}")
            return 0
        time.sleep(0.2)
    print(f"twin did not answer within {READY_TIMEOUT_SECONDS:.0f}s; see {log_path}")
    _terminate(process.pid)
    return 1


def down() -> int:
    pid_file = state_dir() / "twin.pid"
    if not pid_file.exists():
        print("twin is not running (no pid file)")
        return 0
    pid = int(pid_file.read_text())
    _terminate(pid)
    pid_file.unlink(missing_ok=True)
    print(f"twin stopped (pid {pid})")
    return 0


def status(settings: TwinSettings) -> int:
    control = TwinControl(settings.aws_url, settings.sumo_url)
    aws_ok, sumo_ok = control.answers("aws"), control.answers("sumo")
    print(f"AWS  {settings.aws_url}: {'up' if aws_ok else 'down'}")
    print(f"Sumo {settings.sumo_url}/api: {'up' if sumo_ok else 'down'}")
    return 0 if aws_ok and sumo_ok else 1


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate(pid: int, grace_seconds: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and _pid_alive(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    if _pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status", "serve"])
    parser.add_argument(
        "--sumo-spec", type=Path, help="Sumo Logic's OpenAPI spec (sumologic-api.yaml) to validate requests with"
    )
    args = parser.parse_args(argv)
    if args.command == "down":
        return down()
    if args.sumo_spec is not None:
        os.environ["SUMO_OPENAPI_SPEC"] = str(args.sumo_spec.resolve())
    configured_spec = os.environ.get("SUMO_OPENAPI_SPEC", "").strip()
    if args.command in ("up", "serve") and configured_spec and not Path(configured_spec).expanduser().is_file():
        parser.error(f"the Sumo OpenAPI spec {configured_spec} (SUMO_OPENAPI_SPEC or --sumo-spec) is not a file")
    settings = settings_from_environment()
    return {"up": up, "status": status, "serve": serve}[args.command](settings)
