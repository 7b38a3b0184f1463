"""Lambda entry point: reads the Function URL request and hands off to plain functions; one log line per decision."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from botocore.exceptions import BotoCoreError, ClientError

from .auth import is_authorized
from .aws_clients import AwsClients, build_clients
from .config import ConfigError, Settings
from .fleet import fleet_brake
from .guard_model import GuardRules
from .notify import (
    VerifiedFix,
    escalation_message,
    fleet_message,
    not_fixed_message,
    publish,
    recovered_message,
    relapse_message,
    start_failed_message,
)
from .parameters import ParameterReader, ParameterReadError
from .payload import Alert, AlertKind, PayloadError, decode_body, kind_of, parse_alert, trigger_type_of
from .request import RequestRejected, WebhookRequest, read_request
from .responses import error_response, json_response
from .runbook import action_taken, client_token, start_execution, start_request
from .state import DecisionStore, Verdict
from .targets import Target, targets_for
from .timer import (
    RETRY_LIMIT,
    RETRY_START,
    VERIFY,
    Timer,
    TimerEventError,
    create_timer,
    delete_timer,
    due_at,
    is_timer_event,
    parse_timer_event,
    read_timer,
    retry_due_at,
)

if TYPE_CHECKING:  # an annotation only: the import costs the cold start and nothing reads it at run time
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()  # service name from POWERTOOLS_SERVICE_NAME

AWS_ERRORS = (ClientError, BotoCoreError)


@dataclass(frozen=True)
class Runtime:
    """Everything a warm container keeps between invocations: settings, clients, caches, the clock."""

    settings: Settings
    clients: AwsClients
    parameters: ParameterReader
    store: DecisionStore
    clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class TargetOutcome:
    target: str
    status: str  # started | retrying | suppressed | failed
    execution_id: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value is not None}


def build_runtime(
    environ: Mapping[str, str], clients: AwsClients | None = None, clock: Callable[[], float] = time.time
) -> Runtime:
    settings = Settings.from_environ(environ)
    clients = clients or build_clients()
    parameters = ParameterReader(
        clients.ssm,
        settings.secret_parameter,
        settings.secret_cache_seconds,
        settings.switch_parameter,
        settings.switch_cache_seconds,
    )
    rules = GuardRules(
        settings.cooldown_seconds,
        settings.max_attempts,
        settings.attempt_window_seconds,
        settings.relapse_seconds,
        settings.max_relapses,
        settings.circuit_heal_seconds,
    )
    store = DecisionStore(clients.dynamodb, settings.state_table, rules)
    return Runtime(settings, clients, parameters, store, clock)


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def current_runtime() -> Runtime:
    """The container's runtime, built on first use (configuration errors surface on every call until fixed)."""
    global _runtime
    if _runtime is None:
        with _runtime_lock:
            if _runtime is None:
                _runtime = build_runtime(os.environ)
    return _runtime


# Every line of an invocation carries the Function URL's request id (Powertools' correlation id, logged as request_id
# by _log) and the Lambda context (function_request_id, cold_start, ...); clear_state drops the previous invocation's.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.LAMBDA_FUNCTION_URL, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        runtime = current_runtime()
    except ConfigError as error:
        _log("failed", None, reason=f"configuration: {error}", level="error")
        return error_response(500, "misconfigured")
    return handle_event(event, runtime)


def handle_event(event: Any, runtime: Runtime) -> dict[str, Any]:
    """The whole webhook (or a verification timer's invocation) as a plain function of the event and the runtime;
    never raises."""
    try:
        if is_timer_event(event):
            return handle_timer(event, runtime)
        return _handle(event, runtime)
    except TimerRetryError:
        raise  # the one error that must reach Lambda, which retries an asynchronous invocation
    except Exception as error:
        # A bug, not an expected failure: log the type only, since a message could echo request content.
        _log("failed", None, reason=f"unexpected {type(error).__name__}", level="exception")
        return error_response(500, "internal error")


