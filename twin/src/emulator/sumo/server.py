"""The local Sumo Logic service of the twin: `create_sumo_twin(clock, settings)` returns its WSGI app and scheduler.

API base `{settings.sumo_url}/api`, HTTP Basic auth (SUMO_TWIN_ACCESS_ID / SUMO_TWIN_ACCESS_KEY, defaults
`local-sumo-access-id` / `local-sumo-access-key`; wrong or missing -> 401 in the flat shape
`{"status":401,"id","code":"unauthorized","message"}`). Over 4 requests per second per access id (sliding window on
the real clock) -> 429 `rate.limit.exceeded`, same flat shape, unless settings.sumo_rate_limit is False.

Endpoints (all bodies JSON):
  Monitors API v1: GET /api/v1/monitors/root; POST /api/v1/monitors?parentId=; GET|DELETE /api/v1/monitors?ids=a,b;
    GET /api/v1/monitors/path?path=/Monitor/...; GET /api/v1/monitors/search?query=&limit=&offset=;
    GET|PUT|DELETE /api/v1/monitors/{id} (DELETE -> 204); GET /api/v1/monitors/{id}/path;
    POST /api/v1/monitors/{id}/move?parentId=.
  Connections API v1: GET /api/v1/connections?limit=&token=; POST /api/v1/connections;
    GET|PUT /api/v1/connections/{id}; DELETE /api/v1/connections/{id}?type=WebhookConnection (type required, 204);
    POST /api/v1/connections/test?functionalities=alert,resolution&connectionId=.
  HTTP Source: POST /receiver/v1/http/{token} (any token; one message per line; X-Sumo-Category, X-Sumo-Name,
    X-Sumo-Host set _sourceCategory, _sourceName, _sourceHost; gzip/deflate accepted). No auth, as the real one.
  Twin control (no auth; for tests and the demo; emulator.control_client.TwinControl has a method for each):
    GET  /_twin/health                    200 {"status":"ok","service":"sumo"}
    POST /_twin/sumo/evaluate             run one evaluation pass now; returns what it did: evaluatedAtMs,
                                          monitorsEvaluated, fired, resolved, warnings, deliveries
    GET  /_twin/sumo/passes               {"passes": N, "lastPassAtMs": ms or null}: how many passes (the scheduler's
                                          and evaluate's) have finished, deliveries included, and the virtual time the
                                          latest evaluated; a test that moves the clock waits on it for the pass there
    GET  /_twin/sumo/deliveries[?since=N&monitorId=ID]
                                          every webhook delivery attempt: index, time, epochMs, monitorId,
                                          monitorName, alertId, triggerType, connectionId, connectionName, url,
                                          attempt, test, statusCode, ok, error, responseExcerpt, payload
    GET  /_twin/sumo/alerts               active alerts: id, monitorId, monitorName, triggerType, startedAtMs,
                                          triggerValue, triggerTimeStart, triggerTimeEnd
    GET|POST /_twin/sumo/rate-limit       read or set {"enabled": bool}
    GET|POST /_twin/sumo/missing-data     read or set {"reading": "query-rows"|"scope-matches"}: MissingData when
                                          the query returns no row (the default, strict) or when no message matches
                                          the search scope (kind); alert_rules.py
    GET  /_twin/sumo/logs[?limit=N]       {"count": stored log lines, "latest": the latest N (default 100, at most
                                          10000) as timestampMs, raw, fields}
    GET  /_twin/sumo/requests             the last 1,000 API requests (time, method, path with query, body with
                                          Authorization header values masked, status), to check against the spec
                                          with emulator.sumo.spec.validate_request
    A bad parameter or body -> 400 ErrorResponse service.argument.invalid, as the API's own.

Choices where the real behaviour is unknown (strict where possible):
* Request bodies are validated against the official OpenAPI spec (emulator/sumo/spec.py says where it is looked
  for), else against emulator/sumo/compact_api.yaml; problems -> 400 service.argument.invalid naming each field.
  Unknown and read-only fields (isSystem, version on create, status, isLocked, tags, frequency, actionType ...) are
  accepted; `tags` and trigger `frequency` are stored and returned, the rest ignored.
* PUT /v1/monitors/{id} with a `version` other than the current one -> 409 `monitors:version_mismatch`
  (ErrorResponse); versions start at 0 and each update or move adds 1. The update `type` must be
  MonitorsLibraryMonitorUpdate / MonitorsLibraryFolderUpdate and match the object.
* A name already used by another monitor or folder in the same folder (exact match) -> 400
  `content:duplicate_content`, so a path names one object. Connection names are unique too -> 400
  `connection:duplicate_name`. Names with '/' or surrounding spaces -> 400 service.argument.invalid.
* Authorization header values (headers or customHeaders) read back as `********`; sending `********` back in an
  update keeps the stored value. Deleting a connection a monitor uses -> 400 `connection:in_use`.
* A notification's connectionType must fit its connection's webhookType (Webhook->Webhook, AWSLambda->AWSLambda,
  Azure->AzureFunctions, ...), its connectionId must exist, and its runForTriggerTypes must be trigger types of the
  monitor; otherwise 400 service.argument.invalid.
* Webhook URLs: http or https; ports 80/443 only (as the real service), except any port on a loopback host.
* 404: `content:not_found` for monitors ("Content with the given ID does not exist."), `connection:not_found` for
  connections ("Connection with given ID does not exist."); a malformed id -> 400 `content:invalid_id`.
* Scheduler: a pass at every minute boundary of virtual time; after a clock jump only the latest boundary is
  evaluated (scheduler.py). Evaluation rules: evaluation.py. Delivery and retries: webhook.py. Log time and
  retention: logstore.py.
"""

from __future__ import annotations

import logging
import threading

from emulator.clock import ScaledClock
from emulator.service_contract import TwinSettings, WSGIApp
from emulator.sumo import spec
from emulator.sumo.auth import RateLimiter, access_keys_from_environment
from emulator.sumo.backend import SumoBackend
from emulator.sumo.responses import SumoFront
from emulator.sumo.scheduler import MinuteScheduler

logger = logging.getLogger("emulator.sumo")


class SumoTwin:
    """The TwinService for Sumo Logic: the WSGI app plus the monitor scheduler."""

    def __init__(self, clock: ScaledClock, settings: TwinSettings) -> None:
        self.clock = clock
        self.settings = settings
        self.backend = SumoBackend(clock, settings)
        self.rate_limiter = RateLimiter(enabled=settings.sumo_rate_limit)
        self.front = SumoFront(self.backend, access_keys_from_environment(), self.rate_limiter)
        self.wsgi_app: WSGIApp = self.front
        self.scheduler = MinuteScheduler(clock, lambda at: self.backend.evaluate(at))

    def start(self) -> None:
        self.scheduler.start()
        # Read and compile the spec in the background, so the first API call does not pay for it.
        threading.Thread(target=self._warm_validation, name="sumo-spec-warmup", daemon=True).start()

    def stop(self) -> None:
        self.scheduler.stop()

    @staticmethod
    def _warm_validation() -> None:
        try:
            document = spec.load_document()
            for operation in document.operations:
                if operation.body_schema_name and operation.template.startswith(("/v1/monitors", "/v1/connections")):
                    document.body_validator(operation.body_schema_name)
            logger.info("Sumo twin validates requests with the %s", spec.source_description())
        except Exception:
            logger.exception("Sumo twin could not load its request schema")


def create_sumo_twin(clock: ScaledClock, settings: TwinSettings) -> SumoTwin:
    return SumoTwin(clock, settings)
