"""Moto with the Function URL host in front, on a free port: the host's tests need nothing else of the twin."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

from emulator.aws.function_urls import FunctionUrlHost, wrap
from emulator.clock import ScaledClock
from emulator.service_contract import TwinSettings
from emulator.testing import free_port


@dataclass
class MotoWithUrls:
    url: str

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="module")
def moto_with_urls() -> Iterator[MotoWithUrls]:
    port = free_port()
    settings = TwinSettings(aws_port=port)
    host = FunctionUrlHost(settings, ScaledClock())
    app = wrap(DomainDispatcherApplication(create_backend_app), host)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MotoWithUrls(settings.aws_url)
    finally:
        host.stop()
        server.shutdown()