def _handle(event: Any, runtime: Runtime) -> dict[str, Any]:
    try:
        request = read_request(event, runtime.settings.max_body_bytes)
    except RequestRejected as rejected:
        _log("rejected", None, status=rejected.status, reason=rejected.error)
        return error_response(rejected.status, rejected.error, **rejected.detail)
    try:
        secret = runtime.parameters.webhook_secret()
    except ParameterReadError:
        _log("failed", None, status=502, reason="webhook secret unreadable", level="error")
        return error_response(502, "upstream error")
    if not is_authorized(request.header("authorization"), secret):
        _log("rejected", None, status=401, reason="unauthorized")
        return error_response(401, "unauthorized")
    return _handle_authorized(request, runtime)


def _handle_authorized(request: WebhookRequest, runtime: Runtime) -> dict[str, Any]:
    try:
        fields = decode_body(request.body)
        trigger_type = trigger_type_of(fields)
        kind = kind_of(trigger_type)
        if kind is AlertKind.IGNORED:
            _log("ignored", None, trigger_type=trigger_type)
            return json_response(200, {"status": "ignored", "trigger_type": trigger_type})
        alert = parse_alert(fields)
    except PayloadError as error:
        _log("rejected", None, status=400, reason="invalid payload", field=error.field)
        return error_response(400, "invalid payload", field=error.field, detail=str(error))
    _log("received", alert.alert_key, trigger_type=alert.trigger_type, monitor_name=alert.name)
    targets = targets_for(alert, runtime.settings)
    if kind is AlertKind.RECOVERED:
        return announce_recovery(alert, targets, runtime)
    return remediate(alert, targets, runtime)


def announce_recovery(alert: Alert, targets: list[Target], runtime: Runtime) -> dict[str, Any]:
    """The alert resolved: verify each target's open start it decided, then send the one recovered message."""
    now = runtime.clock()
    try:
        fixes = [fix for target in targets if (fix := _verify(alert, target, runtime, now)) is not None]
    except AWS_ERRORS as error:
        _log("failed", alert.alert_key, status=502, reason=f"verification: {_error_code(error)}", level="error")
        return error_response(502, "upstream error", alert_id=alert.alert_key)
    subject, message = recovered_message(alert, [target.label for target in targets], now, fixes)
    try:
        message_id = publish(runtime.clients.sns, runtime.settings.topic_arn, subject, message)
    except AWS_ERRORS as error:
        _log("failed", alert.alert_key, status=502, reason=f"recovered notice: {_error_code(error)}")
        return error_response(502, "upstream error", alert_id=alert.alert_key)
    for fix in fixes:
        times = {key: value for key, value in fix.as_dict().items() if key not in ("target", "execution_id")}
        _log("verified", alert.alert_key, fix.execution_id, target=fix.target, **times)
    _log("recovered", alert.alert_key, message_id=message_id, verified=len(fixes))
    body = {"status": "recovered", "alert_id": alert.alert_key, "message_id": message_id}
    return json_response(200, {**body, "remediations_verified": [fix.as_dict() for fix in fixes]})


def _verify(alert: Alert, target: Target, runtime: Runtime, now: float) -> VerifiedFix | None:
    verification = runtime.store.verify(target.label, alert.monitor_id, now)
    if verification is None or not verification.verified:
        return None
    timer: Timer | None = None
    if runtime.settings.verifies:
        token = client_token(verification.alert_key, target.label)
        timer = read_timer(runtime.clients.scheduler, runtime.settings, token)
        delete_timer(runtime.clients.scheduler, runtime.settings, token)
    alert_started_at = int(verification.alert_key.rpartition(":")[2] or 0) // 1000
    return VerifiedFix(
        target.label,
        timer.execution_id if timer else None,
        alert_started_at,
        verification.decided_at,
        int(now),
        verification.relapses,
    )


