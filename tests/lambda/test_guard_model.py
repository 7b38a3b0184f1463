"""The guard's rules as the pure model states them: dedup, cooldown, the sliding-window cap, one escalation."""

from __future__ import annotations

import pytest
from remediation_webhook import state
from remediation_webhook.guard_model import GuardModel, GuardOutcome, GuardRules, Verdict, replay

T0 = 1_800_000_000
TARGET = "i-0123456789abcdef0"


def model(cooldown_seconds: int = 0, max_attempts: int = 3, window_seconds: int = 3600) -> GuardModel:
    return GuardModel(GuardRules(cooldown_seconds, max_attempts, window_seconds))


def test_the_store_and_the_model_share_one_verdict_type() -> None:
    assert state.Verdict is Verdict


def test_the_first_alert_for_a_target_starts() -> None:
    assert model().claim(TARGET, "alert-1", T0) is Verdict.START


def test_a_redelivered_alert_is_a_duplicate_even_long_after_its_cooldown() -> None:
    guard = model(cooldown_seconds=900)
    guard.claim(TARGET, "alert-1", T0)

    assert guard.claim(TARGET, "alert-1", T0) is Verdict.DUPLICATE
    assert guard.claim(TARGET, "alert-1", T0 + 86_400) is Verdict.DUPLICATE


def test_a_second_alert_inside_the_cooldown_starts_nothing_and_one_at_its_end_starts() -> None:
    guard = model(cooldown_seconds=900)
    guard.claim(TARGET, "alert-1", T0)

    assert guard.claim(TARGET, "alert-2", T0 + 899) is Verdict.COOLDOWN
    assert guard.claim(TARGET, "alert-3", T0 + 900) is Verdict.START


def test_times_are_whole_seconds_as_the_store_writes_them() -> None:
    guard = model(cooldown_seconds=10)
    guard.claim(TARGET, "alert-1", T0 + 0.9)  # cooldown until T0 + 10, not T0 + 10.9

    assert guard.claim(TARGET, "alert-2", T0 + 10.0) is Verdict.START


def test_the_cap_counts_starts_in_a_sliding_window() -> None:
    guard = model(cooldown_seconds=5, max_attempts=2, window_seconds=100)
    guard.claim(TARGET, "alert-1", T0)
    guard.claim(TARGET, "alert-2", T0 + 10)

    assert guard.claim(TARGET, "alert-3", T0 + 99) is Verdict.EXHAUSTED
    assert guard.claim(TARGET, "alert-4", T0 + 100) is Verdict.START  # the start at T0 has left the window
    assert guard.claim(TARGET, "alert-5", T0 + 109) is Verdict.EXHAUSTED  # T0 + 10 and T0 + 100 are inside
    assert guard.claim(TARGET, "alert-6", T0 + 110) is Verdict.START


def test_a_losing_claim_says_duplicate_before_cooldown_before_exhausted() -> None:
    guard = model(cooldown_seconds=50, max_attempts=1, window_seconds=100)
    guard.claim(TARGET, "alert-1", T0)

    assert guard.claim(TARGET, "alert-1", T0 + 10) is Verdict.DUPLICATE  # also in the cooldown and over the cap
    assert guard.claim(TARGET, "alert-2", T0 + 10) is Verdict.COOLDOWN  # also over the cap
    assert guard.claim(TARGET, "alert-2", T0 + 60) is Verdict.EXHAUSTED


def test_a_losing_claim_changes_nothing() -> None:
    guard = model(cooldown_seconds=50, max_attempts=1, window_seconds=100)
    guard.claim(TARGET, "alert-1", T0)
    before = guard.copy()

    for now, alert_key in [(T0 + 1, "alert-1"), (T0 + 2, "alert-2"), (T0 + 60, "alert-3")]:
        guard.claim(TARGET, alert_key, now)

    assert guard == before


def test_targets_are_decided_independently() -> None:
    guard = model(cooldown_seconds=900, max_attempts=1)
    guard.claim(TARGET, "alert-1", T0)

    assert guard.claim("i-0fedcba9876543210", "alert-1", T0) is Verdict.START
    assert guard.claim("i-0fedcba9876543210", "alert-2", T0 + 1) is Verdict.COOLDOWN


