"""Moto with the Function URL host in front, on a free port: the host's tests need nothing else of the twin."""

from __future__ import annotations

import io
import json
import threading
import uuid
import zipfile
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
    clock: ScaledClock

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
    clock = ScaledClock()
    host = FunctionUrlHost(settings, clock)
    app = wrap(DomainDispatcherApplication(create_backend_app), host)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MotoWithUrls(settings.aws_url, clock)
    finally:
        host.stop()
        server.shutdown()


def make_zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def deploy(
    moto: MotoWithUrls, source: str, *, auth_type: str = "NONE", public: bool = True, timeout: int = 3
) -> tuple[str, str]:
    """Deploy `source` as app.py (handler app.handler) behind a Function URL; (function name, URL)."""
    iam = moto.client("iam")
    role_name = f"fn-role-{uuid.uuid4().hex[:8]}"
    role_arn = iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lam = moto.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.handler",
        Code={"ZipFile": make_zip(source)},
        Timeout=timeout,
        Environment={"Variables": {"GREETING": "hello from the environment"}},
    )
    url = lam.create_function_url_config(FunctionName=name, AuthType=auth_type)["FunctionUrl"]
    if public:
        lam.add_permission(
            FunctionName=name,
            StatementId="public-url",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
        lam.add_permission(
            FunctionName=name,
            StatementId="public-url-invoke",
            Action="lambda:InvokeFunction",
            Principal="*",
            InvokedViaFunctionUrl=True,
        )
    return name, url
