"""The webhook Lambda's own code, for the rules the console must read exactly as the function does: its configuration
(the deployed function's environment, with its defaults), its guard rules, its store's reset and its publish."""

from __future__ import annotations

import sys
from pathlib import Path

LAMBDA_SOURCE = Path(__file__).resolve().parents[2] / "lambda"
if str(LAMBDA_SOURCE) not in sys.path:
    sys.path.append(str(LAMBDA_SOURCE))

from remediation_webhook.config import INSTANCE_ID, ConfigError, Settings  # noqa: E402 (the Lambda's source, added above)
from remediation_webhook.guard_model import GuardRules  # noqa: E402
from remediation_webhook.notify import publish  # noqa: E402
from remediation_webhook.state import DecisionStore  # noqa: E402

__all__ = ["INSTANCE_ID", "ConfigError", "DecisionStore", "GuardRules", "Settings", "guard_rules", "publish"]


def guard_rules(settings: Settings) -> GuardRules:
    """The rules the function decides by, from its settings (as the function builds them)."""
    return GuardRules(
        settings.cooldown_seconds,
        settings.max_attempts,
        settings.attempt_window_seconds,
        settings.relapse_seconds,
        settings.max_relapses,
        settings.circuit_heal_seconds,
    )