def test_an_empty_attempt_slot_counts_as_a_start_at_the_epoch_as_in_the_store() -> None:
    guard = model(max_attempts=2, window_seconds=100)
    guard.claim(TARGET, "alert-1", 5)

    assert guard.claim(TARGET, "alert-2", 99) is Verdict.EXHAUSTED
    assert guard.claim(TARGET, "alert-3", 100) is Verdict.START


def test_one_exhausted_window_escalates_once_and_a_new_window_escalates_again() -> None:
    guard = model(max_attempts=1, window_seconds=600)
    deliveries = [(T0, "a"), (T0 + 60, "b"), (T0 + 120, "c"), (T0 + 600, "d"), (T0 + 660, "e"), (T0 + 661, "f")]

    outcomes = [guard.deliver(TARGET, alert_key, now) for now, alert_key in deliveries]

    assert outcomes == [
        GuardOutcome(Verdict.START),
        GuardOutcome(Verdict.EXHAUSTED, escalated=True),
        GuardOutcome(Verdict.EXHAUSTED),
        GuardOutcome(Verdict.START),
        GuardOutcome(Verdict.EXHAUSTED, escalated=True),
        GuardOutcome(Verdict.EXHAUSTED),
    ]


def test_an_escalation_is_claimed_only_while_the_cap_is_exhausted() -> None:
    guard = model(max_attempts=1, window_seconds=600)

    assert not guard.claim_escalation(TARGET, T0)  # no state yet
    guard.claim(TARGET, "alert-1", T0)
    assert not guard.claim_escalation(TARGET, T0 + 600)  # the start has left the window
    assert guard.claim_escalation(TARGET, T0 + 599)


def test_a_failed_publish_releases_the_escalation_so_a_later_delivery_escalates() -> None:
    guard = model(max_attempts=1, window_seconds=600)
    guard.deliver(TARGET, "alert-1", T0)

    failed = guard.deliver(TARGET, "alert-2", T0 + 60, publish_succeeds=False)
    retried = guard.deliver(TARGET, "alert-3", T0 + 120)

    assert failed == GuardOutcome(Verdict.EXHAUSTED, escalated=True)
    assert retried == GuardOutcome(Verdict.EXHAUSTED, escalated=True)
    assert guard.deliver(TARGET, "alert-4", T0 + 180) == GuardOutcome(Verdict.EXHAUSTED)


def test_release_undoes_only_the_escalation_it_names() -> None:
    guard = model(max_attempts=1, window_seconds=600)
    guard.claim(TARGET, "alert-1", T0)
    guard.claim_escalation(TARGET, T0 + 60)

    guard.release_escalation(TARGET, T0 + 599)  # not the claim's retry_at (T0 + 600)

    assert not guard.claim_escalation(TARGET, T0 + 120)
    guard.release_escalation(TARGET, T0 + 600)
    assert guard.claim_escalation(TARGET, T0 + 120)


def test_replay_reports_each_delivery_in_order_from_an_empty_state() -> None:
    minute = 60
    firings = [(T0 + m * minute, TARGET, f"Critical@{m}") for m in (0, 10, 20, 30, 61)]

    outcomes = replay(firings, GuardRules(cooldown_seconds=60, max_attempts=2, window_seconds=3600))

    assert [(outcome.verdict, outcome.escalated) for outcome in outcomes] == [
        (Verdict.START, False),
        (Verdict.START, False),
        (Verdict.EXHAUSTED, True),
        (Verdict.EXHAUSTED, False),
        (Verdict.START, False),  # at 61 minutes the start at minute 0 has left the hour
    ]


@pytest.mark.parametrize("name, value", [("cooldown_seconds", -1), ("max_attempts", 0), ("window_seconds", 0)])
def test_rules_out_of_the_configurable_range_are_refused_with_the_value(name: str, value: int) -> None:
    valid = {"cooldown_seconds": 0, "max_attempts": 1, "window_seconds": 1}

    with pytest.raises(ValueError, match=f"{name} must be .*, got {value}"):
        GuardRules(**{**valid, name: value})


