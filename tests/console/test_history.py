"""`remediation history` on the twin: each alert as one timeline from the function's decision lines, the runbook's
executions and the state table, with the ids to open."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.twin

RESOLVED = {"TriggerType": "ResolvedCritical"}


def test_an_alert_is_told_from_receipt_through_its_execution_to_its_verification(site):
    started = site.deliver()
    (outcome,) = started["targets"]
    execution_id = outcome["execution_id"]
    site.wait_for_execution(execution_id)
    resolved = site.deliver(**RESOLVED)

    answer = site.console_run("history", "--json")

    assert answer.exit_code == 0, answer.stderr
    alert, resolution = answer.json()["alerts"]
    assert alert["alert_id"] == started["alert_id"]
    assert alert["trigger_type"] == "Critical"
    assert alert["monitor_name"] == "Slow /api/data calls"
    assert [line["decision"] for line in alert["decisions"]] == ["received", "started"]
    assert alert["decisions"][1]["target"] == site.instance_id
    assert alert["decisions"][1]["execution_id"] == execution_id
    (execution,) = alert["executions"]
    assert execution["execution_id"] == execution_id
    assert (execution["status"], execution["outcome"], execution["action_taken"]) == ("Success", "success", "rebooted")
    assert execution["steps"] == ["recordOutcome: Success"]
    assert execution["console_url"] is None  # the twin has no console
    assert {
        "message_id": "m-1",
        "sent_by": "runbook",
        "what": "runbook notification",
        "execution_id": execution_id,
    } in (alert["notifications"])
    assert alert["verification"] == [{"target": site.instance_id, "state": "verified"}]

    assert resolution["alert_id"] == resolved["alert_id"]
    assert [line["decision"] for line in resolution["decisions"]] == ["received", "verified", "recovered"]
    recovered_message = resolution["decisions"][2]["message_id"]
    assert recovered_message == resolved["message_id"]
    assert {"message_id": recovered_message, "sent_by": "function", "what": "recovered", "execution_id": ""} in (
        resolution["notifications"]
    )


def test_the_text_answer_prints_the_ids_to_open(site):
    started = site.deliver()
    execution_id = started["targets"][0]["execution_id"]
    site.wait_for_execution(execution_id)

    answer = site.console_run("history", "--since", "1h")

    assert answer.exit_code == 0, answer.stderr
    assert f"alert {started['alert_id']}" in answer.stdout
    assert f"execution {execution_id}" in answer.stdout
    assert "runbook notification: message m-1" in answer.stdout
    assert f"Log group {site.console.log_group}" in answer.stdout
    assert f"verification of {site.instance_id}: pending" in answer.stdout


def test_a_suppressed_alert_shows_the_guard_that_held_it_back(site):
    first = site.deliver()
    site.wait_for_execution(first["targets"][0]["execution_id"])
    second = site.deliver()  # another alert inside the cooldown

    (_, held) = site.console_run("history", "--json").json()["alerts"]

    assert held["alert_id"] == second["alert_id"]
    suppressed = held["decisions"][-1]
    assert (suppressed["decision"], suppressed["reason"], suppressed["target"]) == (
        "suppressed",
        "cooldown",
        site.instance_id,
    )
    assert held["verification"] == []


def test_a_request_with_the_wrong_secret_is_listed_apart_from_the_alerts(site):
    site.deliver(secret="not-the-secret")

    report = site.console_run("history", "--json").json()

    assert report["alerts"] == []
    (rejected,) = report["other_decisions"]
    assert (rejected["decision"], rejected["reason"]) == ("rejected", "unauthorized")


def test_only_the_alerts_of_the_instance_asked_for(site):
    site.wait_for_execution(site.deliver()["targets"][0]["execution_id"])

    mine = site.console_run("history", "--json", "--instance", site.instance_id).json()
    other = site.console_run("history", "--json", "--instance", "i-0fffffffffffffff0").json()

    assert len(mine["alerts"]) == 1
    assert other["alerts"] == []
    assert other["instance"] == "i-0fffffffffffffff0"


def test_a_since_that_is_not_a_duration_is_refused_by_name(site, capsys):
    with pytest.raises(SystemExit) as exited:
        site.console_run("history", "--since", "yesterday")

    assert exited.value.code == 2
    assert "'yesterday' is not a duration" in capsys.readouterr().err
