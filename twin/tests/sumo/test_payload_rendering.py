"""What a monitor's webhook receives: every documented variable, JSON escaping, ResultsJson as a string."""

from __future__ import annotations

import json

from emulator.sumo.payload import render, template_json_problem, unsupported_variables
from tests.sumo.bodies import SLOW_CALLS_QUERY
from tests.sumo.conftest import CLOCK_START
from tests.sumo.helpers import setup_monitor, slow_call

EVERY_VARIABLE = {
    name: "{{" + name + "}}"
    for name in (
        "Name",
        "Id",
        "Description",
        "MonitorType",
        "Query",
        "QueryURL",
        "QueryUrl",
        "TriggerType",
        "TriggerTimeStart",
        "TriggerTimeEnd",
        "TriggerTime",
        "TriggerTimeRange",
        "TriggerCondition",
        "TriggerValue",
        "ResultsJson",
        "NumQueryResults",
        "AlertResponseUrl",
        "SourceURL",
        "DetectionMethod",
        "AlertName",
        "Playbook",
        "NoSuchVariable",
    )
}


def fired_payload(sumo, receiver, **monitor_fields) -> dict:
    override = json.dumps({**EVERY_VARIABLE, "lowercase": "{{name}}", "spaced": "{{ Name }}"})
    setup_monitor(sumo, receiver, notification_overrides={"payloadOverride": override}, **monitor_fields)
    sumo.ingest("\n".join(slow_call() for _ in range(6)))
    sumo.evaluate()
    return receiver.wait_for(1)[0]["json"]


def test_every_documented_variable_is_rendered(sumo, receiver):
    payload = fired_payload(
        sumo, receiver, name='latency "api" monitor', playbook="Reboot it.", alertName="{{Name}} is slow"
    )
    monitor_id = payload["Id"]
    now_ms = int(CLOCK_START * 1000)
    assert payload["Name"] == 'latency "api" monitor'
    assert payload["lowercase"] == payload["spaced"] == payload["Name"]
    assert payload["Description"] == "slow /api/data calls"
    assert payload["MonitorType"] == "Logs"
    assert payload["Query"] == SLOW_CALLS_QUERY
    assert payload["QueryURL"] == payload["QueryUrl"]
    assert payload["QueryURL"].startswith(f"{sumo.url}/ui/#/search/create?query=")
    assert payload["TriggerType"] == "Critical"
    end_ms = int(payload["TriggerTimeEnd"])
    assert end_ms - int(payload["TriggerTimeStart"]) == 10 * 60 * 1000
    # Ingested at now_ms and evaluated three minutes later (the conftest's after_delay): the window ends two minutes
    # before the pass, so one minute after the calls.
    assert now_ms + 60_000 <= end_ms < now_ms + 120_000
    assert payload["TriggerTime"].startswith("01/15/2027 08:0") and payload["TriggerTime"].endswith(" AM UTC")
    assert " to " in payload["TriggerTimeRange"]
    assert payload["TriggerCondition"] == "slow_calls is Greater than 5.0 in the last 10 minutes"
    assert payload["TriggerValue"] == "6"
    assert payload["NumQueryResults"] == "1"
    assert payload["AlertResponseUrl"].startswith(f"{sumo.url}/ui/#/alert/")
    assert len(payload["AlertResponseUrl"].rsplit("/", 1)[1]) == 16
    assert payload["SourceURL"] == f"{sumo.url}/ui/#/alerts/unified-monitors/{monitor_id}"
    assert payload["DetectionMethod"] == "LogsStaticCondition"
    assert payload["AlertName"] == 'latency "api" monitor is slow'
    assert payload["Playbook"] == "Reboot it."
    assert payload["NoSuchVariable"] == ""


def test_results_json_is_a_string_holding_the_result_rows(sumo, receiver):
    payload = fired_payload(sumo, receiver)
    assert isinstance(payload["ResultsJson"], str)
    assert json.loads(payload["ResultsJson"]) == [{"slow_calls": 6}]


def test_values_are_json_escaped():
    rendered = render('{"text": "{{Name}}"}', {"name": 'a "quoted"\\ name\nwith newline'})
    assert json.loads(rendered) == {"text": 'a "quoted"\\ name\nwith newline'}


def test_results_field_variable_takes_the_first_row():
    rendered = render('{"v": "{{ResultsJson.Slow_Calls}}"}', {}, [{"slow_calls": 6}, {"slow_calls": 7}])
    assert json.loads(rendered) == {"v": "6"}


def test_unquoted_numeric_variables_pass_the_json_check():
    assert template_json_problem('{"value": {{TriggerValue}}, "name": "{{Name}}"}') is None
    assert "not valid JSON" in template_json_problem('{"value": }')


def test_unsupported_variables_are_listed_once():
    assert unsupported_variables("{{Foo}} {{name}} {{Foo}} {{ResultsJson.x}}") == ["Foo"]