# --- the closed loop -----------------------------------------------------------------------------------------------


def loop(max_relapses: int = 2, relapse_seconds: int = 86_400, heal_seconds: int = 7200) -> GuardModel:
    return GuardModel(GuardRules(0, 20, 3600, relapse_seconds, max_relapses, heal_seconds))


def test_a_start_still_open_when_its_window_ends_is_not_fixed_once_and_opens_the_circuit() -> None:
    guard = loop()
    guard.claim(TARGET, "m:1", T0)

    assert guard.expire(TARGET, "m:1", T0 + 1020) is True
    assert guard.expire(TARGET, "m:1", T0 + 1021) is False
    assert guard.claim(TARGET, "m:2", T0 + 4000) is Verdict.CIRCUIT_OPEN
    assert guard.claim(TARGET, "m:1", T0 + 4000) is Verdict.DUPLICATE  # a redelivery is still only a duplicate


def test_a_verified_start_is_never_not_fixed_and_a_superseded_timer_does_nothing() -> None:
    guard = loop()
    guard.claim(TARGET, "m:1", T0)
    assert guard.verify(TARGET, "m", T0 + 600) is True
    assert guard.expire(TARGET, "m:1", T0 + 1020) is False
    guard.claim(TARGET, "m:2", T0 + 2000)
    assert guard.expire(TARGET, "m:1", T0 + 2020) is False  # m:1's timer, m:2's start: not the one it judges


def test_another_monitors_resolution_verifies_nothing() -> None:
    guard = loop()
    guard.claim(TARGET, "m:1", T0)
    assert guard.verify(TARGET, "other", T0 + 600) is False
    assert guard.expire(TARGET, "m:1", T0 + 1020) is True


def test_the_circuit_closes_only_after_the_target_stays_healthy_for_the_heal_time() -> None:
    guard = loop(heal_seconds=7200)
    guard.claim(TARGET, "m:1", T0)
    guard.expire(TARGET, "m:1", T0 + 1020)
    guard.verify(TARGET, "m", T0 + 2000)  # late: healthy from here, but not verified

    assert guard.claim(TARGET, "m:2", T0 + 2000 + 7199) is Verdict.CIRCUIT_OPEN
    guard.mark_unhealthy(TARGET)  # what the Lambda does for that suppressed alert
    guard.verify(TARGET, "m", T0 + 10_000)
    assert guard.claim(TARGET, "m:3", T0 + 10_000 + 7199) is Verdict.CIRCUIT_OPEN
    guard.verify(TARGET, "m", T0 + 20_000)
    assert guard.claim(TARGET, "m:4", T0 + 20_000 + 7200) is Verdict.START
    assert guard.targets[TARGET].circuit_open_since is None


def test_a_reset_closes_the_circuit() -> None:
    guard = loop()
    guard.claim(TARGET, "m:1", T0)
    guard.expire(TARGET, "m:1", T0 + 1020)
    guard.reset(TARGET)
    assert guard.claim(TARGET, "m:2", T0 + 1100) is Verdict.START


def test_more_relapses_than_the_limit_open_the_circuit_with_one_escalation() -> None:
    guard = loop(max_relapses=2)
    outcomes = []
    for number in range(1, 6):
        outcomes.append(guard.deliver(TARGET, f"m:{number}", T0 + number * 4000))
        guard.verify(TARGET, "m", T0 + number * 4000 + 600)

    assert [outcome.verdict for outcome in outcomes] == [
        Verdict.START,  # the first fix
        Verdict.START,  # relapse 1
        Verdict.START,  # relapse 2
        Verdict.RELAPSING,  # relapse 3: more than 2
        Verdict.CIRCUIT_OPEN,
    ]
    assert [outcome.escalated for outcome in outcomes] == [False, False, False, True, False]


def test_fixes_further_apart_than_the_relapse_window_are_not_relapses() -> None:
    guard = loop(max_relapses=0, relapse_seconds=3600)
    for number in range(1, 4):
        assert guard.claim(TARGET, f"m:{number}", T0 + number * 4000) is Verdict.START
        guard.verify(TARGET, "m", T0 + number * 4000 + 300)
    assert guard.targets[TARGET].relapses == 0
