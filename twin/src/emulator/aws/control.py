"""The twin's own control API under /_twin/: health, the shared clock, injected faults, EC2 timings, health and
power history, newer images, EBS volumes on a customer-managed KMS key, SSM ClientToken reuse, and the timings of
IAM propagation, DynamoDB table creation and Lambda function states.

- `POST /_twin/ec2/volume-encryption`
  `{"instance_id": "i-...", "kms_key_arn": "arn:aws:kms:<region>:<account>:key/<id>"}`
  -> `{"instance_id", "kms_key_arn", "volume_ids"}`: every EBS volume attached to the instance is now encrypted with
  that customer-managed key, so a StartInstances by a caller not allowed `kms:CreateGrant` on it is accepted and
  the instance goes pending, then stopped with `Client.InternalError: Client error on launch` (ebs_encryption.py;
  `TwinControl.encrypt_volumes`). 400 naming the field for a bad body, 404 for an instance EC2 does not have.

- `GET /_twin/scheduler/firings` -> `{"firings": [{"schedule_arn", "name", "group", "due_at", "fired_at",
  "target_arn", "ok", "error"}]}`: each time an EventBridge Scheduler schedule came due on the twin's clock and
  what became of it (schedules.py; `TwinControl.schedule_firings`).

The other endpoints are listed in emulator/aws/README.md, each with its TwinControl method.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from moto.backends import get_backend
from moto.ec2.exceptions import InvalidInstanceIdError

from emulator.automation import TokenReuse
from emulator.aws.dynamodb_lifecycle import TableLifecycle
from emulator.aws.ebs_encryption import CustomerManagedKeys, VolumeEncryptionRequestError
from emulator.aws.ec2_lifecycle import Ec2Lifecycle
from emulator.aws.faults import FaultRegistry, FaultSpecError, parse_fault
from emulator.aws.iam_propagation import IamPropagation
from emulator.aws.images import ImageRequestError, publish_image
from emulator.aws.lambda_states import FunctionStates
from emulator.aws.schedules import ScheduleRunner
from emulator.aws.timings import InvalidTiming, TimedModel
from emulator.aws.wire import Reply
from emulator.clock import ScaledClock

_INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
_MAX_BODY = 64 * 1024


class BadRequest(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _reply(status: int, payload: Any) -> Reply:
    return status, [("Content-Type", "application/json")], json.dumps(payload).encode()


def _error(status: int, field: str, message: str) -> Reply:
    return _reply(status, {"error": message, "field": field})


class ControlApi:
    """Routes /_twin/* requests; every bad input is a 400 that names the field."""

    def __init__(
        self,
        clock: ScaledClock,
        faults: FaultRegistry,
        ec2: Ec2Lifecycle,
        iam: IamPropagation,
        tables: TableLifecycle,
        functions: FunctionStates,
        account_id: str,
        region: str,
        automation: Callable[[], Any],
        customer_managed_keys: CustomerManagedKeys,
        schedules: ScheduleRunner,
    ) -> None:
        self._clock = clock
        self._customer_managed_keys = customer_managed_keys
        self._faults = faults
        self._ec2 = ec2
        self._account_id = account_id
        self._region = region
        self._automation = automation
        self._routes: dict[tuple[str, str], Callable[[Any], Reply]] = {
            ("GET", "/_twin/health"): lambda _body: _reply(200, {"status": "ok"}),
            ("GET", "/_twin/clock"): lambda _body: self._clock_reading(),
            ("POST", "/_twin/clock"): self._change_clock,
            ("GET", "/_twin/faults"): lambda _body: _reply(200, {"faults": self._faults.list()}),
            ("POST", "/_twin/faults"): self._add_fault,
            ("DELETE", "/_twin/faults"): lambda _body: _reply(200, {"cleared": self._faults.clear()}),
            ("POST", "/_twin/ec2/instance-health"): self._set_instance_health,
            ("GET", "/_twin/ec2/power-history"): self._power_history,
            ("POST", "/_twin/ec2/images"): self._publish_image,
            ("POST", "/_twin/ec2/volume-encryption"): self._encrypt_volumes,
            ("GET", "/_twin/ssm/client-token-reuse"): lambda _body: self._token_reuse(),
            ("POST", "/_twin/ssm/client-token-reuse"): self._set_token_reuse,
            ("GET", "/_twin/scheduler/firings"): lambda _body: _reply(200, {"firings": schedules.firings()}),
        }
        timed: dict[str, TimedModel[Any]] = {"ec2": ec2, "iam": iam, "dynamodb": tables, "lambda": functions}
        for service, holder in timed.items():
            self._routes[("GET", f"/_twin/{service}/timings")] = functools.partial(self._timings, holder)
            self._routes[("POST", f"/_twin/{service}/timings")] = functools.partial(self._set_timings, holder)

    def answer(self, method: str, path: str, environ: dict[str, Any]) -> Reply:
        path = path.rstrip("/") or "/"
        handler = self._routes.get((method, path))
        if handler is None:
            allowed = sorted(route_method for route_method, route_path in self._routes if route_path == path)
            if allowed:
                return _error(405, "method", f"{method} is not allowed on {path}; use {', '.join(allowed)}")
            return _error(404, "path", f"no twin control endpoint at {path}")
        try:
            body = self._json_body(environ) if method == "POST" else _query(environ)
            return handler(body)
        except BadRequest as error:
            return _error(400, error.field, str(error))

    @staticmethod
    def _json_body(environ: dict[str, Any]) -> Any:
        raw_length = environ.get("CONTENT_LENGTH") or "0"
        if not raw_length.isdigit() or int(raw_length) > _MAX_BODY:
            raise BadRequest("body", f"expected a JSON body of at most {_MAX_BODY} bytes, got length {raw_length!r}")
        raw = environ["wsgi.input"].read(int(raw_length))
        try:
            return json.loads(raw or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise BadRequest("body", f"expected a JSON object: {error}") from None

    def _clock_reading(self) -> Reply:
        return _reply(200, {"now": self._clock.now(), "speed": self._clock.speed})

    def _change_clock(self, body: Any) -> Reply:
        if not isinstance(body, dict) or not ({"speed", "advance_seconds"} & set(body)):
            raise BadRequest("body", f"expected a JSON object with 'speed' and/or 'advance_seconds', got {body!r:.80}")
        unknown = sorted(set(body) - {"speed", "advance_seconds"})
        if unknown:
            raise BadRequest(unknown[0], f"unknown field {unknown[0]!r}; expected 'speed' or 'advance_seconds'")
        speed, advance = body.get("speed"), body.get("advance_seconds")
        if speed is not None and (not _is_number(speed) or speed <= 0 or speed > 1_000_000):
            raise BadRequest("speed", f"speed must be a number above 0 and at most 1000000, got {speed!r}")
        if advance is not None and (not _is_number(advance) or advance < 0 or advance > 366 * 86_400):
            raise BadRequest("advance_seconds", f"advance_seconds must be from 0 to one year, got {advance!r}")
        if speed is not None:
            self._clock.set_speed(float(speed))
        if advance is not None:
            self._clock.advance(float(advance))
        return self._clock_reading()

    def _add_fault(self, body: Any) -> Reply:
        try:
            fault = self._faults.add(parse_fault(body))
        except FaultSpecError as error:
            raise BadRequest(error.field, str(error)) from None
        return _reply(200, {"fault_id": fault.fault_id})

    @staticmethod
    def _timings(holder: TimedModel[Any], _body: Any) -> Reply:
        return _reply(200, holder.timings.as_dict())

    @staticmethod
    def _set_timings(holder: TimedModel[Any], body: Any) -> Reply:
        try:
            return _reply(200, holder.set_timings(body).as_dict())
        except InvalidTiming as error:
            raise BadRequest(error.field, str(error)) from None

    def _power_history(self, query: dict[str, str]) -> Reply:
        """The instance's state now and every power action the twin accepted for it, with virtual times."""
        instance_id = query.get("instance_id")
        if instance_id is None or not _INSTANCE_ID.match(instance_id):
            raise BadRequest("instance_id", f"instance_id must look like i-0123456789abcdef0, got {instance_id!r}")
        now = self._clock.now()
        history = self._ec2.power_history(instance_id)
        if history is None:
            return _error(404, "instance_id", f"the twin has no power history for {instance_id}")
        self._ec2.settle()
        try:
            state = get_backend("ec2")[self._account_id][self._region].get_instance(instance_id).state
        except InvalidInstanceIdError:
            state = "terminated"
        return _reply(
            200, {"instance_id": instance_id, "now": now, "state": state, "events": [e.as_dict() for e in history]}
        )

    def _token_reuse(self) -> Reply:
        return _reply(200, {"identical": self._automation().token_reuse.value})

    def _set_token_reuse(self, body: Any) -> Reply:
        """{"identical": "refuse" | "same_execution"}: what an identical StartAutomationExecution with a used
        ClientToken gets (automation_service.TokenReuse); refuse is the default."""
        choices = [reuse.value for reuse in TokenReuse]
        if not isinstance(body, dict) or set(body) != {"identical"} or body["identical"] not in choices:
            raise BadRequest("identical", f'expected {{"identical": one of {choices}}}, got {body!r:.80}')
        self._automation().token_reuse = TokenReuse(body["identical"])
        return self._token_reuse()

    def _publish_image(self, body: Any) -> Reply:
        """Amazon publishes a newer image: {"name": ..., "based_on": "ami-..."} -> the new image (images.py)."""
        try:
            image = publish_image(get_backend("ec2")[self._account_id][self._region], body, self._clock.now())
        except ImageRequestError as error:
            raise BadRequest(error.field, str(error)) from None
        return _reply(200, image.as_dict())

    def _encrypt_volumes(self, body: Any) -> Reply:
        """{"instance_id": ..., "kms_key_arn": ...}: the instance's EBS volumes use that customer-managed key."""
        try:
            encrypted = self._customer_managed_keys.encrypt(self._ec2_backend(), body)
        except VolumeEncryptionRequestError as error:
            if error.status != 400:
                return _error(error.status, error.field, str(error))
            raise BadRequest(error.field, str(error)) from None
        return _reply(200, encrypted.as_dict())

    def _ec2_backend(self) -> Any:
        return get_backend("ec2")[self._account_id][self._region]

    def _set_instance_health(self, body: Any) -> Reply:
        if not isinstance(body, dict):
            raise BadRequest("body", f"expected a JSON object with instance_id and status, got {body!r:.80}")
        instance_id, status = body.get("instance_id"), body.get("status")
        if not isinstance(instance_id, str) or not _INSTANCE_ID.match(instance_id):
            raise BadRequest("instance_id", f"instance_id must look like i-0123456789abcdef0, got {instance_id!r}")
        if status not in {"impaired", "ok"}:
            raise BadRequest("status", f"status must be 'impaired' or 'ok', got {status!r}")
        try:
            instance = get_backend("ec2")[self._account_id][self._region].get_instance(instance_id)
        except InvalidInstanceIdError:
            return _error(404, "instance_id", f"no instance {instance_id} in {self._region}")
        self._ec2.set_health(instance, impaired=status == "impaired")
        return _reply(200, {"instance_id": instance_id, "status": status})


def _query(environ: dict[str, Any]) -> dict[str, str]:
    """A GET's query parameters, the last value of each."""
    return {name: values[-1] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
