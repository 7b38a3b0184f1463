"""The kill switch: the SSM String parameter the function reads before every start, `enabled` or `disabled`
(anything else counts as disabled, so a typo fails safe)."""

from __future__ import annotations

from dataclasses import dataclass

from tools.console.aws import Aws

ENABLED, DISABLED = "enabled", "disabled"


@dataclass(frozen=True)
class KillSwitch:
    parameter: str
    value: str

    @property
    def enabled(self) -> bool:
        return self.value == ENABLED


def read_switch(aws: Aws) -> KillSwitch:
    name = aws.deployment.switch_parameter
    with aws.about(f"the kill switch {name}"):
        value = aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    return KillSwitch(name, str(value))


def write_switch(aws: Aws, value: str) -> KillSwitch:
    """Set the switch (it must exist: read_switch first, so a missing deployment is never created here)."""
    name = aws.deployment.switch_parameter
    with aws.about(f"the kill switch {name}"):
        aws.client("ssm").put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    return KillSwitch(name, value)
