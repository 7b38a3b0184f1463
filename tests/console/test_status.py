"""`remediation status` on the twin: the kill switch, and each target judged by the function's rules at the twin's
now, with the execution its last decision started."""

from __future__ import annotations

import pytest

from tools.console.times import iso

pytestmark = pytest.mark.twin

HOUR = 3600


def targets_by_name(answer):
    return {target["target"]: target for target in answer.json()["targets"]}


def test_a_fresh_deployment_is_on_and_its_configured_target_idle(site):
    answer = site.console_run("status", "--json")

    assert answer.exit_code == 0, answer.stderr
    report = answer.json()
    assert report["kill_switch"] == {
        "parameter": site.console.switch_parameter,
        "value": "enabled",
        "remediation": "on",
    }
    assert report["settings"]["cooldown_seconds"] == 900
    assert report["settings"]["max_attempts"] == 3
    assert report["settings"]["attempt_window_seconds"] == 21600
    (target,) = report["targets"]
    assert target["target"] == site.instance_id
    assert target["state"] == "idle"
    assert target["attempts_in_window"] == 0
    assert target["circuit"]["open"] is False
    assert target["last_execution"] is None


def test_a_remediation_just_started_is_cooling_down_with_its_execution_and_outcome(site):
    started = site.deliver()
    (outcome,) = started["targets"]
    assert outcome["status"] == "started"
    site.wait_for_execution(outcome["execution_id"])
    decided_at = site.item(site.instance_id)["decided_at"]

    target = targets_by_name(site.console_run("status", "--json"))[site.instance_id]

    assert target["state"] == "cooling down"
    assert target["alert_id"] == started["alert_id"]
    assert target["cooldown_until_utc"] == iso(int(decided_at) + 900)
    assert target["attempts_in_window"] == 1
    assert target["verification"] == "pending"
    execution = target["last_execution"]
    assert execution["execution_id"] == outcome["execution_id"]
    assert (execution["status"], execution["outcome"], execution["action_taken"]) == ("Success", "success", "rebooted")
    assert execution["notification_message_id"] == "m-1"


def test_seeded_items_read_as_circuit_open_exhausted_cooling_down_and_idle(site):
    now = int(site.twin_now())
    site.put_item(
        "i-0aaaaaaaaaaaaaaa1",
        alert_key="m:1",
        cooldown_until=now - HOUR,
        attempt_0=0,
        attempt_1=0,
        attempt_2=now - 2 * HOUR,
        circuit_open_since=now - HOUR,
        not_fixed_key="m:1",
        relapses=0,
    )
    site.put_item(
        "i-0aaaaaaaaaaaaaaa2",
        alert_key="m:2",
        cooldown_until=now - HOUR,
        attempt_0=now - 3 * HOUR,
        attempt_1=now - 2 * HOUR,
        attempt_2=now - HOUR,
        escalated_until=now + 3 * HOUR,
    )
    site.put_item(
        "i-0aaaaaaaaaaaaaaa3",
        alert_key="m:3",
        cooldown_until=now + 600,
        attempt_0=0,
        attempt_1=now - 7 * HOUR,
        attempt_2=now - 300,
    )
    site.put_item(
        "i-0aaaaaaaaaaaaaaa4",
        alert_key="m:4",
        cooldown_until=now - 7 * HOUR,
        attempt_0=now - 9 * HOUR,
        attempt_1=now - 8 * HOUR,
        attempt_2=now - 7 * HOUR,
        verified_key="m:4",
        verified_at=now - 7 * HOUR,
    )

    targets = targets_by_name(site.console_run("status", "--json"))

    circuit = targets["i-0aaaaaaaaaaaaaaa1"]
    assert circuit["state"] == "circuit open"
    assert circuit["circuit"] == {"open": True, "open_since_utc": iso(now - HOUR), "healed": False, "relapses": 0}
    assert circuit["verification"] == "not fixed"
    exhausted = targets["i-0aaaaaaaaaaaaaaa2"]
    assert (exhausted["state"], exhausted["attempts_in_window"]) == ("exhausted", 3)
    assert exhausted["escalated_until_utc"] == iso(now + 3 * HOUR)
    cooling = targets["i-0aaaaaaaaaaaaaaa3"]
    assert (cooling["state"], cooling["attempts_in_window"]) == ("cooling down", 1)
    assert cooling["cooldown_until_utc"] == iso(now + 600)
    idle = targets["i-0aaaaaaaaaaaaaaa4"]
    assert (idle["state"], idle["attempts_in_window"], idle["verification"]) == ("idle", 0, "verified")
    # The configured target has no item yet, and is listed all the same.
    assert targets[site.instance_id]["state"] == "idle"


def test_a_switch_value_other_than_enabled_reads_as_off(site):
    site.site.set_switch("enabled ")  # a typo: the function counts anything but "enabled" as disabled

    report = site.console_run("status", "--json").json()

    assert report["kill_switch"]["remediation"] == "off"


def test_the_text_answer_names_each_state_and_has_no_colour_without_a_terminal(site):
    now = int(site.twin_now())
    site.put_item(
        "i-0aaaaaaaaaaaaaaa1",
        alert_key="m:1",
        cooldown_until=now - 60,
        attempt_2=now - 900,
        circuit_open_since=now - 60,
    )

    answer = site.console_run("status")

    assert answer.exit_code == 0, answer.stderr
    assert "Remediation is ON" in answer.stdout
    assert "i-0aaaaaaaaaaaaaaa1" in answer.stdout
    assert "circuit open" in answer.stdout
    assert f"open since {iso(now - 60)}" in answer.stdout
    assert "\x1b[" not in answer.stdout
    assert answer.stderr == ""
