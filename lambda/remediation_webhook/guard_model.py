"""The remediation guard's decision rules, written once as a pure in-memory model (standard library only).

DecisionStore (state.py) enforces these rules with DynamoDB conditional writes; this model is the same rules as plain
Python, for the backtest and as the reference the store is tested against (tests/lambda/test_guard_model_vs_store.py).

Times are whole seconds: every ``now`` is truncated with ``int(now)``, as the store writes it. Each target has one
state, absent until its first start:

- ``alert_key``: the alert that decided the last start;
- ``cooldown_until``: that start's time plus the cooldown;
- ``attempts``: a shift register of the last ``max_attempts`` start times, oldest first, 0 for an empty slot;
- ``escalated_until``: set by an escalation, to the oldest attempt plus the window.

A claim for ``alert_key`` at ``now`` starts (Verdict.START) on a target with no state, or when all of these hold:

- dedup: ``alert_key`` differs from the last start's (one alert, however often delivered, is decided once);
- cooldown: ``cooldown_until <= now``;
- attempt cap: ``attempts[0] <= now - window``: the oldest of the last N starts has left the window, so fewer than N
  starts lie inside it (an exact sliding window). An empty slot counts as a start at time 0, so a clock earlier than
  ``window`` seconds after the epoch never frees it, exactly as in the store.

A start shifts ``attempts`` left, writes ``now`` last and sets ``alert_key`` and ``cooldown_until``. Otherwise nothing
changes and the verdict says why, first match wins: same ``alert_key`` → DUPLICATE; ``cooldown_until > now`` →
COOLDOWN; else → EXHAUSTED. A start is never rolled back: a start that then fails still counts as an attempt.

An EXHAUSTED delivery then claims the escalation, which succeeds (and sets ``escalated_until = attempts[0] + window``)
only if the cap is still exhausted and no earlier escalation is still running (``escalated_until <= now`` or unset):
exactly one escalation per exhausted window. If publishing the escalation fails, the claim is released, so a later
delivery in the same window escalates instead.

The closed loop adds the verification of each start and a circuit breaker per target:

- ``verify``: the alert that decided the last start resolved. If that start is neither verified nor already judged
  not fixed, it is verified (``verified_at = now``), and it counts as a relapse when it was decided within
  ``relapse_seconds`` of the previous verified fix (``relapses + 1``, else ``relapses = 0``). Any resolution also
  sets ``healthy_since = now``.
- ``expire``: the verification window of the start decided by ``alert_key`` ended. If that start is still the last
  one and was not verified, it is NOT FIXED, exactly once: the circuit opens (``circuit_open_since = now``).
- While the circuit is open a claim loses with CIRCUIT_OPEN (after DUPLICATE, before the rest), and the delivery
  clears ``healthy_since``: the target is not healthy. The circuit closes when a person resets it, or by itself for
  the claim that finds ``healthy_since`` set, at or after the circuit opened, and at least ``heal_seconds`` old; that
  claim starts and clears the circuit.
- A claim within ``relapse_seconds`` of a verified fix after ``max_relapses`` relapses in a row loses with RELAPSING;
  the delivery then opens the circuit (exactly one delivery does, and resets ``relapses``) and escalates.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace


class Verdict(enum.Enum):
    START = "start"
    DUPLICATE = "duplicate"
    COOLDOWN = "cooldown"
    EXHAUSTED = "exhausted"
    CIRCUIT_OPEN = "circuit open"
    RELAPSING = "relapsing"


@dataclass(frozen=True)
class GuardRules:
    """The guard's settings, with the ranges the Lambda's configuration accepts."""

    cooldown_seconds: int
    max_attempts: int
    window_seconds: int
    relapse_seconds: int = 86400
    max_relapses: int = 2
    heal_seconds: int = 86400

    def __post_init__(self) -> None:
        if self.cooldown_seconds < 0:
            raise ValueError(f"cooldown_seconds must be 0 or more, got {self.cooldown_seconds}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be 1 or more, got {self.max_attempts}")
        if self.window_seconds < 1:
            raise ValueError(f"window_seconds must be 1 or more, got {self.window_seconds}")
        if self.relapse_seconds < 0 or self.max_relapses < 0 or self.heal_seconds < 0:
            raise ValueError("relapse_seconds, max_relapses and heal_seconds must be 0 or more")

    def cooldown_until(self, started_at: int) -> int:
        return started_at + self.cooldown_seconds

    def window_cutoff(self, now: int) -> int:
        """The oldest attempt must be at or before this time for the cap to let another start through."""
        return now - self.window_seconds

    def retry_at(self, oldest_attempt: int) -> int:
        """When the oldest attempt leaves the window (also when an escalation for it ends)."""
        return oldest_attempt + self.window_seconds

    def circuit_blocks(self, circuit_open_since: int | None, healthy_since: int | None, now: int) -> bool:
        """An open circuit refuses a start unless the target has been healthy for heal_seconds since it opened."""
        if circuit_open_since is None:
            return False
        healed = healthy_since is not None and circuit_open_since <= healthy_since <= now - self.heal_seconds
        return not healed

    def relapsing(self, relapses: int, verified_at: int | None, now: int) -> bool:
        """A new alert soon after a verified fix, when the fixes before it already relapsed max_relapses times."""
        return verified_at is not None and relapses >= self.max_relapses and verified_at >= now - self.relapse_seconds

    def is_relapse(self, decided_at: int, previous_verified_at: int) -> bool:
        """A start decided within relapse_seconds of the previous verified fix (0: none) was a relapse."""
        return previous_verified_at > 0 and decided_at - previous_verified_at <= self.relapse_seconds


def losing_verdict(
    same_alert: bool, cooldown_until: int, now: int, circuit_blocks: bool = False, relapsing: bool = False
) -> Verdict:
    """Why a claim that did not start lost: DUPLICATE, CIRCUIT_OPEN, RELAPSING, COOLDOWN, EXHAUSTED, first match."""
    if same_alert:
        return Verdict.DUPLICATE
    if circuit_blocks:
        return Verdict.CIRCUIT_OPEN
    if relapsing:
        return Verdict.RELAPSING
    if cooldown_until > now:
        return Verdict.COOLDOWN
    return Verdict.EXHAUSTED


@dataclass(frozen=True)
class TargetState:
    """What the store's item for one target holds, as far as the rules read it."""

    alert_key: str
    cooldown_until: int
    attempts: tuple[int, ...]  # oldest first, 0 = empty slot
    escalated_until: int | None = None
    circuit_open_since: int | None = None
    healthy_since: int | None = None
    verified_at: int | None = None  # the last verified fix
    verified_key: str | None = None  # the alert whose start was verified last
    not_fixed_key: str | None = None  # the alert whose start was judged not fixed last
    previous_verified_at: int = 0  # verified_at as the last start found it
    relapses: int = 0

    @property
    def decided_at(self) -> int:
        return self.attempts[-1]


