"""Basic auth with access id and key; 4 requests per second per access id unless the rate limit is off."""

from __future__ import annotations

import pytest
import requests
from sumologic import SumoLogic

from emulator.sumo.auth import DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY, RateLimiter, access_keys_from_environment


def test_sdk_with_the_default_keys_is_let_in(sumo):
    assert sumo.sdk().get("/monitors/root").status_code == 200


def test_wrong_key_is_401_in_the_flat_shape(sumo):
    client = SumoLogic(DEFAULT_ACCESS_ID, "wrong", endpoint=sumo.api_url)
    with pytest.raises(requests.HTTPError) as failure:
        client.get("/monitors/root")
    response = failure.value.response
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401 and body["code"] == "unauthorized"
    assert body["message"] == "Credential could not be verified."


def test_missing_credentials_are_401(sumo):
    assert requests.get(f"{sumo.api_url}/v1/monitors/root", timeout=10).status_code == 401


def test_ingestion_and_health_need_no_credentials(sumo):
    assert sumo.control.answers("sumo")
    assert requests.post(f"{sumo.url}/receiver/v1/http/TOKEN", data=b"hello", timeout=10).status_code == 200


def test_keys_can_be_overridden_from_the_environment(monkeypatch):
    monkeypatch.setenv("SUMO_TWIN_ACCESS_ID", "other-id")
    monkeypatch.setenv("SUMO_TWIN_ACCESS_KEY", "other-key")
    assert access_keys_from_environment() == {"other-id": "other-key"}


def test_fifth_request_within_a_second_is_429(limited_sumo):
    session = limited_sumo.session()
    statuses = [session.get(f"{limited_sumo.api_url}/v1/monitors/root").status_code for _ in range(12)]
    assert statuses[:4] == [200, 200, 200, 200]
    assert 429 in statuses[4:]


def test_limiter_allows_four_per_sliding_second_per_access_id():
    moments = iter([0.0, 0.1, 0.2, 0.3, 0.4, 0.45, 1.05, 1.2])
    limiter = RateLimiter(enabled=True, now=lambda: next(moments))
    decisions = [limiter.allow("a") for _ in range(5)]
    assert decisions == [True, True, True, True, False]
    assert limiter.allow("b") is True  # another access id has its own window
    assert limiter.allow("a") is True  # at 1.05 s the request from 0.0 s has left the window
    assert limiter.allow("a") is True  # at 1.2 s the one from 0.1 s has left too


def test_rate_limit_body_is_the_flat_shape(limited_sumo):
    session = limited_sumo.session()
    responses = [session.get(f"{limited_sumo.api_url}/v1/monitors/root") for _ in range(10)]
    limited = [response for response in responses if response.status_code == 429]
    assert limited
    assert limited[0].json()["code"] == "rate.limit.exceeded"
    assert limited[0].json()["status"] == 429


def test_rate_limit_can_be_switched_off_at_run_time(limited_sumo):
    assert limited_sumo.control.rate_limit() is True
    assert limited_sumo.control.set_rate_limit(False) is False
    session = limited_sumo.session()
    statuses = {session.get(f"{limited_sumo.api_url}/v1/monitors/root").status_code for _ in range(12)}
    assert statuses == {200}


def test_rate_limit_is_off_when_the_settings_say_so(sumo):
    session = sumo.session()
    assert {session.get(f"{sumo.api_url}/v1/monitors/root").status_code for _ in range(12)} == {200}


def test_rate_limit_switch_needs_a_boolean(sumo):
    # Raw HTTP: TwinControl.set_rate_limit only sends a boolean.
    response = requests.post(f"{sumo.url}/_twin/sumo/rate-limit", json={"enabled": "yes"}, timeout=10)
    assert response.status_code == 400
    assert sumo.control.rate_limit() is False


def test_default_keys_are_the_documented_ones():
    assert (DEFAULT_ACCESS_ID, DEFAULT_ACCESS_KEY) == ("local-sumo-access-id", "local-sumo-access-key")
