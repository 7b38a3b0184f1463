"""IAM's eventual consistency as Lambda meets it: a role cannot be handed to Lambda until it has propagated.

On AWS, CreateFunction (or UpdateFunctionConfiguration with a new Role) that names a role made moments earlier fails
with InvalidParameterValueException "The role defined for the function cannot be assumed by Lambda." IAM documents
itself as eventually consistent without a bound; deploy tools retry (Terraform's AWS provider for up to two minutes).
moto accepts the role at once, which would let a deployment that never retries pass here and fail on its first real
run. The twin therefore refuses a role for `role_propagation_seconds` of virtual time after CreateRole or
UpdateAssumeRolePolicy for it succeeded (default 10 s: the stricter end of the few seconds usually seen).

Only roles created through this twin while it runs are tracked. A CreateFunction body too large for the front to
inspect (over 8 MiB, see wire.py) is not checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import parse_qs

from emulator.aws.timings import TimedModel, VirtualTimings
from emulator.aws.wire import AwsRequest
from emulator.clock import Clock

UNASSUMABLE_ROLE_MESSAGE = "The role defined for the function cannot be assumed by Lambda."
_ROLE_CHANGES = frozenset({"CreateRole", "UpdateAssumeRolePolicy"})
_ROLE_USES = frozenset({"CreateFunction", "UpdateFunctionConfiguration"})


@dataclass(frozen=True)
class IamTimings(VirtualTimings):
    MAX_SECONDS: ClassVar[float] = 3_600.0

    role_propagation_seconds: float = 10.0


def changed_role_name(request: AwsRequest) -> str | None:
    """The RoleName of an IAM CreateRole/UpdateAssumeRolePolicy request, or None for any other request."""
    if request.service != "iam" or request.operation not in _ROLE_CHANGES:
        return None
    names = parse_qs(request.body.decode("utf-8", errors="replace")).get("RoleName")
    return names[0] if names else None


def _role_name_in(request: AwsRequest) -> str | None:
    if request.service != "lambda" or request.operation not in _ROLE_USES or not request.body:
        return None
    try:
        role_arn = json.loads(request.body).get("Role")
    except (ValueError, AttributeError):
        return None
    # arn:aws:iam::123456789012:role/optional/path/name -> name
    return role_arn.rsplit("/", 1)[-1] if isinstance(role_arn, str) and ":role/" in role_arn else None


class IamPropagation(TimedModel[IamTimings]):
    """When each tracked role was last changed, on the twin's clock, and whether Lambda may use it yet."""

    def __init__(self, clock: Clock, timings: IamTimings | None = None) -> None:
        super().__init__(clock, timings or IamTimings())
        self._changed_at: dict[str, float] = {}

    def role_changed(self, role_name: str) -> None:
        with self._lock:
            self._changed_at[role_name] = self._clock.now()

    def refusal(self, request: AwsRequest) -> str | None:
        """The error message for a Lambda request naming a role that has not propagated yet, else None."""
        role_name = _role_name_in(request)
        if role_name is None:
            return None
        with self._lock:
            changed_at = self._changed_at.get(role_name)
            if changed_at is None or self._clock.now() - changed_at >= self.timings.role_propagation_seconds:
                return None
        return UNASSUMABLE_ROLE_MESSAGE