def remediate(alert: Alert, targets: list[Target], runtime: Runtime) -> dict[str, Any]:
    try:
        enabled = runtime.parameters.remediation_enabled()
    except ParameterReadError:
        _log("failed", alert.alert_key, status=502, reason="kill switch unreadable", level="error")
        return error_response(502, "upstream error", alert_id=alert.alert_key)
    if not enabled:
        _log("suppressed", alert.alert_key, reason="kill switch disabled")
        return json_response(200, {"status": "disabled", "alert_id": alert.alert_key, "execution_id": None})
    brake = fleet_brake(alert, runtime.settings)
    if brake is not None:
        return _brake_fleet(alert, targets, runtime, *brake)
    outcomes = [remediate_target(alert, target, runtime) for target in targets]
    execution_id = next((outcome.execution_id for outcome in outcomes if outcome.execution_id), None)
    body = {"alert_id": alert.alert_key, "execution_id": execution_id, "targets": [o.as_dict() for o in outcomes]}
    if any(outcome.status == "failed" for outcome in outcomes):
        return error_response(502, "upstream error", **body)
    if any(outcome.status == "started" for outcome in outcomes):
        return json_response(202, {"status": "started", **body})
    if any(outcome.status == "retrying" for outcome in outcomes):
        return json_response(202, {"status": "retrying", **body})
    return json_response(200, {"status": "suppressed", **body})


def remediate_target(alert: Alert, target: Target, runtime: Runtime) -> TargetOutcome:
    """Claim the decision for this target, then start (or find) the decided execution; see state.py for the rules."""
    request = start_request(runtime.settings, alert, target)
    now = runtime.clock()
    try:
        decision = runtime.store.claim(target.label, alert.alert_key, request, now)
    except AWS_ERRORS as error:
        return _failed(alert, target, f"state write: {_error_code(error)}")
    if decision.verdict is Verdict.START:
        try:
            execution_id = start_execution(runtime.clients.ssm, request)
        except AWS_ERRORS as error:
            return _retry_later(alert, target, runtime, request["ClientToken"], error, now)
        if execution_id is None:
            # This delivery decided, but SSM had the ClientToken already: a concurrent delivery re-sent the decided
            # start first, or an earlier decision was lost. The execution runs; SSM does not say which it is.
            reason = "ClientToken already used"
            _log("started", alert.alert_key, target=target.label, dry_run=runtime.settings.dry_run, reason=reason)
            return TargetOutcome(target.label, "started", None, reason)
        dry_run = runtime.settings.dry_run
        _log("started", alert.alert_key, execution_id, target=target.label, dry_run=dry_run)
        _set_timer(alert, target, runtime, request["ClientToken"], execution_id, now)
        return TargetOutcome(target.label, "started", execution_id)
    if decision.verdict is Verdict.EXHAUSTED:
        return _escalate(alert, target, runtime, decision.retry_at, now)
    if decision.verdict is Verdict.CIRCUIT_OPEN:
        try:
            runtime.store.mark_unhealthy(target.label)
        except AWS_ERRORS as error:
            return _failed(alert, target, f"state write: {_error_code(error)}")
        _log("suppressed", alert.alert_key, target=target.label, reason="circuit open")
        return TargetOutcome(target.label, "suppressed", reason="circuit open")
    if decision.verdict is Verdict.RELAPSING:
        return _open_circuit_for_relapse(alert, target, runtime, now)
    execution_id = None
    if decision.replayable and decision.start_request is not None:
        try:
            execution_id = start_execution(runtime.clients.ssm, decision.start_request)
        except AWS_ERRORS as error:
            # The decided execution stays decided; only its id is unknown to this reply.
            reason = f"find execution: {_error_code(error)}"
            _log("failed", alert.alert_key, target=target.label, reason=reason)
    reason = decision.verdict.value
    _log("suppressed", alert.alert_key, execution_id, target=target.label, reason=reason)
    return TargetOutcome(target.label, "suppressed", execution_id, reason)


