"""Generated requests (10,000 in all): no crash, only 2xx/4xx, and nothing starts without the secret."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_testkit import SECRET, alert_event, create_deployment
from remediation_webhook import app
from remediation_webhook.app import handle_event


def fast(max_examples: int) -> settings:
    """Explicit example counts (10,000 in all), no deadline: the twin's latency varies with the machine's load."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


SUMO_FIELDS = [
    "Id",
    "Name",
    "TriggerType",
    "TriggerTimeStart",
    "TriggerTimeEnd",
    "TriggerValue",
    "NumQueryResults",
    "ResultsJson",
    "AlertResponseUrl",
    "QueryUrl",
]
TRIGGER_TYPES = ["Critical", "MissingData", "Missing Data", "ResolvedCritical", "ResolvedMissingData", "Normal", ""]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
)
header_names = st.sampled_from(["content-type", "Content-Type", "authorization", "AUTHORIZATION", "x-other"]) | st.text(
    max_size=20
)
wrong_secrets = st.text(max_size=80).filter(lambda text: text.strip() != SECRET)
authorizations = (
    st.none()
    | wrong_secrets.map(lambda text: f"Bearer {text}")
    | wrong_secrets
    | st.sampled_from([f"Basic {SECRET}", f"Bearer{SECRET}", f"Bearer {SECRET[:-1]}", SECRET])
)


def sumo_payloads() -> st.SearchStrategy[dict[str, Any]]:
    values = st.one_of(
        json_values,
        st.sampled_from(TRIGGER_TYPES),
        st.from_regex(r"\A[0-9A-F]{16}\Z"),
        st.integers(min_value=0, max_value=10**15).map(str),
        st.lists(st.dictionaries(st.sampled_from(["instanceid", "_count"]), json_scalars)).map(json.dumps),
    )
    return st.dictionaries(st.sampled_from(SUMO_FIELDS) | st.text(max_size=12), values, max_size=12)


@st.composite
def function_url_events(draw: st.DrawFn) -> dict[str, Any]:
    payload = draw(sumo_payloads() | json_values)
    body: Any = draw(st.sampled_from(["json", "text", "binary", "none"]))
    if body == "json":
        body = json.dumps(payload)
    elif body == "text":
        body = draw(st.text(max_size=200))
    elif body == "binary":
        body = base64.b64encode(draw(st.binary(max_size=200))).decode()
    else:
        body = None
    headers = draw(st.dictionaries(header_names, st.text(max_size=60), max_size=5))
    if draw(st.booleans()):
        headers["content-type"] = draw(
            st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain"])
        )
    authorization = draw(authorizations)
    if authorization is not None:
        headers["authorization"] = authorization
    return {
        "version": "2.0",
        "headers": headers,
        "requestContext": {"http": {"method": draw(st.sampled_from(["POST", "POST", "GET", "PUT", "post", ""]))}},
        "body": body,
        "isBase64Encoded": draw(st.booleans()),
    }


@pytest.fixture(scope="module", autouse=True)
def quiet_logs():
    """Thousands of examples would print thousands of decision lines; what they say is tested elsewhere."""
    previous = app.logger.log_level
    app.logger.setLevel("CRITICAL")
    yield
    app.logger.setLevel(previous)


@pytest.fixture(scope="module")
def guarded(aws):
    """One deployment and one warm container for every generated example, so examples cost no AWS call."""
    deployment = create_deployment(aws)
    yield deployment, deployment.runtime()
    assert deployment.executions() == []  # the property that matters most, checked over every example at once


def assert_client_or_success(response: dict[str, Any]) -> None:
    assert 200 <= response["statusCode"] < 500
    assert isinstance(json.loads(response["body"]), dict)


@fast(4000)
@given(event=function_url_events())
def test_arbitrary_requests_without_the_secret_are_refused_without_crashing(guarded, event):
    _deployment, runtime = guarded

    response = handle_event(event, runtime)

    assert_client_or_success(response)
    assert response["statusCode"] not in (200, 202)


@fast(3000)
@given(payload=sumo_payloads(), authorization=authorizations)
def test_alert_shaped_bodies_without_the_secret_are_401(guarded, payload, authorization):
    _deployment, runtime = guarded
    event = alert_event(secret=None)
    event["body"] = json.dumps(payload)
    if authorization is not None:
        event["headers"]["authorization"] = authorization

    response = handle_event(event, runtime)

    assert response["statusCode"] == 401
    assert json.loads(response["body"]) == {"error": "unauthorized"}


@pytest.fixture(scope="module")
def switched_off(aws):
    """Authenticated examples run with the kill switch off: they exercise parsing, not the runbook."""
    deployment = create_deployment(aws)
    deployment.set_switch("disabled")
    yield deployment, deployment.runtime()
    assert deployment.executions() == []


@fast(3000)
@given(payload=sumo_payloads())
def test_authenticated_arbitrary_payloads_get_a_2xx_or_a_4xx_naming_the_field(switched_off, payload):
    _deployment, runtime = switched_off
    event = alert_event()
    event["body"] = json.dumps(payload)

    response = handle_event(event, runtime)

    assert_client_or_success(response)
    if response["statusCode"] == 400:
        assert json.loads(response["body"])["field"] in [*SUMO_FIELDS, "body"]
