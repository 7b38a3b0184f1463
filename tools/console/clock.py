"""What time it is for the deployment: the state table's times are the function's clock. On AWS that is real time;
the twin (an endpoint that answers its control API's /_twin/clock) runs its Lambda and SSM on a sped-up clock of its
own, so the console reads that one."""

from __future__ import annotations

import time
from collections.abc import Callable


def deployment_clock(endpoint_url: str) -> Callable[[], float]:
    """now() for a deployment at `endpoint_url` ("" for AWS): the twin's clock where the endpoint is a twin."""
    if not endpoint_url:
        return time.time
    try:
        from emulator.control_client import TwinControl, TwinControlError
    except ImportError:  # the twin's package is not installed: the endpoint is something else
        return time.time
    control = TwinControl(aws_url=endpoint_url)

    def now() -> float:
        try:
            return float(control.clock()["now"])
        except (TwinControlError, KeyError, TypeError, ValueError):
            # Not a twin (or not answering): real time; the AWS calls that follow say what is wrong.
            return time.time()

    return now
