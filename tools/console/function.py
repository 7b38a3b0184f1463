"""The deployed webhook function as the console needs it: its settings, read from its environment with the
function's own configuration code, so the console's cooldown, window and topic are the ones the function uses."""

from __future__ import annotations

from tools.console.aws import Aws
from tools.console.errors import ConsoleError
from tools.console.lambda_source import ConfigError, Settings


def function_settings(aws: Aws) -> Settings:
    """The function's Settings (GetFunctionConfiguration); ConsoleError when it is missing or misconfigured."""
    name = aws.deployment.function
    with aws.about(f"the webhook function {name}"):
        configuration = aws.client("lambda").get_function_configuration(FunctionName=name)
    environment = (configuration.get("Environment") or {}).get("Variables") or {}
    try:
        return Settings.from_environ(environment)
    except ConfigError as error:
        raise ConsoleError(f"the webhook function {name} is misconfigured: {error}") from None
