"""DecisionStore on the twin's DynamoDB decides as GuardModel does, for generated deliveries, some of them concurrent.

Deliveries sent concurrently at the same `now` may be decided in any order, so the store passes a step when SOME serial
order of the step's deliveries gives, in the model, exactly the verdict and escalation the store gave each delivery
(which implies the same multiset of verdicts and the same number of escalations). Every order that fits is kept, and
the next step must fit one of them: a linearizability check with the model as the specification.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_testkit import AwsEndpoint
from remediation_webhook.guard_model import GuardModel, GuardOutcome, GuardRules, Verdict
from remediation_webhook.state import DecisionStore

from emulator.readiness import create_table_and_wait_until_active

# About 6,000 DynamoDB calls: five minutes on a loaded 2-core machine, past the suite's 300 s per test.
pytestmark = [pytest.mark.slow, pytest.mark.twin, pytest.mark.timeout(1200)]

EXAMPLES = 1000
MAX_DELIVERIES = 8
MAX_CONCURRENT = 4
TARGETS = 2
MONITOR = "monitor"
ALERT_KEYS = (f"{MONITOR}:1", f"{MONITOR}:2", f"{MONITOR}:3")
# What arrives: an alert, its resolution (which verifies), or the verification timer of an alert's start.
KINDS = ("alert", "alert", "resolve", "timer")
# A realistic clock, and one inside the first window after the epoch, where an empty attempt slot still counts.
START_TIMES = (1_800_000_000.0, 3.0)


@dataclass(frozen=True)
class Delivery:
    target: int
    alert_key: str
    publish_succeeds: bool = True
    kind: str = "alert"


@dataclass(frozen=True)
class Step:
    """The clock moves on by `advance_seconds`, then `deliveries` arrive at that same time (concurrently if several)."""

    advance_seconds: float
    deliveries: tuple[Delivery, ...]


@dataclass(frozen=True)
class Scenario:
    rules: GuardRules
    start_time: float
    steps: tuple[Step, ...]


rules = st.builds(
    GuardRules,
    cooldown_seconds=st.sampled_from([0, 1, 5, 60]),
    max_attempts=st.integers(min_value=1, max_value=3),
    window_seconds=st.sampled_from([1, 7, 120]),
    relapse_seconds=st.sampled_from([0, 5, 120]),
    max_relapses=st.integers(min_value=0, max_value=1),
    heal_seconds=st.sampled_from([0, 5, 120]),
)


def advances(guard: GuardRules) -> st.SearchStrategy[float]:
    """Zero, fractions (times are truncated to whole seconds), and steps at and beside the cooldown and the window."""
    edges = {0, 1, *(guard.cooldown_seconds + delta for delta in (-1, 0, 1))}
    edges |= {guard.window_seconds + delta for delta in (-1, 0, 1)}
    edges |= {guard.heal_seconds + delta for delta in (-1, 0, 1)} | {guard.relapse_seconds + delta for delta in (0, 1)}
    return st.one_of(
        st.just(0.0),
        st.sampled_from(sorted(float(edge) for edge in edges if edge >= 0)),
        st.floats(min_value=0, max_value=2.5 * guard.window_seconds, allow_nan=False),
        st.just(float(3 * guard.window_seconds + guard.cooldown_seconds)),
    )


deliveries = st.builds(
    Delivery,
    target=st.integers(min_value=0, max_value=TARGETS - 1),
    alert_key=st.sampled_from(ALERT_KEYS),
    publish_succeeds=st.booleans(),
    kind=st.sampled_from(KINDS),
)


@st.composite
def steps(draw: st.DrawFn, guard: GuardRules) -> Step:
    arriving = draw(st.lists(deliveries, min_size=1, max_size=MAX_CONCURRENT))
    if len(arriving) > 1:
        # A concurrent delivery's release could interleave with another's escalation claim in ways a per-delivery
        # order cannot describe, so publishing fails only for a delivery that arrives alone.
        arriving = [Delivery(delivery.target, delivery.alert_key, kind=delivery.kind) for delivery in arriving]
    return Step(draw(advances(guard)), tuple(arriving))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    guard = draw(rules)
    drawn = draw(st.lists(steps(guard), min_size=1, max_size=MAX_DELIVERIES))
    kept: list[Step] = []
    budget = MAX_DELIVERIES
    for step in drawn:
        if len(step.deliveries) > budget:
            break
        kept.append(step)
        budget -= len(step.deliveries)
    return Scenario(guard, draw(st.sampled_from(START_TIMES)), tuple(kept))


# --- the two sides -------------------------------------------------------------------------------------------------


Outcome = GuardOutcome | tuple[str, bool]


def deliver_to_store(store: DecisionStore, target_label: str, delivery: Delivery, now: float) -> Outcome:
    """What app.py does with the store: for an alert, claim; if EXHAUSTED, claim the escalation, released on a failed
    publish; if CIRCUIT_OPEN, mark the target unhealthy; if RELAPSING, open the circuit. For a resolution, verify;
    for a timer, expire (the SSM start, the timer itself and the SNS publish are left out: they do not touch the
    decision)."""
    if delivery.kind == "resolve":
        verification = store.verify(target_label, MONITOR, now)
        return ("verified", bool(verification and verification.verified))
    if delivery.kind == "timer":
        return ("not fixed", store.expire(target_label, delivery.alert_key, now))
    request = {"ClientToken": f"{target_label}/{delivery.alert_key}"}
    decision = store.claim(target_label, delivery.alert_key, request, now)
    if decision.verdict is Verdict.CIRCUIT_OPEN:
        store.mark_unhealthy(target_label)
        return GuardOutcome(decision.verdict)
    if decision.verdict is Verdict.RELAPSING:
        if store.open_circuit(target_label, now):
            return GuardOutcome(decision.verdict, escalated=True)
        # A concurrent delivery opened it first: this one comes after it, and finds the circuit open.
        store.mark_unhealthy(target_label)
        return GuardOutcome(Verdict.CIRCUIT_OPEN)
    if decision.verdict is not Verdict.EXHAUSTED or not store.claim_escalation(target_label, decision.retry_at, now):
        return GuardOutcome(decision.verdict)
    if not delivery.publish_succeeds:
        store.release_escalation(target_label, decision.retry_at)
    return GuardOutcome(decision.verdict, escalated=True)


def deliver_to_model(model: GuardModel, target_label: str, delivery: Delivery, now: float) -> Outcome:
    if delivery.kind == "resolve":
        return ("verified", model.verify(target_label, MONITOR, now))
    if delivery.kind == "timer":
        return ("not fixed", model.expire(target_label, delivery.alert_key, now))
    return model.deliver(target_label, delivery.alert_key, now, delivery.publish_succeeds)


def deliver_step_to_store(
    pool: ThreadPoolExecutor, store: DecisionStore, labels: list[str], step: Step, now: float
) -> tuple[Outcome, ...]:
    """Each delivery's outcome; several deliveries are released together from their own threads."""
    if len(step.deliveries) == 1:
        [delivery] = step.deliveries
        return (deliver_to_store(store, labels[delivery.target], delivery, now),)
    starting_gun = threading.Barrier(len(step.deliveries), timeout=60)

    def send(delivery: Delivery) -> Outcome:
        starting_gun.wait()
        return deliver_to_store(store, labels[delivery.target], delivery, now)

    return tuple(pool.map(send, step.deliveries))