def _timer_of(
    alert: Alert, target: Target, purpose: str, attempt: int, execution_id: str, acted_at: float, due: int
) -> Timer:
    alert_started_at = alert.trigger_time_start // 1000
    return Timer(
        purpose,
        attempt,
        target.label,
        alert.alert_key,
        alert.monitor_id,
        alert.name,
        alert.trigger_type,
        alert_started_at,
        execution_id,
        int(acted_at),
        due,
    )


def _set_timer(alert: Alert, target: Target, runtime: Runtime, token: str, execution_id: str, now: float) -> None:
    """Set the verification timer of a start; a dry run changes nothing, so there is nothing to verify."""
    _set_verification_timer(runtime, token, _timer_of(alert, target, VERIFY, 0, execution_id, now, 0), now)


def _set_verification_timer(runtime: Runtime, token: str, timer: Timer, now: float) -> None:
    settings = runtime.settings
    if settings.dry_run or not settings.verifies:
        return
    timer = replace(timer, due_at=due_at(now, settings))
    try:
        create_timer(runtime.clients.scheduler, settings, token, timer)
    except AWS_ERRORS as error:
        # The start stands; its resolution still verifies it, but no NOT FIXED can follow if it never resolves.
        reason = f"verification timer: {_error_code(error)}"
        _log("failed", timer.alert_key, timer.execution_id, target=timer.target, reason=reason, level="error")


def _retry_later(
    alert: Alert, target: Target, runtime: Runtime, token: str, error: Exception, now: float
) -> TargetOutcome:
    """The start failed after its decision was recorded: set a timer that retries it, so the alert is not lost."""
    reason = f"start automation: {_error_code(error)}"
    if not runtime.settings.verifies:
        return _failed(alert, target, reason)
    timer = _timer_of(alert, target, RETRY_START, 1, "", now, retry_due_at(now, 1))
    try:
        create_timer(runtime.clients.scheduler, runtime.settings, token, timer)
    except AWS_ERRORS as timer_error:
        return _failed(alert, target, f"{reason}; retry timer: {_error_code(timer_error)}")
    _log(
        "retrying", alert.alert_key, target=target.label, reason=reason, attempt=1, due_at=timer.due_at, level="warning"
    )
    return TargetOutcome(target.label, "retrying", reason=reason)


def _retry_start(timer: Timer, runtime: Runtime) -> dict[str, Any]:
    """A retry timer fired: re-send the decided start (its ClientToken makes it idempotent), or retry later, or give
    up with an escalation after RETRY_LIMIT retries."""
    now = runtime.clock()
    token = client_token(timer.alert_key, timer.target)
    try:
        request = runtime.store.decided_request(timer.target, timer.alert_key)
    except AWS_ERRORS as error:
        _log("failed", timer.alert_key, target=timer.target, reason=f"state read: {_error_code(error)}", level="error")
        raise TimerRetryError("the state table could not be read") from None
    if request is None:
        _log("suppressed", timer.alert_key, target=timer.target, reason="superseded", attempt=timer.attempt)
        return {"status": "closed", "target": timer.target}
    try:
        execution_id = start_execution(runtime.clients.ssm, request)
    except AWS_ERRORS as error:
        return _retry_again(timer, runtime, token, f"start automation: {_error_code(error)}", now)
    if execution_id is None:
        _log("started", timer.alert_key, target=timer.target, reason="ClientToken already used", attempt=timer.attempt)
        return {"status": "started", "target": timer.target}
    _log("started", timer.alert_key, execution_id, target=timer.target, attempt=timer.attempt)
    verification = replace(timer, purpose=VERIFY, attempt=0, execution_id=execution_id, acted_at=int(now))
    _set_verification_timer(runtime, token, verification, now)
    return {"status": "started", "target": timer.target, "execution_id": execution_id}


