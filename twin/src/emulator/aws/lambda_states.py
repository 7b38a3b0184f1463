"""Lambda function states as AWS has them: a new function is Pending, an updated one InProgress, for a while.

On AWS a function is `Pending` after CreateFunction until Lambda has prepared it, and an update leaves
`LastUpdateStatus: InProgress` until it is applied. Meanwhile AWS refuses what would act on the function:
- while Pending: UpdateFunctionCode, UpdateFunctionConfiguration, CreateFunctionUrlConfig, UpdateFunctionUrlConfig
  and AddPermission answer 409 ResourceConflictException "The operation cannot be performed at this time. The
  function is currently in the following state: Pending" (AWS: "invocations and other API actions that operate on
  the function fail"; the twin applies that to every one of these, the stricter reading);
- while an update is InProgress: a second UpdateFunctionCode or UpdateFunctionConfiguration answers 409
  ResourceConflictException "... An update is in progress for resource: <arn>".
Deploy tools wait (CloudFormation and Terraform for Active; amazon.aws.lambda with botocore's function_active and
function_updated waiters before an update). moto makes every function Active and Successful at once. The twin keeps
them Pending for `pending_seconds` and InProgress for `update_seconds` of virtual time (default 5 s each; AWS
publishes no figure, functions outside a VPC usually take a second or two).

Only functions created through this twin while it runs are tracked. A request body over 8 MiB (see wire.py) is not
inspected, so such a CreateFunction is not tracked either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import unquote

from emulator.aws.timings import TimedModel, VirtualTimings
from emulator.aws.wire import AwsRequest
from emulator.clock import Clock

_REFUSED_WHILE_PENDING = frozenset(
    {
        "UpdateFunctionCode",
        "UpdateFunctionConfiguration",
        "CreateFunctionUrlConfig",
        "UpdateFunctionUrlConfig",
        "AddPermission",
    }
)
_UPDATES = frozenset({"UpdateFunctionCode", "UpdateFunctionConfiguration"})
_DESCRIBED = frozenset({"CreateFunction", "GetFunction", "GetFunctionConfiguration", *_UPDATES})
CONFLICT_STATUS = 409


@dataclass(frozen=True)
class LambdaTimings(VirtualTimings):
    MAX_SECONDS: ClassVar[float] = 3_600.0

    pending_seconds: float = 5.0
    update_seconds: float = 5.0


def _function_name(request: AwsRequest) -> str | None:
    """The function a Lambda request is about: from the path (a name or an ARN), or from CreateFunction's body."""
    if request.operation == "CreateFunction":
        try:
            name = json.loads(request.body or b"{}").get("FunctionName")
        except (ValueError, AttributeError):
            return None
    else:
        parts = request.path.split("/")
        name = unquote(parts[3]) if len(parts) > 3 and parts[2] == "functions" else None
    if not isinstance(name, str) or not name:
        return None
    if name.startswith("arn:"):
        # arn:aws:lambda:region:account:function:name[:qualifier]
        fields = name.split(":")
        return fields[6] if len(fields) > 6 else None
    return name.split(":", 1)[0]


class FunctionStates(TimedModel[LambdaTimings]):
    """Until when each tracked function is Pending or has an update InProgress, on the twin's clock."""

    def __init__(self, clock: Clock, account_id: str, region: str, timings: LambdaTimings | None = None) -> None:
        super().__init__(clock, timings or LambdaTimings())
        self._arn_prefix = f"arn:aws:lambda:{region}:{account_id}:function:"
        self._pending_until: dict[str, float] = {}
        self._updating_until: dict[str, float] = {}

    def handles(self, request: AwsRequest) -> bool:
        operation = request.operation or ""
        return request.service == "lambda" and (
            operation in _REFUSED_WHILE_PENDING or operation in _DESCRIBED or operation == "DeleteFunction"
        )

    def _state(self, name: str) -> tuple[bool, bool]:
        """(pending, updating) for the function `name` now."""
        now = self._clock.now()
        with self._lock:
            return self._pending_until.get(name, 0.0) > now, self._updating_until.get(name, 0.0) > now

    def refusal(self, request: AwsRequest) -> tuple[str, str, int] | None:
        """(error code, message, HTTP status) for a request the function's state forbids now, else None."""
        operation = request.operation or ""
        if operation not in _REFUSED_WHILE_PENDING:
            return None
        name = _function_name(request)
        if name is None:
            return None
        pending, updating = self._state(name)
        if pending:
            message = "The operation cannot be performed at this time. The function is currently in the following "
            return "ResourceConflictException", message + "state: Pending", CONFLICT_STATUS
        if updating and operation in _UPDATES:
            message = "The operation cannot be performed at this time. An update is in progress for resource: "
            return "ResourceConflictException", message + self._arn_prefix + name, CONFLICT_STATUS
        return None

    def answered(self, request: AwsRequest, status: int, body: bytes) -> bytes:
        """moto's answer as AWS gives it: new and updated functions are noted and described as Pending/InProgress."""
        name = _function_name(request)
        if name is None or not 200 <= status < 300:
            return body
        operation = request.operation or ""
        with self._lock:
            now = self._clock.now()
            if operation == "DeleteFunction":
                self._pending_until.pop(name, None)
                self._updating_until.pop(name, None)
                return body
            if operation == "CreateFunction":
                self._pending_until[name] = now + self.timings.pending_seconds
            elif operation in _UPDATES:
                self._updating_until[name] = now + self.timings.update_seconds
        if operation not in _DESCRIBED:
            return body
        return self._described(name, operation, body)

    def _described(self, name: str, operation: str, body: bytes) -> bytes:
        pending, updating = self._state(name)
        if not pending and not updating:
            return body
        try:
            answer = json.loads(body)
        except ValueError:
            return body
        configuration = answer.get("Configuration") if operation == "GetFunction" else answer
        if not isinstance(configuration, dict):
            return body
        if pending:
            configuration.update(State="Pending", StateReason="The function is being created.")
            configuration["StateReasonCode"] = "Creating"
        if updating:
            configuration.update(LastUpdateStatus="InProgress", LastUpdateStatusReason="The function is being updated.")
        return json.dumps(answer).encode()