@dataclass(frozen=True)
class GuardOutcome:
    """What the Lambda decided for one delivery: the claim's verdict, and whether this delivery escalated."""

    verdict: Verdict
    escalated: bool = False


@dataclass
class GuardModel:
    """Per-target guard state in memory; each method is the store's method of the same name."""

    rules: GuardRules
    targets: dict[str, TargetState] = field(default_factory=dict)

    def copy(self) -> GuardModel:
        return GuardModel(self.rules, dict(self.targets))  # states are frozen, so a shallow copy is independent

    def claim(self, target_label: str, alert_key: str, now: float) -> Verdict:
        """Decide whether `alert_key` may start a remediation of the target at `now` (the module docstring)."""
        now_s = int(now)
        state = self.targets.get(target_label)
        if state is None:
            attempts = (*(0,) * (self.rules.max_attempts - 1), now_s)
            self.targets[target_label] = TargetState(alert_key, self.rules.cooldown_until(now_s), attempts)
            return Verdict.START
        blocks = self.rules.circuit_blocks(state.circuit_open_since, state.healthy_since, now_s)
        relapsing = self.rules.relapsing(state.relapses, state.verified_at, now_s)
        if not self._may_start(state, alert_key, now_s) or blocks or relapsing:
            return losing_verdict(state.alert_key == alert_key, state.cooldown_until, now_s, blocks, relapsing)
        self.targets[target_label] = replace(
            state,
            alert_key=alert_key,
            cooldown_until=self.rules.cooldown_until(now_s),
            attempts=(*state.attempts[1:], now_s),
            circuit_open_since=None,
            healthy_since=None,
            previous_verified_at=state.verified_at or 0,
        )
        return Verdict.START

    def _may_start(self, state: TargetState, alert_key: str, now: int) -> bool:
        return (
            state.alert_key != alert_key
            and state.cooldown_until <= now
            and state.attempts[0] <= self.rules.window_cutoff(now)
        )

    def verify(self, target_label: str, monitor_id: str, now: float) -> bool:
        """The monitor's alert resolved: True when this verifies the last start (the module docstring)."""
        now_s = int(now)
        state = self.targets.get(target_label)
        if state is None:
            return False
        decided_by_monitor = state.alert_key.startswith(f"{monitor_id}:")
        open_start = state.verified_key != state.alert_key and state.not_fixed_key != state.alert_key
        if not (decided_by_monitor and open_start):
            self.targets[target_label] = replace(state, healthy_since=now_s)
            return False
        relapse = self.rules.is_relapse(state.decided_at, state.previous_verified_at)
        self.targets[target_label] = replace(
            state,
            healthy_since=now_s,
            verified_at=now_s,
            verified_key=state.alert_key,
            relapses=state.relapses + 1 if relapse else 0,
        )
        return True

    def expire(self, target_label: str, alert_key: str, now: float) -> bool:
        """The verification window of `alert_key`'s start ended: True (once) when it was not fixed."""
        state = self.targets.get(target_label)
        if state is None or state.alert_key != alert_key or alert_key in (state.verified_key, state.not_fixed_key):
            return False
        self.targets[target_label] = replace(
            state, not_fixed_key=alert_key, circuit_open_since=int(now), healthy_since=None
        )
        return True

    def open_circuit(self, target_label: str, now: float) -> bool:
        """Open the circuit for a relapsing target: True for the one caller that opened it."""
        state = self.targets.get(target_label)
        if state is None or state.circuit_open_since is not None:
            return False
        self.targets[target_label] = replace(state, circuit_open_since=int(now), healthy_since=None, relapses=0)
        return True

    def mark_unhealthy(self, target_label: str) -> None:
        """An alert arrived while the circuit was open: the target's healthy time starts again at its resolution."""
        state = self.targets.get(target_label)
        if state is not None:
            self.targets[target_label] = replace(state, healthy_since=None)

    def reset(self, target_label: str) -> None:
        """A person closed the circuit."""
        state = self.targets.get(target_label)
        if state is not None:
            self.targets[target_label] = replace(state, circuit_open_since=None, relapses=0)

    def claim_escalation(self, target_label: str, now: float) -> bool:
        """True for exactly one claim per exhausted window: that caller publishes the escalation."""
        now_s = int(now)
        state = self.targets.get(target_label)
        if state is None or state.attempts[0] <= self.rules.window_cutoff(now_s):
            return False
        if state.escalated_until is not None and state.escalated_until > now_s:
            return False
        self.targets[target_label] = replace(state, escalated_until=self.rules.retry_at(state.attempts[0]))
        return True

    def release_escalation(self, target_label: str, retry_at: int) -> None:
        """Undo the escalation claim that set `retry_at` (and only that one), so a later delivery escalates."""
        state = self.targets.get(target_label)
        if state is not None and state.escalated_until == int(retry_at):
            self.targets[target_label] = replace(state, escalated_until=None)

    def deliver(self, target_label: str, alert_key: str, now: float, publish_succeeds: bool = True) -> GuardOutcome:
        """One delivery as the Lambda handles it: claim; if EXHAUSTED, claim the escalation (released again when
        publishing it fails, so `escalated` then means the claim was won but nothing was published)."""
        verdict = self.claim(target_label, alert_key, now)
        if verdict is Verdict.CIRCUIT_OPEN:
            self.mark_unhealthy(target_label)
            return GuardOutcome(verdict)
        if verdict is Verdict.RELAPSING:
            return GuardOutcome(verdict, escalated=self.open_circuit(target_label, now))
        if verdict is not Verdict.EXHAUSTED or not self.claim_escalation(target_label, now):
            return GuardOutcome(verdict)
        if not publish_succeeds:
            self.release_escalation(target_label, self.rules.retry_at(self.targets[target_label].attempts[0]))
        return GuardOutcome(verdict, escalated=True)


