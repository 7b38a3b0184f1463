"""A small client for the twin's own control API under /_twin/, so callers never build those URLs by hand.

One method per endpoint; the answers are typed below with the keys the twin sends. `TwinControl(aws_url,
sumo_url)` talks to both services; a client for one of them (an in-process Sumo, say) leaves the other URL out,
and a call to the missing one raises TwinControlError. Every refusal raises TwinControlError naming the endpoint,
the HTTP status and the twin's reason (and, from the AWS side, the field it found wrong).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import requests

TIMEOUT_SECONDS = 10.0
# An evaluation pass queries every enabled monitor's window and delivers its webhooks, retries included, before it
# answers.
EVALUATE_TIMEOUT_SECONDS = 120.0

Service = Literal["aws", "sumo"]
TimedService = Literal["ec2", "iam", "dynamodb", "lambda"]
InstanceHealthStatus = Literal["impaired", "ok"]
MissingDataReadingName = Literal["query-rows", "scope-matches"]


class ClockReading(TypedDict):
    now: float  # virtual epoch seconds
    speed: float  # virtual seconds per real second


class Fault(TypedDict):
    """An injected AWS error, as GET /_twin/faults lists it; `hits` counts the calls it has failed so far."""

    fault_id: str
    service: str
    operation: str | None
    error_code: str
    message: str
    http_status: int
    times: int | None
    hits: int


class InstanceHealth(TypedDict):
    instance_id: str
    status: InstanceHealthStatus


class PowerEvent(TypedDict):
    at: float  # virtual epoch seconds
    action: str  # launch, start, stop, reboot or terminate


class PowerHistory(TypedDict):
    instance_id: str
    now: float
    state: str
    events: list[PowerEvent]


class PublishedImage(TypedDict):
    image_id: str
    name: str
    creation_date: str  # the twin's virtual now, later than every image listed before


class EncryptedVolumes(TypedDict):
    instance_id: str
    kms_key_arn: str  # the customer-managed key every one of the instance's EBS volumes now uses
    volume_ids: list[str]


class ScheduleFiring(TypedDict):
    """One time an EventBridge Scheduler schedule came due on the twin's clock."""

    schedule_arn: str
    name: str
    group: str
    due_at: float  # twin epoch seconds
    fired_at: float
    target_arn: str
    ok: bool  # the target was invoked and did not fail
    error: str | None  # why not: the role, the target, the function's error, or an expression the twin cannot run


class Delivery(TypedDict):
    """One webhook delivery attempt of the Sumo twin."""

    index: int
    time: str
    epochMs: int
    monitorId: str | None
    monitorName: str | None
    alertId: str | None
    triggerType: str
    connectionId: str
    connectionName: str
    url: str
    attempt: int
    test: bool
    statusCode: int | None
    ok: bool
    error: str | None
    responseExcerpt: str
    payload: str


class PassReport(TypedDict):
    """What one Sumo evaluation pass did: the alerts it fired and resolved, and the webhooks it delivered."""

    evaluatedAtMs: int
    monitorsEvaluated: int
    fired: list[dict[str, Any]]
    resolved: list[dict[str, Any]]
    warnings: list[dict[str, str]]
    deliveries: list[Delivery]


class PassProgress(TypedDict):
    passes: int  # passes finished since the twin started, deliveries included
    lastPassAtMs: int | None  # the virtual time the latest of them evaluated; None before the first


class Alert(TypedDict):
    """An active Sumo alert: one per monitor and alert kind."""

    id: str
    monitorId: str
    monitorName: str
    triggerType: str
    startedAtMs: int
    triggerValue: Any
    triggerTimeStart: int
    triggerTimeEnd: int


class StoredLogLine(TypedDict):
    timestampMs: int
    raw: str
    fields: dict[str, str]


class LogsSummary(TypedDict):
    count: int  # log lines stored now
    latest: list[StoredLogLine]


class RecordedRequest(TypedDict):
    """One call to the Sumo API as the twin served it; Authorization header values in `body` read `********`."""

    time: float
    method: str
    path: str  # with the query string
    body: Any
    status: int


class TwinControlError(RuntimeError):
    """The twin refused a control call or could not be reached; the message names the endpoint and the reason.

    `status` is the HTTP status (None when nothing answered) and `field` what the twin found wrong, when it says."""

    def __init__(self, endpoint: str, reason: str, status: int | None = None, field: str | None = None) -> None:
        answered = "" if status is None else f"HTTP {status}: "
        named_field = "" if field is None else f" (field {field!r})"
        super().__init__(f"{endpoint}: {answered}{reason}{named_field}")
        self.endpoint = endpoint
        self.reason = reason
        self.status = status
        self.field = field