def _retry_again(timer: Timer, runtime: Runtime, token: str, reason: str, now: float) -> dict[str, Any]:
    if timer.attempt >= RETRY_LIMIT:
        subject, message = start_failed_message(timer, reason, now)
        try:
            message_id = publish(runtime.clients.sns, runtime.settings.topic_arn, subject, message)
        except AWS_ERRORS as error:
            _log("failed", timer.alert_key, target=timer.target, reason=f"give-up publish: {_error_code(error)}")
            raise TimerRetryError("the give-up escalation could not be published") from None
        _log("failed", timer.alert_key, target=timer.target, reason=reason, gave_up=True, escalation=message_id)
        return {"status": "gave_up", "target": timer.target, "message_id": message_id}
    following = replace(timer, attempt=timer.attempt + 1, due_at=retry_due_at(now, timer.attempt + 1))
    try:
        create_timer(runtime.clients.scheduler, runtime.settings, token, following)
    except AWS_ERRORS as error:
        _log("failed", timer.alert_key, target=timer.target, reason=f"retry timer: {_error_code(error)}")
        raise TimerRetryError("the next retry timer could not be set") from None
    _log("retrying", timer.alert_key, target=timer.target, reason=reason, attempt=following.attempt, level="warning")
    return {"status": "retrying", "target": timer.target, "attempt": following.attempt}


