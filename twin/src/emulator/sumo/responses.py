"""The wire protocol of the local Sumo Logic: routes, Basic auth, rate limiting, JSON bodies, spec validation and
error bodies, over the backend. See emulator/sumo/server.py for the endpoint list."""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from emulator.sumo.alert_rules import MissingDataReading
from emulator.sumo.auth import RateLimiter, authenticated_access_id, user_id_for
from emulator.sumo.backend import SumoBackend
from emulator.sumo.errors import SumoApiError, invalid_argument, invalid_arguments, rate_limited, unauthorized
from emulator.sumo.logstore import DEFAULT_COLLECTOR, DEFAULT_SOURCE_NAME
from emulator.sumo.spec import validate_body

logger = logging.getLogger("emulator.sumo")

MAX_SEARCH_LIMIT = 1000
MAX_CONNECTIONS_LIMIT = 1000
MAX_INGEST_BYTES = 10 * 1024 * 1024

_ROUTES = Map(
    [
        Rule("/_twin/health", endpoint="health", methods=["GET"]),
        Rule("/_twin/sumo/evaluate", endpoint="twin_evaluate", methods=["POST"]),
        Rule("/_twin/sumo/passes", endpoint="twin_passes", methods=["GET"]),
        Rule("/_twin/sumo/deliveries", endpoint="twin_deliveries", methods=["GET"]),
        Rule("/_twin/sumo/alerts", endpoint="twin_alerts", methods=["GET"]),
        Rule("/_twin/sumo/rate-limit", endpoint="twin_rate_limit", methods=["GET", "POST"]),
        Rule("/_twin/sumo/missing-data", endpoint="twin_missing_data", methods=["GET", "POST"]),
        Rule("/_twin/sumo/logs", endpoint="twin_logs", methods=["GET"]),
        Rule("/_twin/sumo/requests", endpoint="twin_requests", methods=["GET"]),
        Rule("/receiver/v1/http/<token>", endpoint="ingest", methods=["POST"]),
        Rule("/api/v1/monitors/root", endpoint="monitors_root", methods=["GET"]),
        Rule("/api/v1/monitors/path", endpoint="monitors_by_path", methods=["GET"]),
        Rule("/api/v1/monitors/search", endpoint="monitors_search", methods=["GET"]),
        Rule("/api/v1/monitors", endpoint="monitors", methods=["GET", "POST", "DELETE"]),
        Rule("/api/v1/monitors/<object_id>", endpoint="monitor", methods=["GET", "PUT", "DELETE"]),
        Rule("/api/v1/monitors/<object_id>/path", endpoint="monitor_path", methods=["GET"]),
        Rule("/api/v1/monitors/<object_id>/move", endpoint="monitor_move", methods=["POST"]),
        Rule("/api/v1/connections", endpoint="connections", methods=["GET", "POST"]),
        Rule("/api/v1/connections/test", endpoint="connection_test", methods=["POST"]),
        Rule("/api/v1/connections/<connection_id>", endpoint="connection", methods=["GET", "PUT", "DELETE"]),
    ],
    strict_slashes=False,
)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _split_ids(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_argument(f"query parameter {name} must be an integer (got {raw!r})") from None
    if not low <= value <= high:
        raise invalid_argument(f"query parameter {name} must be between {low} and {high} (got {value})")
    return value


class SumoFront:
    """A WSGI app over a SumoBackend."""

    def __init__(self, backend: SumoBackend, access_keys: dict[str, str], rate_limiter: RateLimiter) -> None:
        self.backend = backend
        self.access_keys = access_keys
        self.rate_limiter = rate_limiter

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = _ROUTES.bind_to_environ(request.environ)
        body: Any = None
        try:
            endpoint, arguments = adapter.match()
            if endpoint.startswith("twin_") or endpoint in ("health", "ingest"):
                return getattr(self, f"on_{endpoint}")(request, **arguments)
            access_id = authenticated_access_id(request.headers.get("Authorization"), self.access_keys)
            if access_id is None:
                raise unauthorized()
            if not self.rate_limiter.allow(access_id):
                raise rate_limited()
            body = self._json_body(request)
            problems = (
                validate_body(request.method, request.path.removeprefix("/api"), body) if body is not None else []
            )
            if problems:
                raise invalid_arguments(problems)
            response = getattr(self, f"on_{endpoint}")(request, body=body, user_id=user_id_for(access_id), **arguments)
        except SumoApiError as error:
            response = _json(error.to_json(), error.status)
        except NotFound:
            response = _json(
                SumoApiError.single(404, "notfound", "Resource not found.", f"No resource at {request.path}").to_json(),
                404,
            )
        except MethodNotAllowed:
            error = SumoApiError.single(
                405, "method.unsupported", "Method not supported.", f"{request.method} is not allowed on {request.path}"
            )
            response = _json(error.to_json(), 405)
        except HTTPException as error:
            response = _json(
                SumoApiError.single(error.code or 500, "error", str(error.description)).to_json(), error.code
            )
        except Exception:
            logger.exception("unexpected failure on %s %s", request.method, request.path)
            response = _json(SumoApiError.single(500, "internal.error", "Internal server error.").to_json(), 500)
        if request.path.startswith("/api/"):
            self.backend.record_request(
                request.method, request.path, request.query_string.decode("latin-1"), body, response.status_code
            )
        return response

    @staticmethod
    def _json_body(request: Request) -> Any:
        if request.method not in ("POST", "PUT"):
            return None
        raw = request.get_data(cache=True)
        if not raw.strip():
            return None
        if request.mimetype != "application/json":
            raise SumoApiError.single(
                415,
                "contenttype.invalid",
                "Invalid Content-Type.",
                f"expected Content-Type application/json (got {request.mimetype or 'none'!r})",
            )
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise invalid_argument(f"body is not valid JSON: {error}") from None

    @staticmethod
    def _require_body(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid_argument("a JSON object body is required")
        return body

    # --- twin control ----------------------------------------------------------------------------------------------

    def on_health(self, request: Request) -> Response:
        return _json({"status": "ok", "service": "sumo"})

    def on_twin_evaluate(self, request: Request) -> Response:
        return _json(self.backend.evaluate().to_json())

    def on_twin_passes(self, request: Request) -> Response:
        return _json(self.backend.pass_progress())

    def on_twin_deliveries(self, request: Request) -> Response:
        since = _int_param(request, "since", 0, 0, 2**62)
        return _json({"deliveries": self.backend.delivery_records(since, request.args.get("monitorId"))})

    def on_twin_alerts(self, request: Request) -> Response:
        return _json({"alerts": self.backend.active_alerts()})

    def on_twin_rate_limit(self, request: Request) -> Response:
        if request.method == "POST":
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
                error = invalid_argument('body must be {"enabled": true} or {"enabled": false}')
                return _json(error.to_json(), 400)
            self.rate_limiter.enabled = body["enabled"]
            logger.info("Sumo rate limit %s", "enabled" if body["enabled"] else "disabled")
        return _json({"enabled": self.rate_limiter.enabled})

    def on_twin_missing_data(self, request: Request) -> Response:
        readings = [reading.value for reading in MissingDataReading]
        if request.method == "POST":
            body = request.get_json(silent=True)
            reading = body.get("reading") if isinstance(body, dict) else None
            if reading not in readings:
                choices = " or ".join(f'{{"reading": "{value}"}}' for value in readings)
                return _json(invalid_argument(f"body must be {choices}, got {reading!r}").to_json(), 400)
            with self.backend.lock:
                self.backend.missing_data_reading = MissingDataReading(reading)
            logger.info("Sumo missing data read from %s", reading)
        return _json({"reading": self.backend.missing_data_reading.value})

    def on_twin_logs(self, request: Request) -> Response:
        return _json(self.backend.logs_summary(_int_param(request, "limit", 100, 0, 10000)))

    def on_twin_requests(self, request: Request) -> Response:
        return _json({"requests": self.backend.recorded_requests()})

    # --- ingestion -------------------------------------------------------------------------------------------------

    def on_ingest(self, request: Request, token: str) -> Response:
        raw = request.get_data(cache=False)
        encoding = (request.headers.get("Content-Encoding") or "").lower()
        try:
            if encoding == "gzip":
                raw = gzip.decompress(raw)
            elif encoding == "deflate":
                raw = zlib.decompress(raw)
            elif encoding not in ("", "identity"):
                raise invalid_argument(f"Content-Encoding must be gzip, deflate or none (got {encoding!r})")
        except (OSError, zlib.error) as error:
            raise invalid_argument(f"body could not be decompressed as {encoding}: {error}") from None
        if len(raw) > MAX_INGEST_BYTES:
            raise SumoApiError.single(413, "payload.too.large", "Request body too large.", f"{len(raw)} bytes")
        fields = {
            "_sourceCategory": request.headers.get("X-Sumo-Category") or "",
            "_sourceName": request.headers.get("X-Sumo-Name") or DEFAULT_SOURCE_NAME,
            "_sourceHost": request.headers.get("X-Sumo-Host") or (request.remote_addr or ""),
            "_collector": DEFAULT_COLLECTOR,
            "_source": DEFAULT_SOURCE_NAME,
        }
        self.backend.ingest(raw.decode("utf-8", errors="replace"), fields)
        return Response(b"", status=200)

    # --- monitors ---------------------------------------------------------------------------------------------------

    def on_monitors_root(self, request: Request, body: Any, user_id: str) -> Response:
        return _json(self.backend.monitors_root())

    def on_monitors(self, request: Request, body: Any, user_id: str) -> Response:
        if request.method == "POST":
            parent_id = request.args.get("parentId", "")
            if not parent_id:
                raise invalid_argument("query parameter parentId is required")
            return _json(self.backend.create_monitor(parent_id, self._require_body(body), user_id))
        ids = _split_ids(request.args.get("ids"))
        if request.method == "DELETE":
            return _json(self.backend.delete_monitors_reporting(ids))
        skip_children = request.args.get("skipChildren", "false").lower() == "true"
        return _json(self.backend.get_monitors(ids, with_children=not skip_children))

    def on_monitors_by_path(self, request: Request, body: Any, user_id: str) -> Response:
        return _json(self.backend.monitor_by_path(request.args.get("path")))

    def on_monitors_search(self, request: Request, body: Any, user_id: str) -> Response:
        limit = _int_param(request, "limit", 1000, 1, MAX_SEARCH_LIMIT)
        offset = _int_param(request, "offset", 0, 0, 2**31)
        return _json(self.backend.search_monitors(request.args.get("query"), limit, offset))

    def on_monitor(self, request: Request, body: Any, user_id: str, object_id: str) -> Response:
        if request.method == "PUT":
            return _json(self.backend.update_monitor(object_id, self._require_body(body), user_id))
        if request.method == "DELETE":
            self.backend.delete_monitors([object_id])
            return Response(status=204)
        return _json(self.backend.get_monitor(object_id))

    def on_monitor_path(self, request: Request, body: Any, user_id: str, object_id: str) -> Response:
        return _json(self.backend.monitor_path(object_id))

    def on_monitor_move(self, request: Request, body: Any, user_id: str, object_id: str) -> Response:
        return _json(self.backend.move_monitor(object_id, request.args.get("parentId", ""), user_id))

    # --- connections ------------------------------------------------------------------------------------------------

    def on_connections(self, request: Request, body: Any, user_id: str) -> Response:
        if request.method == "POST":
            return _json(self.backend.create_connection(self._require_body(body), user_id))
        limit = _int_param(request, "limit", 100, 1, MAX_CONNECTIONS_LIMIT)
        return _json(self.backend.list_connections(limit, request.args.get("token") or "0"))

    def on_connection(self, request: Request, body: Any, user_id: str, connection_id: str) -> Response:
        if request.method == "DELETE":
            self.backend.delete_connection(connection_id, request.args.get("type"))
            return Response(status=204)
        if request.method == "PUT":
            return _json(self.backend.update_connection(connection_id, self._require_body(body), user_id))
        return _json(self.backend.get_connection(connection_id, request.args.get("type", "WebhookConnection")))

    def on_connection_test(self, request: Request, body: Any, user_id: str) -> Response:
        functionalities = _split_ids(request.args.get("functionalities")) or ["alert"]
        unknown = [name for name in functionalities if name not in ("alert", "resolution")]
        if unknown:
            raise invalid_argument(f"functionalities must be alert and/or resolution (got {', '.join(unknown)})")
        connection_id = request.args.get("connectionId") or None
        return _json(self.backend.test_connection(self._require_body(body), connection_id, functionalities))
