"""Shared Sumo Logic API client for the collection's modules: endpoint resolution, 429 retries, error messages, JSON.

Built on sumologic-sdk (``from sumologic import SumoLogic``); the SDK's own urllib3 retries are replaced so that
this module's bounded, jittered backoff is the only retry policy and every failure is reported the same way.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from sumologic import SumoLogic

    HAS_SUMOLOGIC = True
    SUMOLOGIC_IMPORT_ERROR = None
except ImportError as import_error:  # the modules report it with missing_required_lib
    HAS_SUMOLOGIC = False
    SUMOLOGIC_IMPORT_ERROR = import_error
    HTTPAdapter = object  # type: ignore[assignment,misc]

from ansible.module_utils.basic import env_fallback

# Deployment name -> API base URL. us1 has no region label in its host name.
DEPLOYMENTS: dict[str, str] = {
    "us1": "https://api.sumologic.com/api",
    **{
        name: f"https://api.{name}.sumologic.com/api"
        for name in ("us2", "eu", "au", "de", "jp", "ca", "in", "fed", "kr", "ch")
    },
}

# Bounded retry on 429: at most this many attempts in all, waits doubling from BASE up to CAP seconds.
RETRY_MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 1.0
RETRY_CAP_SECONDS = 20.0
REQUEST_TIMEOUT_SECONDS = 30.0

MASK = "********"


def sumo_argument_spec() -> dict[str, Any]:
    """Connection options every Sumo Logic module accepts (documented in each module's DOCUMENTATION)."""
    return {
        "deployment": {"type": "str", "choices": sorted(DEPLOYMENTS)},
        "endpoint": {"type": "str"},
        "access_id": {"type": "str", "required": True, "fallback": (env_fallback, ["SUMO_ACCESS_ID"])},
        "access_key": {
            "type": "str",
            "required": True,
            "no_log": True,
            "fallback": (env_fallback, ["SUMO_ACCESS_KEY"]),
        },
    }


SUMO_MUTUALLY_EXCLUSIVE = [("deployment", "endpoint")]
SUMO_REQUIRED_ONE_OF = [("deployment", "endpoint")]


def resolve_endpoint(
    deployment: str | None = None, endpoint: str | None = None, names: tuple[str, str] = ("deployment", "endpoint")
) -> str:
    """The API base URL (ending in /api, no trailing slash) for a deployment name or an explicit endpoint.

    This is the one rule for where the Sumo Logic API may be: exactly one of a known deployment or an http(s) URL
    ending in /api. ValueError says what is wrong, calling the two settings by `names` (the roles' variable names).
    """
    deployment_name, endpoint_name = names
    if deployment and endpoint:
        raise ValueError(
            f"give {deployment_name} or {endpoint_name}, not both "
            f"(got {deployment_name}={deployment!r}, {endpoint_name}={endpoint!r})"
        )
    if deployment:
        try:
            return DEPLOYMENTS[deployment.strip().lower()]
        except KeyError:
            raise ValueError(
                f"unknown Sumo Logic deployment {deployment!r} in {deployment_name}; "
                f"expected one of: {', '.join(sorted(DEPLOYMENTS))}"
            ) from None
    if endpoint:
        base = endpoint.strip().rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc or not parts.path.endswith("/api"):
            raise ValueError(
                f"{endpoint_name} must be an http(s) URL ending in /api, like https://api.us2.sumologic.com/api; "
                f"got {endpoint!r}"
            )
        return base
    raise ValueError(
        f"give {deployment_name} (one of: {', '.join(sorted(DEPLOYMENTS))}) or an explicit {endpoint_name}, "
        "exactly one; neither is set"
    )


class SumoApiError(Exception):
    """A Sumo Logic API call failed; str() is a message fit for fail_json."""

    def __init__(
        self, message: str, status: int | None = None, code: str | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id


def format_api_error(method: str, path: str, status: int, body_text: str) -> SumoApiError:
    """Sumo's own error code, message, detail and request id, from either of its two error body shapes."""
    code, message, detail, request_id = None, None, None, None
    try:
        body = json.loads(body_text) if body_text else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        request_id = body.get("id")
        errors = body.get("errors")
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else body
        code, message, detail = first.get("code"), first.get("message"), first.get("detail")
    if message is None:
        message = body_text.strip()[:300] or "(empty response body)"
    where = f" [{method} {path}]"
    suffix = f" (request id {request_id})" if request_id else ""
    if status == 401:
        text = (
            f"Sumo Logic rejected the credentials (HTTP 401 {code or 'unauthorized'}: {message}){suffix}: "
            "check access_id and access_key (or SUMO_ACCESS_ID / SUMO_ACCESS_KEY) and that the deployment or endpoint "
            f"is the one the access key belongs to{where}"
        )
    else:
        detail_text = f"; {detail}" if detail else ""
        text = f"Sumo Logic API error {status} {code or 'unknown'}: {message}{detail_text}{suffix}{where}"
    return SumoApiError(text, status=status, code=code, request_id=request_id)


def backoff_seconds(attempt: int, retry_after: str | None = None, jitter: Callable[[], float] = random.random) -> float:
    """Wait before retry number `attempt` (1-based): exponential with full jitter, capped; Retry-After wins if given."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), RETRY_CAP_SECONDS)
        except ValueError:
            pass
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * (2 ** (attempt - 1)))
    # Half fixed, half random: spreads concurrent clients apart while still backing off.
    return ceiling / 2 + ceiling / 2 * jitter()


class _TimeoutAdapter(HTTPAdapter):
    """No urllib3 retries (ours are in SumoClient) and a default timeout, which the SDK never passes."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = REQUEST_TIMEOUT_SECONDS
        return super().send(request, **kwargs)


class SumoClient:
    """Thin wrapper over the SDK: JSON in and out, 404 as None when asked, 429 retried, errors formatted."""

    def __init__(
        self,
        access_id: str,
        access_key: str,
        endpoint: str,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = RETRY_MAX_ATTEMPTS,
    ) -> None:
        if not HAS_SUMOLOGIC:
            raise RuntimeError(f"sumologic-sdk and requests are required: {SUMOLOGIC_IMPORT_ERROR}")
        self.endpoint = endpoint
        self.sdk = SumoLogic(access_id, access_key, endpoint=endpoint)
        adapter = _TimeoutAdapter(max_retries=0)
        self.sdk.session.mount("https://", adapter)
        self.sdk.session.mount("http://", adapter)
        self._sleep = sleep
        self._max_attempts = max_attempts
        # Every call made, as (method, path, body): the modules return it only in tests' debug, never secrets.
        self.calls: list[tuple[str, str, Any]] = []

    def get(self, path: str, params: dict[str, Any] | None = None, missing_ok: bool = False) -> Any:
        return self._call("GET", path, params=params, missing_ok=missing_ok)

    def post(self, path: str, body: Any, params: dict[str, Any] | None = None) -> Any:
        return self._call("POST", path, params=params, body=body)

    def put(self, path: str, body: Any) -> Any:
        return self._call("PUT", path, body=body)

    def delete(self, path: str, params: dict[str, Any] | None = None, missing_ok: bool = False) -> Any:
        return self._call("DELETE", path, params=params, missing_ok=missing_ok)

    def _call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        missing_ok: bool = False,
    ) -> Any:
        # The SDK's post and put take no query parameters, so they travel in the path for every verb alike.
        target = path + _query_string(params)
        self.calls.append((method, target, body))
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._send(method, target, body)
            except requests.HTTPError as error:
                response = error.response
                if response is None:
                    raise SumoApiError(f"Sumo Logic request failed [{method} {target}]: {error}") from error
            except requests.RequestException as error:
                raise SumoApiError(
                    f"cannot reach Sumo Logic at {self.endpoint} [{method} {target}]: {error}"
                ) from error
            status = response.status_code
            if status == 429 and attempt < self._max_attempts:
                self._sleep(backoff_seconds(attempt, response.headers.get("Retry-After")))
                continue
            if status == 404 and missing_ok:
                return None
            if status >= 400:
                raise format_api_error(method, target, status, response.text)
            return _json_or_none(response, method, target)

    def _send(self, method: str, target: str, body: Any) -> Any:
        if method == "GET":
            return self.sdk.get(target)
        if method == "DELETE":
            return self.sdk.delete(target)
        if method == "POST":
            return self.sdk.post(target, body)
        if method == "PUT":
            return self.sdk.put(target, body)
        raise ValueError(f"unsupported HTTP method {method!r}")


def _query_string(params: dict[str, Any] | None) -> str:
    if not params:
        return ""
    pairs = [
        f"{quote(str(key), safe='')}={quote(str(value), safe='')}" for key, value in params.items() if value is not None
    ]
    return "?" + "&".join(pairs) if pairs else ""


def _json_or_none(response: Any, method: str, target: str) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as error:
        raise SumoApiError(
            f"Sumo Logic answered {response.status_code} with a body that is not JSON [{method} {target}]: "
            f"{response.text[:200]!r}"
        ) from error


def client_from_module(module: Any) -> SumoClient:
    """A SumoClient from the module's connection options; fails the module with a clear message on bad input."""
    from ansible.module_utils.basic import missing_required_lib

    if not HAS_SUMOLOGIC:
        module.fail_json(msg=missing_required_lib("sumologic-sdk"), exception=str(SUMOLOGIC_IMPORT_ERROR))
    try:
        endpoint = resolve_endpoint(module.params.get("deployment"), module.params.get("endpoint"))
    except ValueError as error:
        module.fail_json(msg=str(error))
    return SumoClient(module.params["access_id"], module.params["access_key"], endpoint)


def mask_headers(headers: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Header list with every value masked: Sumo masks them on read, and they hold credentials."""
    return [{"name": header.get("name"), "value": MASK} for header in headers or []]