def handle_timer(event: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    """One of the function's timers fired: a failed start to retry, or a verification window that ended."""
    try:
        timer = parse_timer_event(event)
    except TimerEventError as error:
        _log("rejected", None, reason="invalid timer event", detail=str(error), level="error")
        return {"status": "rejected", "error": str(error)}
    if timer.purpose == RETRY_START:
        return _retry_start(timer, runtime)
    return _verification_ended(timer, runtime)


def _verification_ended(timer: Timer, runtime: Runtime) -> dict[str, Any]:
    """If the start is still open, escalate NOT FIXED once and open the circuit."""
    now = runtime.clock()
    try:
        not_fixed = runtime.store.expire(timer.target, timer.alert_key, now)
    except AWS_ERRORS as error:
        reason = f"state write: {_error_code(error)}"
        _log("failed", timer.alert_key, timer.execution_id, target=timer.target, reason=reason, level="error")
        raise TimerRetryError("the state table could not be written") from None
    if not not_fixed:
        _log("verified", timer.alert_key, timer.execution_id, target=timer.target, reason="resolved or superseded")
        return {"status": "closed", "target": timer.target}
    subject, message = not_fixed_message(timer, action_taken(runtime.clients.ssm, timer.execution_id), now)
    try:
        message_id = publish(runtime.clients.sns, runtime.settings.topic_arn, subject, message)
    except AWS_ERRORS as error:
        with contextlib.suppress(*AWS_ERRORS):
            runtime.store.release_expiry(timer.target, timer.alert_key)
        reason = f"not fixed publish: {_error_code(error)}"
        _log("failed", timer.alert_key, timer.execution_id, target=timer.target, reason=reason, level="error")
        raise TimerRetryError("the NOT FIXED escalation could not be published") from None
    _log("not_fixed", timer.alert_key, timer.execution_id, target=timer.target, circuit="open", escalation=message_id)
    return {"status": "not_fixed", "target": timer.target, "message_id": message_id}


class TimerRetryError(RuntimeError):
    """Raised out of the handler so that Lambda retries the timer's asynchronous invocation."""


def _open_circuit_for_relapse(alert: Alert, target: Target, runtime: Runtime, now: float) -> TargetOutcome:
    try:
        opened = runtime.store.open_circuit(target.label, now)
    except AWS_ERRORS as error:
        return _failed(alert, target, f"state write: {_error_code(error)}")
    if opened:
        subject, message = relapse_message(alert, target.label, runtime.settings.max_relapses, now)
        try:
            message_id = publish(runtime.clients.sns, runtime.settings.topic_arn, subject, message)
        except AWS_ERRORS as error:
            return _failed(alert, target, f"relapse escalation publish: {_error_code(error)}")
        _log("suppressed", alert.alert_key, target=target.label, reason="circuit open", escalation=message_id)
        return TargetOutcome(target.label, "suppressed", reason="circuit open")
    # A concurrent delivery opened the circuit first: this alert is one that finds it open.
    try:
        runtime.store.mark_unhealthy(target.label)
    except AWS_ERRORS as error:
        return _failed(alert, target, f"state write: {_error_code(error)}")
    _log("suppressed", alert.alert_key, target=target.label, reason="circuit open")
    return TargetOutcome(target.label, "suppressed", reason="circuit open")


def _brake_fleet(
    alert: Alert, targets: list[Target], runtime: Runtime, instances: list[str], limit: str
) -> dict[str, Any]:
    """Too many instances alert at once: start nothing, escalate once per alert."""
    now = runtime.clock()
    body: dict[str, Any] = {"alert_id": alert.alert_key, "execution_id": None, "instances": instances}
    message_id = ""
    try:
        first = runtime.store.claim_fleet_escalation(alert.alert_key, now)
    except AWS_ERRORS as error:
        _log("failed", alert.alert_key, status=502, reason=f"fleet escalation: {_error_code(error)}", level="error")
        return error_response(502, "upstream error", **body)
    if first:
        subject, message = fleet_message(alert, instances, limit, now)
        try:
            message_id = publish(runtime.clients.sns, runtime.settings.topic_arn, subject, message)
        except AWS_ERRORS as error:
            with contextlib.suppress(*AWS_ERRORS):
                runtime.store.release_fleet_escalation(alert.alert_key)  # so that Sumo's next delivery escalates
            reason = f"fleet escalation publish: {_error_code(error)}"
            _log("failed", alert.alert_key, status=502, reason=reason, level="error")
            return error_response(502, "upstream error", **body)
    for target in targets:
        _log("suppressed", alert.alert_key, target=target.label, reason="fleet brake", limit=limit)
    if first:
        _log("escalated", alert.alert_key, reason="fleet brake", escalation=message_id, instances=len(instances))
    return json_response(200, {"status": "suppressed", "reason": "fleet brake", **body})


def _escalate(alert: Alert, target: Target, runtime: Runtime, retry_at: float, now: float) -> TargetOutcome:
    try:
        if not runtime.store.claim_escalation(target.label, retry_at, now):
            reason = "attempt cap, already escalated"
            _log("suppressed", alert.alert_key, target=target.label, reason=reason)
            return TargetOutcome(target.label, "suppressed", reason="attempt cap")
    except AWS_ERRORS as error:
        return _failed(alert, target, f"escalation claim: {_error_code(error)}")
    subject, message = escalation_message(alert, target.label, retry_at, now)
    try:
        message_id = publish(runtime.clients.sns, runtime.settings.topic_arn, subject, message)
    except AWS_ERRORS as error:
        # If the release fails too, the escalation waits for the next window; the publish failure is what gets reported.
        with contextlib.suppress(*AWS_ERRORS):
            runtime.store.release_escalation(target.label, retry_at)
        return _failed(alert, target, f"escalation publish: {_error_code(error)}")
    _log("suppressed", alert.alert_key, target=target.label, reason="attempt cap", escalation=message_id)
    return TargetOutcome(target.label, "suppressed", reason="attempt cap")


def _failed(alert: Alert, target: Target, reason: str) -> TargetOutcome:
    _log("failed", alert.alert_key, target=target.label, status=502, reason=reason, level="error")
    return TargetOutcome(target.label, "failed", reason=reason)


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


def _log(
    decision: str,
    alert_id: str | None,
    execution_id: str | None = None,
    level: str = "info",
    **fields: Any,
) -> None:
    """One structured line per decision; callers pass only values safe to log (never headers or the body)."""
    # "" rather than None for unknown ids: the formatter drops None-valued keys, and every line must carry all three.
    # The request id is the correlation id the handler's decorator took from the event; handle_event called without
    # the handler (as most tests do) has none.
    extra = {
        "decision": decision,
        "alert_id": alert_id or "",
        "execution_id": execution_id or "",
        "request_id": str(logger.get_correlation_id() or "")[:128],
    }
    getattr(logger, level)(decision, extra={**extra, **fields})
