"""EventBridge Scheduler schedules fire at twin time: moto stores them, this module runs them.

A schedule whose target is a Lambda function of the twin invokes it, with the schedule's `Input` as the event, once
its time has come on the twin's clock (so a test or the demo can jump the clock past it):

- `at(yyyy-mm-ddThh:mm:ss)` fires once, at that time in `ScheduleExpressionTimezone` (UTC by default);
  `ActionAfterCompletion: DELETE` then deletes it, as Scheduler does.
- `rate(N minute[s]|hour[s]|day[s])` fires every N units, the first time N units after it was created or last
  updated (or after `StartDate`), until `EndDate`. After a clock jump it fires once, not once per missed period.
- `FlexibleTimeWindow` `FLEXIBLE` fires at the end of its window (the latest time Scheduler may pick), OFF at the
  time itself. A DISABLED schedule does not fire. `cron(...)` is not evaluated: such a schedule never fires and
  its firing record says so.
- Before invoking, the twin checks what Scheduler needs: the schedule's `RoleArn` must exist, trust
  `scheduler.amazonaws.com` and allow `lambda:InvokeFunction` on the target (iam_policies.py). A refusal, a target
  that is not a twin Lambda function, or an invocation that fails is recorded and not retried; Scheduler would
  retry (its RetryPolicy) and so may deliver more than once, which is why a target must be idempotent.

Every firing is recorded, for `GET /_twin/scheduler/firings` (TwinControl.schedule_firings). The runner wakes at
least every POLL_TWIN_SECONDS of twin time and at once when the clock jumps; a schedule is never missed, only fired
up to that long after its time.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moto.backends import get_backend

from emulator.aws.iam_policies import AuthorizationRequest, role_allows
from emulator.aws.lambda_runtime import Invocation
from emulator.clock import ScaledClock

log = logging.getLogger(__name__)

POLL_TWIN_SECONDS = 5.0
HELD_BACK_POLL_REAL_SECONDS = 0.1
MAX_FIRINGS_KEPT = 1000
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}

FunctionInvoker = Callable[[Any, dict[str, Any]], Invocation]


class ExpressionError(ValueError):
    """A schedule expression the twin cannot run."""


@dataclass(frozen=True)
class OneTime:
    at: float  # epoch seconds


@dataclass(frozen=True)
class Rate:
    period_seconds: int


def parse_expression(expression: str, timezone: str | None) -> OneTime | Rate:
    """The schedule of `expression`; ExpressionError for cron() and anything malformed."""
    text = expression.strip()
    one_time = _AT.match(text)
    if one_time:
        try:
            zone = ZoneInfo(timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise ExpressionError(f"unknown ScheduleExpressionTimezone {timezone!r}") from None
        return OneTime(datetime.fromisoformat(one_time.group(1)).replace(tzinfo=zone).timestamp())
    rate = _RATE.match(text)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if count < 1:
            raise ExpressionError(f"a rate must be 1 or more, got {expression!r}")
        return Rate(count * _UNIT_SECONDS[unit])
    if text.startswith("cron("):
        raise ExpressionError("the twin does not evaluate cron() expressions")
    raise ExpressionError(f"expected at(yyyy-mm-ddThh:mm:ss) or rate(N unit), got {expression!r}")


@dataclass(frozen=True)
class Firing:
    """One time a schedule came due."""

    schedule_arn: str
    name: str
    group: str
    due_at: float  # twin epoch seconds
    fired_at: float
    target_arn: str
    ok: bool
    error: str | None = None


def _epoch(value: Any) -> float | None:
    """moto keeps StartDate/EndDate as given: epoch seconds (boto3 sends a number) or an ISO string."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return datetime.fromisoformat(str(value)).timestamp()


