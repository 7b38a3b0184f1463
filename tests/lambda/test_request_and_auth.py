"""The webhook's front door: POST, JSON, bounded bodies, and the bearer secret from Parameter Store."""

from __future__ import annotations

import base64
import time

import pytest
from lambda_testkit import SECRET, alert_event, load_event, response_body
from remediation_webhook.app import handle_event


def test_get_is_refused_with_405(deployment):
    response = handle_event(load_event("get_request.json"), deployment.runtime())

    assert response["statusCode"] == 405
    assert deployment.executions() == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "", None])
def test_a_json_body_is_accepted_whatever_its_content_type(deployment, content_type):
    """Sumo documents no Content-Type for webhooks (docs/twin-fidelity.md, "Webhook requests")."""
    event = alert_event()
    event["headers"] = {name: value for name, value in event["headers"].items() if name != "content-type"}
    if content_type is not None:
        event["headers"]["content-type"] = content_type
    response = handle_event(event, deployment.runtime())

    assert response["statusCode"] == 202
    assert len(deployment.executions()) == 1


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_body_that_is_not_json_is_refused_with_400_whatever_its_content_type(deployment, content_type):
    event = alert_event(headers={"content-type": content_type})
    event["body"] = "Name=slow&Id=0000000000ABCDEF"

    response = handle_event(event, deployment.runtime())

    assert response["statusCode"] == 400
    assert "JSON" in response_body(response)["detail"]
    assert deployment.executions() == []


def test_json_with_a_charset_is_accepted(deployment):
    response = handle_event(
        alert_event(headers={"content-type": "application/json; charset=utf-8"}), deployment.runtime()
    )

    assert response["statusCode"] == 202


def test_a_body_past_the_limit_is_refused_with_413_before_anything_else(deployment):
    event = alert_event(Name="x" * 70_000)

    response = handle_event(event, deployment.runtime())

    assert response["statusCode"] == 413
    assert deployment.executions() == []


def test_a_base64_body_is_decoded(deployment):
    event = alert_event()
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True

    response = handle_event(event, deployment.runtime())

    assert response["statusCode"] == 202


def test_a_body_that_is_not_valid_base64_is_a_400(deployment):
    event = alert_event()
    event["body"], event["isBase64Encoded"] = "%%% not base64 %%%", True

    assert handle_event(event, deployment.runtime())["statusCode"] == 400


def test_header_names_are_matched_whatever_their_case(deployment):
    event = alert_event(secret=None)
    event["headers"] = {"Content-Type": "application/json", "AUTHORIZATION": f"Bearer {SECRET}"}

    assert handle_event(event, deployment.runtime())["statusCode"] == 202


def test_a_call_without_a_secret_is_unauthorized_and_starts_nothing(deployment):
    response = handle_event(alert_event(secret=None), deployment.runtime())

    assert response["statusCode"] == 401
    assert response_body(response) == {"error": "unauthorized"}
    assert deployment.executions() == []


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {SECRET}x", f"Bearer {SECRET[:-1]}", f"Basic {SECRET}", SECRET, "Bearer ", f"Bearer {SECRET.upper()}"],
)
def test_a_wrong_secret_gets_the_same_answer_as_no_secret(deployment, authorization):
    event = alert_event(secret=None, headers={"authorization": authorization})

    response = handle_event(event, deployment.runtime())

    assert response["statusCode"] == 401
    assert response_body(response) == {"error": "unauthorized"}
    assert deployment.executions() == []


def test_the_bearer_scheme_is_case_insensitive(deployment):
    event = alert_event(secret=None, headers={"authorization": f"bearer {SECRET}"})

    assert handle_event(event, deployment.runtime())["statusCode"] == 202


def test_a_rotated_secret_takes_effect_once_the_cache_age_has_passed(deployment):
    runtime = deployment.runtime(REMEDIATION_SECRET_CACHE_SECONDS="1")
    assert handle_event(alert_event(TriggerType="Normal"), runtime)["statusCode"] == 200

    deployment.set_secret("rotated-secret-value-9876543210")
    still_cached = handle_event(alert_event(TriggerType="Normal"), runtime)
    time.sleep(1.2)  # the cache age set above; a shorter wait would test nothing
    old_after_expiry = handle_event(alert_event(TriggerType="Normal"), runtime)
    new_after_expiry = handle_event(
        alert_event(secret="rotated-secret-value-9876543210", TriggerType="Normal"), runtime
    )

    assert still_cached["statusCode"] == 200
    assert old_after_expiry["statusCode"] == 401
    assert new_after_expiry["statusCode"] == 200


def test_an_unreadable_secret_is_a_502_not_an_open_door(deployment):
    runtime = deployment.runtime(REMEDIATION_SECRET_PARAMETER="/remediation/does-not-exist")

    response = handle_event(alert_event(), runtime)

    assert response["statusCode"] == 502
    assert deployment.executions() == []