def replay(events: Iterable[tuple[float, str, str]], rules: GuardRules) -> list[GuardOutcome]:
    """The outcome of each `(now, target_label, alert_key)` delivery, in the given order, from an empty state; every
    escalation is assumed to publish."""
    model = GuardModel(rules)
    return [model.deliver(target_label, alert_key, now) for now, target_label, alert_key in events]


@dataclass(frozen=True)
class LoopEvent:
    """One thing that happened in the closed loop, at `now`, in the order it was handled."""

    now: int
    kind: str  # alert, resolved, timer
    target_label: str
    alert_key: str
    verdict: Verdict | None = None  # alerts: the claim's verdict
    escalated: bool = False  # alerts: an attempt-cap or relapse escalation; timers: NOT FIXED
    verified: bool = False  # resolutions: this one verified the last start


def replay_closed_loop(
    events: Iterable[tuple[float, str, str, str]], rules: GuardRules, verify_seconds: int
) -> list[LoopEvent]:
    """Alerts (``"alert"``) and resolutions (``"resolved"``) as `(now, kind, target_label, alert_key)` in time order,
    with the verification timer each start sets (``verify_seconds`` later) handled at its time, before any event of
    the same second; a resolution's alert key names its monitor as ``monitor:...``."""
    model = GuardModel(rules)
    timers: list[tuple[int, str, str]] = []  # (due, target, alert key), kept sorted
    handled: list[LoopEvent] = []

    def fire_timers_until(now: int) -> None:
        while timers and timers[0][0] <= now:
            due, target_label, alert_key = timers.pop(0)
            not_fixed = model.expire(target_label, alert_key, due)
            handled.append(LoopEvent(due, "timer", target_label, alert_key, escalated=not_fixed))

    for now, kind, target_label, alert_key in events:
        now_s = int(now)
        fire_timers_until(now_s)
        if kind == "resolved":
            verified = model.verify(target_label, alert_key.partition(":")[0], now_s)
            handled.append(LoopEvent(now_s, kind, target_label, alert_key, verified=verified))
            continue
        outcome = model.deliver(target_label, alert_key, now_s)
        if outcome.verdict is Verdict.START:
            timers.append((now_s + verify_seconds, target_label, alert_key))
            timers.sort()
        handled.append(LoopEvent(now_s, kind, target_label, alert_key, outcome.verdict, outcome.escalated))
    fire_timers_until(2**62)
    return handled
