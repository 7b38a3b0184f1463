"""Serve only the AWS twin (used by the tests until the whole twin, Sumo included, can start)."""

from __future__ import annotations

import signal
import threading

from werkzeug.serving import make_server

from emulator.aws.server import create_aws_twin
from emulator.cli import settings_from_environment
from emulator.clock import ScaledClock


def main() -> None:
    settings = settings_from_environment()
    service = create_aws_twin(ScaledClock(speed=settings.clock_speed), settings)
    server = make_server(settings.host, settings.aws_port, service.wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    service.start()
    stop_requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
    stop_requested.wait()
    service.stop()
    server.shutdown()


if __name__ == "__main__":
    main()