class ScheduleRunner:
    """Fires due schedules of one account and region on the twin's clock, in a thread of its own."""

    def __init__(self, clock: ScaledClock, account_id: str, region: str, invoke: FunctionInvoker) -> None:
        self._clock = clock
        self._account_id = account_id
        self._region = region
        self._invoke = invoke
        self._lock = threading.Lock()
        self._first_seen: dict[str, float] = {}  # schedule ARN -> twin time first seen (rate anchor)
        self._last_due: dict[str, float] = {}  # schedule ARN -> the due time last fired
        self._firings: list[Firing] = []
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="twin-scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def note_written(self, path: str, body: bytes) -> None:
        """A schedule was created or updated (PUT|POST /schedules/{Name}): its rate periods count from now."""
        name = unquote(path.removeprefix("/schedules/").split("?", 1)[0])
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError:
            request = {}
        group = request.get("GroupName") if isinstance(request, dict) else None
        arn = f"arn:aws:scheduler:{self._region}:{self._account_id}:schedule/{group or 'default'}/{name}"
        with self._lock:
            self._first_seen[arn] = self._clock.now()
            self._last_due.pop(arn, None)

    def firings(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(firing) for firing in self._firings]

    def _run(self) -> None:
        while not self._stopped.is_set():
            if self._settled_now() < self._clock.now() - 1:
                # A producer (the Sumo monitors) lags behind the clock: look again as soon as it may have caught up,
                # in real time, since twin time may hardly move (a paused clock) while it does.
                self._stopped.wait(HELD_BACK_POLL_REAL_SECONDS)
            else:
                self._clock.wait_for(self._stopped, POLL_TWIN_SECONDS)
            if self._stopped.is_set():
                return
            try:
                self.fire_due()
            except Exception:  # one bad schedule must not stop every later one
                log.exception("the twin's scheduler failed")

    def fire_due(self) -> list[Firing]:
        """Fire every schedule whose time has come, and has settled: no Sumo evaluation before it is still to run
        (ScaledClock.settled_through); what fired."""
        now = self._settled_now()
        fired = []
        for group_name, schedule in self._schedules():
            due_at = self._due_at(schedule, now)
            if due_at is None:
                continue
            self._last_due[schedule.arn] = due_at
            firing = self._fire(group_name, schedule, due_at)
            fired.append(firing)
            with self._lock:
                self._firings.append(firing)
                del self._firings[:-MAX_FIRINGS_KEPT]
            # Fired, whether the invocation worked or not: Scheduler would retry a failure, the twin does not.
            self._complete(group_name, schedule)
        return fired

    def _settled_now(self) -> float:
        settled_through = getattr(self._clock, "settled_through", None)
        return float(settled_through()) if settled_through is not None else self._clock.now()

    def _schedules(self) -> list[tuple[str, Any]]:
        backend = get_backend("scheduler")[self._account_id][self._region]
        return [
            (group_name, schedule)
            for group_name, group in list(backend.schedule_groups.items())
            for schedule in list(group.schedules.values())
        ]

    def _due_at(self, schedule: Any, now: float) -> float | None:
        """The due time to fire now, or None when nothing is due."""
        with self._lock:
            first_seen = self._first_seen.setdefault(schedule.arn, now)
        if schedule.state != "ENABLED":
            return None
        try:
            parsed = parse_expression(schedule.schedule_expression, schedule.schedule_expression_timezone)
        except ExpressionError as error:
            if schedule.arn not in self._last_due:
                self._last_due[schedule.arn] = now
                self._record_unrunnable(schedule, now, str(error))
            return None
        window = schedule.flexible_time_window or {}
        flexible = 60.0 * float(window.get("MaximumWindowInMinutes") or 0) if window.get("Mode") == "FLEXIBLE" else 0.0
        if isinstance(parsed, OneTime):
            due = parsed.at + flexible
            return due if due <= now and schedule.arn not in self._last_due else None
        anchor = _epoch(schedule.start_date) or first_seen
        end = _epoch(schedule.end_date)
        periods = int((now - flexible - anchor) // parsed.period_seconds)
        if periods < 1:
            return None
        due = anchor + periods * parsed.period_seconds + flexible
        if end is not None and due > end:
            return None
        return due if self._last_due.get(schedule.arn, 0.0) < due else None

    def _record_unrunnable(self, schedule: Any, now: float, reason: str) -> None:
        firing = Firing(schedule.arn, schedule.name, schedule.group_name, now, now, schedule.target.get("Arn", ""),
                        ok=False, error=f"not fired: {reason}")  # fmt: skip
        log.warning("schedule %s: %s", schedule.arn, firing.error)
        with self._lock:
            self._firings.append(firing)

    def _fire(self, group_name: str, schedule: Any, due_at: float) -> Firing:
        target = schedule.target
        target_arn = str(target.get("Arn", ""))
        refusal = self._refusal(target_arn, str(target.get("RoleArn", "")))
        fired_at = self._clock.now()
        if refusal is not None:
            log.warning("schedule %s did not invoke %s: %s", schedule.arn, target_arn, refusal)
            return Firing(schedule.arn, schedule.name, group_name, due_at, fired_at, target_arn, False, refusal)
        function = self._function(target_arn)
        raw_input = target.get("Input")
        try:
            event = json.loads(raw_input) if raw_input else {}
        except json.JSONDecodeError as error:
            reason = f"the target's Input is not JSON: {error}"
            return Firing(schedule.arn, schedule.name, group_name, due_at, fired_at, target_arn, False, reason)
        invocation = self._invoke(function, event)
        if not invocation.ok:
            reason = f"the function failed: {invocation.error_type}: {invocation.error_message}"[:500]
            log.warning("schedule %s: %s", schedule.arn, reason)
            return Firing(schedule.arn, schedule.name, group_name, due_at, fired_at, target_arn, False, reason)
        log.info("schedule %s invoked %s (due at %s)", schedule.arn, target_arn, due_at)
        return Firing(schedule.arn, schedule.name, group_name, due_at, fired_at, target_arn, True)

    def _function(self, target_arn: str) -> Any | None:
        lambdas = get_backend("lambda")[self._account_id][self._region]
        try:
            return lambdas.get_function(target_arn)
        except Exception:  # moto raises its own not-found errors
            return None

    def _refusal(self, target_arn: str, role_arn: str) -> str | None:
        """Why Scheduler could not invoke `target_arn` as `role_arn`, or None."""
        if not target_arn.startswith(f"arn:aws:lambda:{self._region}:{self._account_id}:function:"):
            return f"the twin's scheduler invokes Lambda functions of its account and region only, not {target_arn!r}"
        if self._function(target_arn) is None:
            return f"no function {target_arn}"
        iam = get_backend("iam")[self._account_id]["global"]
        role = next((candidate for candidate in iam.get_roles() if candidate.arn == role_arn), None)
        if role is None:
            return f"the schedule's role {role_arn!r} does not exist"
        if not _trusts_scheduler(role.assume_role_policy_document):
            return f"the role {role_arn} does not trust {SCHEDULER_PRINCIPAL} (its trust policy)"
        unqualified = target_arn.split(":function:")[0] + ":function:" + target_arn.split(":function:")[1].split(":")[0]
        for resource in dict.fromkeys((target_arn, unqualified)):
            if role_allows(iam, role_arn, AuthorizationRequest("lambda:InvokeFunction", resource)):
                return None
        return f"the role {role_arn} is not allowed lambda:InvokeFunction on {target_arn}"

    def _complete(self, group_name: str, schedule: Any) -> None:
        """A one-time schedule with ActionAfterCompletion DELETE is deleted once it has fired."""
        if schedule.action_after_completion != "DELETE":
            return
        if not isinstance(parse_expression(schedule.schedule_expression, schedule.schedule_expression_timezone),
                          OneTime):  # fmt: skip
            return
        backend = get_backend("scheduler")[self._account_id][self._region]
        group = backend.schedule_groups.get(group_name)
        if group is not None:
            group.schedules.pop(schedule.name, None)


def _trusts_scheduler(document: Any) -> bool:
    try:
        policy = json.loads(unquote(document)) if isinstance(document, str) else document
    except json.JSONDecodeError:
        return False
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal", {}) if isinstance(statement, dict) else {}
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        actions = statement.get("Action", [])
        if (
            statement.get("Effect") == "Allow"
            and SCHEDULER_PRINCIPAL in (services if isinstance(services, list) else [services])
            and "sts:AssumeRole" in (actions if isinstance(actions, list) else [actions])
        ):
            return True
    return False
