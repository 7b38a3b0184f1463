"""The shape of two deployment inputs, defined once: an EC2 instance id and the webhook secret.

The roles apply them through this collection's filters (plugins/filter/input_rules.py). The Lambda, the runbook and
the AWS twin cannot import the collection and keep copies of the instance-id pattern, which tests/test_input_rules.py
holds equal to this one. Where the Sumo Logic API may be is sumologic_client.resolve_endpoint's rule.
"""

from __future__ import annotations

import re

# AWS instance ids are "i-" and 8 hex digits (older) or 17 (current). Non-capturing, so it embeds in other patterns.
EC2_INSTANCE_ID_PATTERN = r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$"
EC2_INSTANCE_ID_SHAPE = "i- and 8 or 17 lower-case hex digits, like i-0123456789abcdef0"

# The Lambda compares the secret in constant time, but a short one can be guessed. It travels as
# "Authorization: Bearer <secret>", so only visible ASCII survives the header unchanged (no spaces, no non-ASCII).
WEBHOOK_SECRET_MIN_LENGTH = 32
WEBHOOK_SECRET_PATTERN = rf"^[!-~]{{{WEBHOOK_SECRET_MIN_LENGTH},}}$"
WEBHOOK_SECRET_SHAPE = f"at least {WEBHOOK_SECRET_MIN_LENGTH} visible ASCII characters (no spaces)"

_EC2_INSTANCE_ID = re.compile(EC2_INSTANCE_ID_PATTERN)
_WEBHOOK_SECRET = re.compile(WEBHOOK_SECRET_PATTERN)


def ec2_instance_id_problem(value: object) -> str:
    """'' for a well-formed instance id, else a sentence quoting the value and saying what was expected."""
    if isinstance(value, str) and _EC2_INSTANCE_ID.fullmatch(value):
        return ""
    shown = repr(value) if isinstance(value, str) else f"{value!r} (a {type(value).__name__})"
    return f"{shown} is not an EC2 instance id: expected {EC2_INSTANCE_ID_SHAPE}"


def webhook_secret_problem(secret: object) -> str:
    """'' for an acceptable secret, else what is wrong with it; never quotes the secret itself."""
    if not isinstance(secret, str):
        return f"the secret must be a string of {WEBHOOK_SECRET_SHAPE}, got a {type(secret).__name__}"
    if _WEBHOOK_SECRET.fullmatch(secret):
        return ""
    if any(not "!" <= char <= "~" for char in secret):
        return f"the secret must be {WEBHOOK_SECRET_SHAPE}; it holds a space, a control character or non-ASCII"
    return f"the secret must be {WEBHOOK_SECRET_SHAPE}, got {len(secret)} characters"
