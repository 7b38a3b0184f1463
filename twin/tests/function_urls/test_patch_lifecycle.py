"""The host's change to moto is process-wide; stopping the host must undo it (tests share one process)."""

from __future__ import annotations

from moto.awslambda import models as lambda_models

from emulator.aws.function_urls import FunctionUrlHost
from emulator.clock import ScaledClock
from emulator.service_contract import TwinSettings


def test_stopping_the_host_gives_moto_back_its_own_urls():
    original = lambda_models.FunctionUrlConfig.__init__
    host = FunctionUrlHost(TwinSettings(aws_port=1), ScaledClock())
    assert lambda_models.FunctionUrlConfig.__init__ is not original
    host.stop()
    assert lambda_models.FunctionUrlConfig.__init__ is original