@dataclass(frozen=True)
class TwinControl:
    """The control API of the twin whose AWS side answers at `aws_url` and whose Sumo side at `sumo_url`."""

    aws_url: str | None = None
    sumo_url: str | None = None

    def _call(self, service: Service, method: str, path: str, timeout: float = TIMEOUT_SECONDS, **request: Any) -> Any:
        base_url = self.aws_url if service == "aws" else self.sumo_url
        if base_url is None:
            raise TwinControlError(f"{method} /_twin/{path}", f"this client was given no {service} URL")
        url = f"{base_url}/_twin/{path}"
        endpoint = f"{method} {url}"
        try:
            response = requests.request(method, url, timeout=timeout, **request)
        except requests.RequestException as error:
            raise TwinControlError(endpoint, f"the twin did not answer ({error})") from None
        try:
            answer = response.json()
        except ValueError:
            raise TwinControlError(endpoint, f"not JSON: {response.text[:200]!r}", response.status_code) from None
        if response.status_code >= 400:
            reason, field = _refusal(answer)
            raise TwinControlError(endpoint, reason, response.status_code, field)
        return answer

    # --- both services -----------------------------------------------------------------------------------------

    def healthy(self) -> bool:
        """Both services answer their health check."""
        return self.answers("aws") and self.answers("sumo")

    def answers(self, service: Service) -> bool:
        """The "aws" or the "sumo" service answers GET /_twin/health with {"status": "ok"}."""
        try:
            answer = self._call(service, "GET", "health")
        except TwinControlError:
            return False
        return isinstance(answer, dict) and answer.get("status") == "ok"

    # --- AWS: the shared clock, faults, EC2 health, power history and images, lifecycle timings ----------------

    def clock(self) -> ClockReading:
        """The shared clock (the Sumo side runs on it too)."""
        return self._call("aws", "GET", "clock")

    def change_clock(self, speed: float | None = None, advance_seconds: float | None = None) -> ClockReading:
        """Set the clock's speed and/or jump it `advance_seconds` ahead at once; the twin needs at least one."""
        change = {
            name: value for name, value in (("speed", speed), ("advance_seconds", advance_seconds)) if value is not None
        }
        return self._call("aws", "POST", "clock", json=change)

    def add_fault(
        self,
        *,
        service: str,
        error_code: str,
        operation: str | None = None,
        message: str | None = None,
        http_status: int = 400,
        times: int | None = None,
    ) -> str:
        """Make calls to `service` (its SigV4 signing name: "ec2", "sns" ...) fail with `error_code`; returns the
        fault's id. `operation` None fails every operation, `times` None every call until clear_faults; `message`
        None leaves the twin's "Injected fault: <error_code>"."""
        spec: dict[str, Any] = {
            "service": service,
            "operation": operation,
            "error_code": error_code,
            "http_status": http_status,
            "times": times,
        }
        if message is not None:
            spec["message"] = message
        return self._call("aws", "POST", "faults", json=spec)["fault_id"]

    def faults(self) -> list[Fault]:
        """The faults still in force (a fault whose `times` have been used up is gone)."""
        return self._call("aws", "GET", "faults")["faults"]

    def clear_faults(self) -> int:
        """Remove every fault; returns how many there were."""
        return self._call("aws", "DELETE", "faults")["cleared"]

    def set_instance_health(self, instance_id: str, status: InstanceHealthStatus) -> InstanceHealth:
        """Mark an instance "impaired" (its instance status check reads impaired until marked ok) or "ok" again."""
        body = {"instance_id": instance_id, "status": status}
        return self._call("aws", "POST", "ec2/instance-health", json=body)

    def power_history(self, instance_id: str) -> PowerHistory:
        """The instance's state now and every launch, start, stop, reboot and termination, with virtual times."""
        return self._call("aws", "GET", "ec2/power-history", params={"instance_id": instance_id})

    def publish_image(self, name: str, based_on: str) -> PublishedImage:
        """Publish a new public Amazon image named `name`, built like the image `based_on` (an AMI id), as Amazon
        publishes a newer build of a line (emulator/aws/images.py)."""
        return self._call("aws", "POST", "ec2/images", json={"name": name, "based_on": based_on})

    def encrypt_volumes(self, instance_id: str, kms_key_arn: str) -> EncryptedVolumes:
        """Encrypt every EBS volume of the instance with the customer-managed key `kms_key_arn`: a later
        StartInstances by a caller not allowed kms:CreateGrant on it is accepted, and the instance goes pending,
        then stopped with Client.InternalError (emulator/aws/ebs_encryption.py)."""
        body = {"instance_id": instance_id, "kms_key_arn": kms_key_arn}
        return self._call("aws", "POST", "ec2/volume-encryption", json=body)

    def schedule_firings(self) -> list[ScheduleFiring]:
        """Every time a schedule came due on the twin's clock, oldest first (emulator/aws/schedules.py)."""
        return self._call("aws", "GET", "scheduler/firings")["firings"]

    def client_token_reuse(self) -> str:
        """What an identical StartAutomationExecution with a used ClientToken gets: "refuse" (the default) or
        "same_execution"."""
        return str(self._call("aws", "GET", "ssm/client-token-reuse")["identical"])

    def set_client_token_reuse(self, identical: str) -> str:
        """Choose "refuse" (IdempotentParameterMismatch, the stricter reading) or "same_execution" (the execution the
        token started, the kinder one) for an identical reuse of a ClientToken."""
        return str(self._call("aws", "POST", "ssm/client-token-reuse", json={"identical": identical})["identical"])

    def timings(self, service: TimedService) -> dict[str, float]:
        """The virtual seconds the service's simulated lifecycle takes, by name (see emulator/aws/README.md)."""
        return self._call("aws", "GET", f"{service}/timings")

    def set_timings(self, service: TimedService, **seconds: float) -> dict[str, float]:
        """Change some of the service's timings, e.g. set_timings("ec2", pending_seconds=5); returns all of them."""
        return self._call("aws", "POST", f"{service}/timings", json=seconds)

    # --- Sumo: evaluation passes, deliveries, alerts, rate limit, stored logs, recorded requests --------------

    def evaluate(self) -> PassReport:
        """Run one evaluation pass at the clock's time now, deliveries included, and report what it did."""
        return self._call("sumo", "POST", "sumo/evaluate", timeout=EVALUATE_TIMEOUT_SECONDS)

    def passes(self) -> PassProgress:
        """How many evaluation passes (the scheduler's and evaluate()'s) have finished, and when the last evaluated."""
        return self._call("sumo", "GET", "sumo/passes")

    def sumo_deliveries(self, since: int = 0, monitor_id: str | None = None) -> list[Delivery]:
        """The webhook delivery attempts from index `since` on, of every monitor or only of `monitor_id`."""
        query: dict[str, Any] = {"since": since}
        if monitor_id is not None:
            query["monitorId"] = monitor_id
        return self._call("sumo", "GET", "sumo/deliveries", params=query)["deliveries"]

    def alerts(self) -> list[Alert]:
        """The active alerts, oldest first."""
        return self._call("sumo", "GET", "sumo/alerts")["alerts"]

    def rate_limit(self) -> bool:
        """Whether the Sumo API limits each access id to 4 requests per second."""
        return self._call("sumo", "GET", "sumo/rate-limit")["enabled"]

    def set_rate_limit(self, enabled: bool) -> bool:
        """Turn the Sumo API's rate limit on or off; returns the setting now."""
        return self._call("sumo", "POST", "sumo/rate-limit", json={"enabled": enabled})["enabled"]

    def missing_data_reading(self) -> MissingDataReadingName:
        """What a MissingData trigger counts as no data: "query-rows" (strict, the default) or "scope-matches"."""
        return self._call("sumo", "GET", "sumo/missing-data")["reading"]

    def set_missing_data_reading(self, reading: MissingDataReadingName) -> MissingDataReadingName:
        """Switch what a MissingData trigger counts as no data; returns the setting now."""
        return self._call("sumo", "POST", "sumo/missing-data", json={"reading": reading})["reading"]

    def logs(self, limit: int = 100) -> LogsSummary:
        """How many log lines the Sumo twin holds, and the latest `limit` of them (0 to 10000)."""
        return self._call("sumo", "GET", "sumo/logs", params={"limit": limit})

    def recorded_requests(self) -> list[RecordedRequest]:
        """The last 1,000 Sumo API requests, to check against the spec (emulator.sumo.spec.validate_request)."""
        return self._call("sumo", "GET", "sumo/requests")["requests"]


def _refusal(answer: Any) -> tuple[str, str | None]:
    """The reason and the field from an error body: AWS's {"error", "field"}, or Sumo's ErrorResponse
    {"id", "errors": [{"code", "message", "detail"}]} or flat {"status", "id", "code", "message"}."""
    if not isinstance(answer, dict):
        return repr(answer)[:200], None
    if isinstance(answer.get("error"), str):
        field = answer.get("field")
        return answer["error"], field if isinstance(field, str) else None
    errors = answer.get("errors") if isinstance(answer.get("errors"), list) else [answer]
    details = [
        f"{error.get('code')}: {error.get('detail') or error.get('message')}"
        for error in errors
        if isinstance(error, dict) and "code" in error
    ]
    return ("; ".join(details) or repr(answer)[:200]), None
