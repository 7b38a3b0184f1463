"""The shared Sumo Logic client: deployment names, error messages, and the bounded 429 retry."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils import sumologic_client
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_client import (
    DEPLOYMENTS,
    RETRY_CAP_SECONDS,
    SumoApiError,
    SumoClient,
    backoff_seconds,
    format_api_error,
    resolve_endpoint,
)


def test_us1_has_no_region_label_in_its_host() -> None:
    assert resolve_endpoint(deployment="us1") == "https://api.sumologic.com/api"


@pytest.mark.parametrize("name", ["us2", "eu", "au", "de", "jp", "ca", "in", "fed", "kr", "ch"])
def test_other_deployments_carry_their_name_in_the_host(name: str) -> None:
    assert resolve_endpoint(deployment=name) == f"https://api.{name}.sumologic.com/api"


def test_deployment_names_are_the_documented_eleven() -> None:
    assert sorted(DEPLOYMENTS) == sorted(["us1", "us2", "eu", "au", "de", "jp", "ca", "in", "fed", "kr", "ch"])


def test_unknown_deployment_error_lists_every_valid_name() -> None:
    with pytest.raises(ValueError, match="unknown Sumo Logic deployment 'mars'") as raised:
        resolve_endpoint(deployment="mars")
    for name in DEPLOYMENTS:
        assert name in str(raised.value)


def test_explicit_endpoint_loses_its_trailing_slash() -> None:
    assert resolve_endpoint(endpoint="http://127.0.0.1:4567/api/") == "http://127.0.0.1:4567/api"


@pytest.mark.parametrize(
    "endpoint", ["ftp://api.sumologic.com/api", "https://api.sumologic.com", "api.sumologic.com/api"]
)
def test_endpoint_that_is_not_an_http_api_url_is_rejected_with_its_value(endpoint: str) -> None:
    with pytest.raises(ValueError, match="ending in /api") as raised:
        resolve_endpoint(endpoint=endpoint)
    assert repr(endpoint) in str(raised.value)


def test_deployment_and_endpoint_together_are_rejected() -> None:
    with pytest.raises(ValueError, match="not both"):
        resolve_endpoint(deployment="us2", endpoint="https://api.us2.sumologic.com/api")


def test_api_error_names_sumo_code_message_detail_and_request_id() -> None:
    body = {
        "id": "QVP7L-50PLW-K7I5Y",
        "errors": [
            {
                "code": "monitors:unsupported_trigger_time_range",
                "message": "Unsupported trigger time range.",
                "detail": "ResolvedCritical trigger must have the same time range as Critical trigger's time range.",
            }
        ],
    }
    error = format_api_error("POST", "/monitors?parentId=1", 400, json.dumps(body))
    assert str(error).startswith(
        "Sumo Logic API error 400 monitors:unsupported_trigger_time_range: Unsupported trigger time range.; "
        "ResolvedCritical trigger must have the same time range"
    )
    assert "(request id QVP7L-50PLW-K7I5Y)" in str(error)
    assert "[POST /monitors?parentId=1]" in str(error)
    assert (error.status, error.code, error.request_id) == (
        400,
        "monitors:unsupported_trigger_time_range",
        "QVP7L-50PLW-K7I5Y",
    )


def test_flat_error_shape_is_read_too() -> None:
    body = {"status": 404, "id": "IBCA5-NRG74-ROEI9", "code": "notfound", "message": "Not found."}
    error = format_api_error("GET", "/monitors/00000000000000AB", 404, json.dumps(body))
    assert str(error).startswith("Sumo Logic API error 404 notfound: Not found. (request id IBCA5-NRG74-ROEI9)")


def test_unauthorized_says_the_credentials_were_rejected() -> None:
    body = {
        "status": 401,
        "id": "FRXHW-NB12G-HMYO6",
        "code": "unauthorized",
        "message": "Credential could not be verified.",
    }
    error = format_api_error("GET", "/connections", 401, json.dumps(body))
    assert str(error).startswith("Sumo Logic rejected the credentials (HTTP 401 unauthorized")
    assert "access_id and access_key" in str(error)


def test_error_body_that_is_not_json_is_quoted() -> None:
    error = format_api_error("GET", "/monitors/root", 502, "<html>Bad gateway</html>")
    assert "Sumo Logic API error 502 unknown: <html>Bad gateway</html>" in str(error)


def test_backoff_doubles_and_stays_below_the_cap() -> None:
    waits_at_full_jitter = [backoff_seconds(attempt, jitter=lambda: 1.0) for attempt in range(1, 10)]
    assert waits_at_full_jitter[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(waits_at_full_jitter) == RETRY_CAP_SECONDS


def test_backoff_jitter_keeps_at_least_half_the_wait() -> None:
    assert backoff_seconds(3, jitter=lambda: 0.0) == 2.0


def test_retry_after_header_is_honoured_but_capped() -> None:
    assert backoff_seconds(1, retry_after="3") == 3.0
    assert backoff_seconds(1, retry_after="3600") == RETRY_CAP_SECONDS


# A fault injector: a requests session whose answers are scripted, to make Sumo say 429.
def _response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"" if body is None else json.dumps(body).encode()
    response.headers.update(headers or {})
    response.url = "http://sumo.invalid/api"
    return response


class ScriptedSession:
    def __init__(self, answers: list[requests.Response]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, str]] = []

    def _answer(self, method: str, url: str) -> requests.Response:
        self.requests.append((method, url))
        return self.answers.pop(0)

    def get(self, url: str, **_: Any) -> requests.Response:
        return self._answer("GET", url)

    def post(self, url: str, **_: Any) -> requests.Response:
        return self._answer("POST", url)

    def put(self, url: str, **_: Any) -> requests.Response:
        return self._answer("PUT", url)

    def delete(self, url: str, **_: Any) -> requests.Response:
        return self._answer("DELETE", url)


RATE_LIMITED = {
    "status": 429,
    "id": "AAAAA-BBBBB-CCCCC",
    "code": "rate.limit.exceeded",
    "message": "Rate limit exceeded.",
}


def _client(answers: list[requests.Response], sleeps: list[float], max_attempts: int = 4) -> SumoClient:
    client = SumoClient("id", "key", "http://sumo.invalid/api", sleep=sleeps.append, max_attempts=max_attempts)
    client.sdk.session = ScriptedSession(answers)
    return client


def test_429_is_retried_with_growing_waits_until_the_call_succeeds() -> None:
    sleeps: list[float] = []
    client = _client([_response(429, RATE_LIMITED), _response(429, RATE_LIMITED), _response(200, {"id": "1"})], sleeps)
    assert client.get("/monitors/root") == {"id": "1"}
    assert len(sleeps) == 2
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0
    assert client.sdk.session.requests == [("GET", "http://sumo.invalid/api/v1/monitors/root")] * 3


def test_429_retries_are_bounded_and_then_reported_with_sumo_code() -> None:
    sleeps: list[float] = []
    client = _client([_response(429, RATE_LIMITED) for attempt in range(4)], sleeps, max_attempts=4)
    with pytest.raises(SumoApiError, match=r"Sumo Logic API error 429 rate\.limit\.exceeded") as raised:
        client.post("/connections", {"name": "x"})
    assert "(request id AAAAA-BBBBB-CCCCC)" in str(raised.value)
    assert len(sleeps) == 3


def test_missing_ok_turns_404_into_none() -> None:
    client = _client([_response(404, {"id": "X", "errors": [{"code": "content:not_found", "message": "no"}]})], [])
    assert client.get("/monitors/path", params={"path": "/Monitor/a b"}, missing_ok=True) is None
    assert client.sdk.session.requests == [("GET", "http://sumo.invalid/api/v1/monitors/path?path=%2FMonitor%2Fa%20b")]


def test_delete_answering_204_returns_none() -> None:
    client = _client([_response(204)], [])
    assert client.delete("/connections/00000000000000AB", params={"type": "WebhookConnection"}) is None


def test_unreachable_endpoint_is_named_in_the_error() -> None:
    client = SumoClient("id", "key", "http://127.0.0.1:9/api", sleep=lambda _: None)
    with pytest.raises(SumoApiError, match=r"cannot reach Sumo Logic at http://127.0.0.1:9/api \[GET /monitors/root\]"):
        client.get("/monitors/root")


def test_the_sdks_own_retries_are_switched_off() -> None:
    client = SumoClient("id", "key", "http://sumo.invalid/api")
    adapter = client.sdk.session.get_adapter("http://sumo.invalid/api")
    assert isinstance(adapter, sumologic_client._TimeoutAdapter)
    assert adapter.max_retries.total == 0
