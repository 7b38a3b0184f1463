"""`remediation pause`, `resume` and `reset` on the twin: each change is made, recorded with the caller's identity
and announced on the topic (read from a raw-delivery queue); a following alert sees it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.twin

HOUR = 3600


def console_messages(site):
    return [message for message in site.site.messages() if message.get("source") == "remediation-console"]


def test_pause_disables_the_switch_and_announces_who_paused(site):
    answer = site.console_run("pause", "--json")

    assert answer.exit_code == 0, answer.stderr
    change = answer.json()
    assert site.switch() == "disabled"
    assert change["changed"] is True
    assert change["by"].startswith("arn:aws:")
    (message,) = console_messages(site)
    assert message["outcome"] == "paused"
    assert message["by"] == change["by"]
    assert message["timestamp_utc"] == change["timestamp_utc"]
    assert message["kill_switch"] == site.console.switch_parameter
    assert (message["value"], message["previous_value"]) == ("disabled", "enabled")
    assert change["message_id"]


def test_an_alert_after_pause_is_suppressed_and_resume_lets_the_next_one_start(site):
    site.console_run("pause")
    paused = site.deliver()
    resumed_answer = site.console_run("resume", "--json")
    resumed = site.deliver()

    assert paused["status"] == "disabled"
    assert resumed_answer.json()["outcome"] == "resumed"
    assert site.switch() == "enabled"
    assert resumed["status"] == "started"
    assert [message["outcome"] for message in console_messages(site)] == ["paused", "resumed"]


def test_pausing_what_is_paused_changes_and_announces_nothing(site):
    site.console_run("pause")
    again = site.console_run("pause", "--json")

    assert again.exit_code == 0
    assert again.json()["changed"] is False
    assert "already disabled" in again.json()["detail"]
    assert len(console_messages(site)) == 1


def test_reset_closes_the_circuit_clears_the_attempts_and_records_who(site):
    now = int(site.twin_now())
    target = site.instance_id
    site.put_item(
        target,
        alert_key="m:1",
        cooldown_until=now - HOUR,
        attempt_0=now - 3 * HOUR,
        attempt_1=now - 2 * HOUR,
        attempt_2=now - HOUR,
        escalated_until=now + 3 * HOUR,
        circuit_open_since=now - HOUR,
        not_fixed_key="m:1",
        relapses=2,
    )

    answer = site.console_run("reset", target, "--json")

    assert answer.exit_code == 0, answer.stderr
    change = answer.json()
    item = site.item(target)
    assert "circuit_open_since" not in item
    assert "escalated_until" not in item
    assert [item[f"attempt_{index}"] for index in range(3)] == ["0", "0", "0"]
    assert item["relapses"] == "0"
    assert int(item["expires_at"]) > now
    assert item["reset_by"] == change["by"]
    assert item["not_fixed_key"] == "m:1"  # that start stays judged: no second NOT FIXED for it
    (message,) = console_messages(site)
    assert (message["outcome"], message["target"], message["previous_state"]) == ("reset", target, "circuit open")
    assert message["by"] == change["by"]
    status = {entry["target"]: entry for entry in site.console_run("status", "--json").json()["targets"]}
    assert (status[target]["state"], status[target]["attempts_in_window"]) == ("idle", 0)
    assert status[target]["reset_by"] == change["by"]


def test_after_reset_the_next_alert_starts_a_remediation_again(site):
    now = int(site.twin_now())
    target = site.instance_id
    site.put_item(
        target,
        alert_key="m:1",
        cooldown_until=now - HOUR,
        attempt_2=now - 2 * HOUR,
        circuit_open_since=now - HOUR,
        not_fixed_key="m:1",
    )
    held = site.deliver()
    site.console_run("reset", target)
    started = site.deliver()

    assert held["targets"][0]["reason"] == "circuit open"
    assert started["targets"][0]["status"] == "started"


def test_reset_of_a_target_without_an_item_refuses_and_changes_nothing(site):
    answer = site.console_run("reset", "i-0fffffffffffffff0")

    assert answer.exit_code == 1
    assert answer.stdout == ""
    assert answer.stderr == (
        f"remediation: reset i-0fffffffffffffff0: the state table {site.table} has no item target#i-0fffffffffffffff0, "
        "so there is nothing to reset (`remediation status` lists the targets it has)\n"
    )
    assert console_messages(site) == []


def test_reset_of_something_that_is_no_instance_id_is_refused_by_name(site):
    answer = site.console_run("reset", "web-1")

    assert answer.exit_code == 1
    assert "reset 'web-1': expected an instance id such as i-0123456789abcdef0" in answer.stderr
