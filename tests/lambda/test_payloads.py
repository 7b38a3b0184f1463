"""Each kind of Sumo Logic alert gets its own treatment; malformed fields are named in a 400."""

from __future__ import annotations

import json

import pytest
from lambda_testkit import alert_event, load_event, response_body
from remediation_webhook.app import handle_event


@pytest.mark.parametrize("trigger_type", ["Critical", "MissingData", "Missing Data"])
def test_critical_and_missing_data_start_the_runbook(deployment, trigger_type):
    response = handle_event(alert_event(TriggerType=trigger_type), deployment.runtime())

    assert response["statusCode"] == 202
    [execution] = deployment.executions()
    assert trigger_type in execution["Parameters"]["Reason"][0]


@pytest.mark.parametrize("trigger_type", ["ResolvedCritical", "ResolvedMissingData"])
def test_resolved_alerts_publish_a_recovered_message_and_start_nothing(deployment, trigger_type):
    response = handle_event(alert_event(TriggerType=trigger_type), deployment.runtime())

    assert response["statusCode"] == 200
    assert response_body(response)["status"] == "recovered"
    assert deployment.executions() == []
    [message] = deployment.messages()
    assert message["outcome"] == "recovered"
    assert message["trigger_type"] == trigger_type
    assert message["alert_id"] == "00000000016CCCDD:1800000000000"
    assert message["targets"] == deployment.instance_ids


def test_the_recorded_resolved_event_is_a_recovery(deployment):
    event = load_event("resolved_critical_alert.json")
    event["headers"]["authorization"] = alert_event()["headers"]["authorization"]

    assert response_body(handle_event(event, deployment.runtime()))["status"] == "recovered"


@pytest.mark.parametrize("trigger_type", ["Normal", "Warning", "ResolvedWarning", "Something new"])
def test_other_trigger_types_are_acknowledged_and_ignored(deployment, trigger_type):
    response = handle_event(alert_event(TriggerType=trigger_type), deployment.runtime())

    assert response["statusCode"] == 200
    assert response_body(response) == {"status": "ignored", "trigger_type": trigger_type}
    assert deployment.executions() == []
    assert deployment.messages() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"Id": None}, "Id"),
        ({"Id": ""}, "Id"),
        ({"Id": "../../etc"}, "Id"),
        ({"Id": 42}, "Id"),
        ({"TriggerType": None}, "TriggerType"),
        ({"TriggerType": ["Critical"]}, "TriggerType"),
        ({"TriggerTimeStart": None}, "TriggerTimeStart"),
        ({"TriggerTimeStart": "yesterday"}, "TriggerTimeStart"),
        ({"TriggerTimeStart": -5}, "TriggerTimeStart"),
        ({"TriggerTimeEnd": "soon"}, "TriggerTimeEnd"),
        ({"NumQueryResults": "many"}, "NumQueryResults"),
        ({"TriggerValue": {"n": 1}}, "TriggerValue"),
        ({"ResultsJson": "[{not json"}, "ResultsJson"),
        ({"ResultsJson": "42"}, "ResultsJson"),
        ({"Name": 7}, "Name"),
        ({"QueryUrl": ["x"]}, "QueryUrl"),
    ],
)
def test_a_malformed_field_is_a_400_that_names_it(deployment, changes, field):
    response = handle_event(alert_event(**changes), deployment.runtime())

    assert response["statusCode"] == 400
    body = response_body(response)
    assert body["error"] == "invalid payload"
    assert body["field"] == field
    assert deployment.executions() == []


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"Critical"', "", "{"])
def test_a_body_that_is_not_a_json_object_is_a_400(deployment, body):
    event = alert_event()
    event["body"] = body

    response = handle_event(event, deployment.runtime())

    assert response["statusCode"] == 400
    assert response_body(response)["field"] == "body"


def test_variable_names_are_case_insensitive_like_sumo_templates(deployment):
    event = alert_event()
    payload = json.loads(event["body"])
    event["body"] = json.dumps({key.upper(): value for key, value in payload.items()})

    assert handle_event(event, deployment.runtime())["statusCode"] == 202


def test_an_instance_named_in_results_is_remediated_alone_when_it_is_configured(make_deployment):
    deployment = make_deployment(instance_count=3)
    chosen = deployment.instance_ids[1]
    results = json.dumps([{"_count": 9, "instanceid": chosen}])

    response = handle_event(alert_event(ResultsJson=results), deployment.runtime())

    assert response["statusCode"] == 202
    [execution] = deployment.executions()
    assert execution["Parameters"]["InstanceId"] == [chosen]


def test_an_instance_in_results_that_is_not_configured_is_ignored(make_deployment):
    deployment = make_deployment(instance_count=2)
    results = json.dumps([{"_count": 9, "instanceid": "i-0123456789abcdef0"}])

    response = handle_event(alert_event(ResultsJson=results), deployment.runtime())

    assert response["statusCode"] == 202
    started = sorted(execution["Parameters"]["InstanceId"][0] for execution in deployment.executions())
    assert started == deployment.instance_ids
    assert "i-0123456789abcdef0" not in json.dumps(deployment.executions(), default=str)