def fitting_models(
    candidates: list[GuardModel], labels: list[str], step: Step, now: float, observed: tuple[Outcome, ...]
) -> list[GuardModel]:
    """The distinct model states reached by every serial order of the step that gives each delivery its observed
    outcome, from any of the candidate states."""
    fitting: list[GuardModel] = []
    for candidate in candidates:
        for order in itertools.permutations(range(len(step.deliveries))):
            model = candidate.copy()
            outcomes: dict[int, Outcome] = {}
            for index in order:
                delivery = step.deliveries[index]
                outcomes[index] = deliver_to_model(model, labels[delivery.target], delivery, now)
            if tuple(outcomes[index] for index in range(len(order))) == observed and model not in fitting:
                fitting.append(model)
    return fitting


def model_outcomes_in_arrival_order(model: GuardModel, labels: list[str], step: Step, now: float) -> list[Outcome]:
    trial = model.copy()
    return [deliver_to_model(trial, labels[delivery.target], delivery, now) for delivery in step.deliveries]


# --- the property --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def state_table(aws: AwsEndpoint) -> str:
    """One table for the whole run; each generated scenario uses target labels of its own."""
    name = f"guard-model-vs-store-{uuid.uuid4().hex[:8]}"
    create_table_and_wait_until_active(
        aws.client("dynamodb"),
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=MAX_CONCURRENT) as executor:
        yield executor


def run_scenario(scenario: Scenario, store: DecisionStore, pool: ThreadPoolExecutor, seen: Counter[str]) -> None:
    labels = [f"guard-{uuid.uuid4().hex}" for _ in range(TARGETS)]
    candidates = [GuardModel(scenario.rules)]
    now = scenario.start_time
    for number, step in enumerate(scenario.steps, start=1):
        now += step.advance_seconds
        observed = deliver_step_to_store(pool, store, labels, step, now)
        fitting = fitting_models(candidates, labels, step, now, observed)
        if not fitting:
            in_arrival_order = model_outcomes_in_arrival_order(candidates[0], labels, step, now)
            pytest.fail(
                f"step {number} at now={now!r}: the store gave {observed}, which no order of {step.deliveries} gives"
                f" in the model; in arrival order the model gives {in_arrival_order}"
            )
        candidates = fitting
        count_what_was_met(seen, step, observed)


def count_what_was_met(seen: Counter[str], step: Step, observed: tuple[Outcome, ...]) -> None:
    claims = [outcome for outcome in observed if isinstance(outcome, GuardOutcome)]
    verdicts = {outcome.verdict for outcome in claims}
    seen.update(outcome.verdict.name for outcome in claims)
    seen.update(outcome[0] for outcome in observed if isinstance(outcome, tuple) and outcome[1])
    seen["escalated"] += sum(outcome.escalated for outcome in claims)
    released = [
        delivery.kind == "alert"
        and not delivery.publish_succeeds
        and isinstance(outcome, GuardOutcome)
        and outcome.escalated
        and outcome.verdict is Verdict.EXHAUSTED
        for delivery, outcome in zip(step.deliveries, observed, strict=True)
    ]
    seen["released"] += sum(released)
    if len(step.deliveries) > 1:
        seen["concurrent steps"] += 1
        seen["concurrent steps with a start and a loser"] += Verdict.START in verdicts and len(verdicts) > 1


def test_the_store_on_dynamodb_decides_every_generated_sequence_as_the_model_does(
    aws: AwsEndpoint, state_table: str, pool: ThreadPoolExecutor
) -> None:
    dynamodb = aws.client("dynamodb")
    seen: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scenarios())
    def store_agrees_with_model(scenario: Scenario) -> None:
        guard = scenario.rules
        store = DecisionStore(dynamodb, state_table, guard)
        run_scenario(scenario, store, pool, seen)

    store_agrees_with_model()

    # The property is only as strong as what it met: every verdict, escalations, releases and real races.
    assert {verdict.name for verdict in Verdict} | {"verified", "not fixed"} <= set(seen), seen
    assert min(seen["escalated"], seen["released"], seen["concurrent steps with a start and a loser"]) > 0, seen
