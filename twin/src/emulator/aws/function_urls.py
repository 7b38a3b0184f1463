"""Serve the Function URLs of Lambdas deployed to the twin, on loopback.

CreateFunctionUrlConfig answers with `http://127.0.0.1:<port>/lambda-url/<url-id>/` instead of moto's unreachable
`https://<url-id>.lambda-url.<region>.on.aws`; a request to that URL runs the deployed zip with the function's
configured environment in a separate worker process (lambda_runtime), and its log lines land in CloudWatch Logs
under /aws/lambda/<function>, as on AWS.

Access is decided as AWS decides it, strictly: AuthType AWS_IAM needs a SigV4-signed request (the twin checks the
signature's presence, not its value: it accepts any credentials), and AuthType NONE needs a resource policy that lets
everyone ("*") call lambda:InvokeFunctionUrl and lambda:InvokeFunction (the second required for URLs made since
October 2025); anything else is 403 Forbidden. CORS preflight is not emulated.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from moto.awslambda import models as lambda_models
from moto.backends import get_backend

from emulator.aws.function_url_events import (
    HttpRequest,
    HttpResponse,
    bad_gateway,
    build_event,
    build_response,
    forbidden,
    not_found,
)
from emulator.aws.lambda_runtime import FunctionVersion, Invocation, LambdaRuntime
from emulator.clock import ScaledClock
from emulator.service_contract import TwinSettings, WSGIApp

LOG = logging.getLogger("twin.function_urls")

URL_PATH_PREFIX = "/lambda-url/"
MAX_REQUEST_BYTES = 6 * 1024 * 1024  # Lambda's synchronous invocation payload limit
_HTTP_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
}


def uninstall_loopback_urls() -> None:
    """Give moto back its own URLs (the patch is process-wide; a host that stops must not leave it behind)."""
    current = lambda_models.FunctionUrlConfig.__init__
    if getattr(current, "_twin_loopback", False):
        lambda_models.FunctionUrlConfig.__init__ = current._twin_original  # type: ignore[attr-defined,method-assign]


def install_loopback_urls(public_base_url: str) -> None:
    """Make moto hand out Function URLs that this twin serves."""
    original_init = lambda_models.FunctionUrlConfig.__init__
    if getattr(original_init, "_twin_loopback", False):
        original_init = original_init._twin_original  # type: ignore[attr-defined]

    def init_with_loopback_url(self: Any, function: Any, config: dict[str, Any]) -> None:
        original_init(self, function, config)
        url_id = self.url.removeprefix("https://").split(".", 1)[0]
        self.url = f"{public_base_url.rstrip('/')}{URL_PATH_PREFIX}{url_id}/"

    init_with_loopback_url._twin_loopback = True  # type: ignore[attr-defined]
    init_with_loopback_url._twin_original = original_init  # type: ignore[attr-defined]
    lambda_models.FunctionUrlConfig.__init__ = init_with_loopback_url  # type: ignore[method-assign]


def _statement_grants_public(statement: dict[str, Any], action: str, condition_key: str, condition_value: str) -> bool:
    if statement.get("Effect", "Allow") != "Allow":
        return False
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else list(actions or [])
    if action not in actions and "lambda:*" not in actions:
        return False
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}):
        return False
    short_key = condition_key.split(":", 1)[1]
    raw = statement.get(short_key[0].upper() + short_key[1:])
    if raw is not None:  # moto keeps AddPermission's FunctionUrlAuthType / InvokedViaFunctionUrl as raw keys
        return str(raw).lower() == condition_value.lower()
    conditions = statement.get("Condition") or {}
    for operator_values in conditions.values():
        for key, value in operator_values.items():
            if key.lower() == condition_key.lower():
                return str(value).lower() == condition_value.lower()
    # Without the condition the grant is broader, and AWS lets it through.
    return True


def public_access_problem(policy_statements: list[dict[str, Any]]) -> str | None:
    """Why a NONE-auth URL would answer 403, or None when its resource policy lets the public in."""
    if not any(
        _statement_grants_public(s, "lambda:InvokeFunctionUrl", "lambda:FunctionUrlAuthType", "NONE")
        for s in policy_statements
    ):
        return "no resource policy statement allows lambda:InvokeFunctionUrl to Principal '*'"
    if not any(
        _statement_grants_public(s, "lambda:InvokeFunction", "lambda:InvokedViaFunctionUrl", "true")
        for s in policy_statements
    ):
        return "no resource policy statement allows lambda:InvokeFunction (InvokedViaFunctionUrl) to Principal '*'"
    return None


class FunctionUrlHost:
    """The WSGI endpoint behind every loopback Function URL of the twin."""

    def __init__(self, settings: TwinSettings, clock: ScaledClock) -> None:
        self._settings = settings
        self._clock = clock
        self._logs_lock = threading.Lock()
        self._runtime = LambdaRuntime(settings.aws_url, self._write_logs, clock.reading)
        install_loopback_urls(settings.aws_url)

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith(URL_PATH_PREFIX)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        response = self._serve(environ)
        reason = _HTTP_REASONS.get(response.status, "Status")
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        start_response(f"{response.status} {reason}", headers)
        return [response.body]

    def _serve(self, environ: dict[str, Any]) -> HttpResponse:
        url_id, _, rest = environ.get("PATH_INFO", "")[len(URL_PATH_PREFIX) :].partition("/")
        function = self._find_function(url_id)
        if function is None:
            return not_found()
        auth_type = (function.url_config.config.get("AuthType") or "").upper()
        if auth_type == "AWS_IAM":
            if not environ.get("HTTP_AUTHORIZATION", "").startswith("AWS4-HMAC-SHA256 "):
                return forbidden()
        else:
            problem = public_access_problem(function.policy.statements)
            if problem is not None:
                LOG.warning("Function URL of %s answered 403: %s", function.function_name, problem)
                return forbidden()

        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_REQUEST_BYTES:
            return HttpResponse(413, [("Content-Type", "application/json")], b'{"Message":"Request Too Long"}')
        body = environ["wsgi.input"].read(length) if length else b""
        request = HttpRequest(
            method=environ.get("REQUEST_METHOD", "GET"),
            path="/" + rest,
            query_string=environ.get("QUERY_STRING", ""),
            headers=_request_headers(environ),
            body=body,
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
        )
        event = build_event(request, url_id, function.region, self._clock.now())
        invocation = self.invoke(function, event)
        if not invocation.ok:
            return bad_gateway()
        return build_response(invocation.result)

    def invoke(self, function: Any, event: dict[str, Any]) -> Invocation:
        """Run moto's `function` (its latest version) on `event` in one of its warm workers, as Lambda's Invoke
        does; the Function URLs and the scheduler (schedules.py) both invoke through here."""
        if not function.code_bytes:
            LOG.warning("function %s has no zip code the twin can run", function.function_name)
            return Invocation(ok=False, error_type="Runtime.InvalidEntrypoint", error_message="no zip code to run")
        version = FunctionVersion(
            function_name=function.function_name,
            function_arn=function.function_arn,
            handler=function.handler or "",
            runtime=function.run_time or "python3.12",
            code_sha256=function.code_sha_256,
            environment=tuple(sorted((function.environment_vars or {}).items())),
            timeout_seconds=int(function.timeout or 3),
            memory_mb=int(function.memory_size or 128),
            region=function.region,
        )
        return self._runtime.invoke(version, function.code_bytes, event)

    @staticmethod
    def _find_function(url_id: str) -> Any | None:
        if not url_id:
            return None
        for regions in get_backend("lambda").values():
            for backend in regions.values():
                for entry in list(backend._lambdas._functions.values()):
                    function = entry.get("latest")
                    url_config = getattr(function, "url_config", None)
                    if url_config is not None and f"{URL_PATH_PREFIX}{url_id}/" in url_config.url:
                        return function
        return None

    def _write_logs(self, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        logs = get_backend("logs")[self._settings.account_id][self._settings.region]
        with self._logs_lock:
            if group not in logs.groups:
                logs.create_log_group(group, {})
            if stream not in logs.groups[group].streams:
                logs.create_log_stream(group, stream)
            logs.put_log_events(group, stream, [{"timestamp": ms, "message": message} for ms, message in events])

    def stop(self) -> None:
        self._runtime.stop()
        uninstall_loopback_urls()


def _request_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    headers = [
        (key[5:].replace("_", "-").lower(), str(value)) for key, value in environ.items() if key.startswith("HTTP_")
    ]
    if environ.get("CONTENT_TYPE"):
        headers.append(("content-type", environ["CONTENT_TYPE"]))
    if environ.get("CONTENT_LENGTH"):
        headers.append(("content-length", environ["CONTENT_LENGTH"]))
    return headers


def wrap(app: WSGIApp, host: FunctionUrlHost) -> WSGIApp:
    """Route Function URL paths to the host and everything else to `app`."""

    def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        if host.handles(environ.get("PATH_INFO", "")):
            return host(environ, start_response)
        return app(environ, start_response)

    return dispatch
