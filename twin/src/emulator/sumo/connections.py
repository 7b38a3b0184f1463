"""Webhook connections: storage, the rules a definition must pass, and the masked form reads return.

Authorization header values (in `headers` or `customHeaders`, name matched case-insensitively) are never
returned: reads show MASKED_VALUE instead. An update that sends MASKED_VALUE back for a header keeps the stored
value, so a client may round-trip what it read. Not thread-safe on its own; the backend serialises access.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from emulator.clock import Clock
from emulator.sumo.errors import SumoApiError, invalid_argument, invalid_arguments
from emulator.sumo.ids import is_object_id, new_object_id
from emulator.sumo.payload import template_json_problem, unsupported_variables
from emulator.sumo.timefmt import rfc3339_ms

MASKED_VALUE = "********"
DEFAULT_WEBHOOK_TYPE = "Webhook"
CONNECTION_RESPONSE_TYPE = "WebhookConnection"
MAX_CUSTOM_HEADERS = 5
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: Any) -> str | None:
    """Why a webhook URL is refused, or None. The real service allows only ports 80 (http) and 443 (https);
    the twin also allows any port on a loopback host, where local receivers listen."""
    if not isinstance(url, str):
        return f"url must be a string (got {url!r})"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"url must be an http or https URL with a host (got {url!r})"
    try:
        port = parts.port
    except ValueError:
        return f"url has an invalid port (got {url!r})"
    if port is not None and not is_loopback_host(parts.hostname) and port != {"http": 80, "https": 443}[parts.scheme]:
        return f"url must use port 80 for http or 443 for https outside loopback (got {url!r})"
    return None


@dataclass
class Connection:
    id: str
    name: str
    description: str
    url: str
    headers: list[dict[str, str]]
    custom_headers: list[dict[str, str]]
    default_payload: str
    webhook_type: str
    created_at: float
    created_by: str
    modified_at: float
    modified_by: str
    resolution_payload: str | None = None
    connection_subtype: str | None = None
    warnings: list[str] = field(default_factory=list)

    def request_headers(self) -> dict[str, str]:
        """What a delivery sends: the authorization headers, then the custom ones."""
        sent = {header["name"]: header["value"] for header in self.headers}
        sent.update({header["name"]: header["value"] for header in self.custom_headers})
        return sent


def not_found(connection_id: str) -> SumoApiError:
    return SumoApiError.single(
        404,
        "connection:not_found",
        "Connection with given ID does not exist.",
        f"No connection {connection_id}.",
    )


def _masked(headers: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        {
            "name": header["name"],
            "value": MASKED_VALUE if header["name"].lower() == "authorization" else header["value"],
        }
        for header in headers
    ]


def _unmask(sent: list[dict[str, str]], stored: list[dict[str, str]]) -> list[dict[str, str]]:
    """Headers as sent, with a masked value replaced by the stored value of the same header."""
    stored_by_name = {header["name"].lower(): header["value"] for header in stored}
    return [
        {
            "name": header["name"],
            "value": stored_by_name.get(header["name"].lower(), header["value"])
            if header["value"] == MASKED_VALUE
            else header["value"],
        }
        for header in sent
    ]


class ConnectionStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._connections: dict[str, Connection] = {}

    def list(self) -> list[Connection]:
        return sorted(self._connections.values(), key=lambda connection: (connection.created_at, connection.id))

    def get(self, connection_id: str) -> Connection:
        connection = self._connections.get(connection_id.upper()) if is_object_id(connection_id) else None
        if connection is None:
            raise not_found(connection_id)
        return connection

    def webhook_type(self, connection_id: str) -> str | None:
        connection = self._connections.get(connection_id.upper()) if is_object_id(connection_id) else None
        return connection.webhook_type if connection else None

    def create(self, body: dict[str, Any], user_id: str) -> Connection:
        fields = self._checked_fields(body, previous=None)
        self._check_unique_name(fields["name"], exclude_id=None)
        now = self._clock.now()
        connection = Connection(
            id=new_object_id(self._connections),
            created_at=now,
            created_by=user_id,
            modified_at=now,
            modified_by=user_id,
            **fields,
        )
        self._connections[connection.id] = connection
        return connection

    def update(self, connection_id: str, body: dict[str, Any], user_id: str) -> Connection:
        connection = self.get(connection_id)
        fields = self._checked_fields(body, previous=connection)
        self._check_unique_name(fields["name"], exclude_id=connection.id)
        for key, value in fields.items():
            setattr(connection, key, value)
        connection.modified_at = self._clock.now()
        connection.modified_by = user_id
        return connection

    def delete(self, connection_id: str, connection_type: str | None) -> Connection:
        if connection_type not in ("WebhookConnection", "ServiceNowConnection"):
            raise invalid_argument(
                f"type is required and must be 'WebhookConnection' or 'ServiceNowConnection' (got {connection_type!r})"
            )
        connection = self.get(connection_id)
        if connection_type != CONNECTION_RESPONSE_TYPE:
            raise not_found(connection_id)
        del self._connections[connection.id]
        return connection

    def definition_for_test(self, body: dict[str, Any], connection_id: str | None) -> Connection:
        """An unsaved connection from a test request; masked header values come from `connection_id`'s."""
        previous = self.get(connection_id) if connection_id else None
        fields = self._checked_fields(body, previous=previous)
        now = self._clock.now()
        return Connection(
            id=previous.id if previous else "0000000000000000",
            created_at=now,
            created_by="",
            modified_at=now,
            modified_by="",
            **fields,
        )

    def _checked_fields(self, body: dict[str, Any], previous: Connection | None) -> dict[str, Any]:
        if body.get("type") != "WebhookDefinition":
            raise invalid_argument(
                f"type: the twin supports only 'WebhookDefinition' connections (got {body.get('type')!r})"
            )
        problems = []
        url = body.get("url")
        problem = url_problem(url)
        if problem:
            problems.append(problem)
        headers = list(body.get("headers") or [])
        custom_headers = list(body.get("customHeaders") or [])
        if len(custom_headers) > MAX_CUSTOM_HEADERS:
            problems.append(
                f"customHeaders holds {len(custom_headers)} headers; at most {MAX_CUSTOM_HEADERS} are allowed"
            )
        for list_name, entries in (("headers", headers), ("customHeaders", custom_headers)):
            for index, header in enumerate(entries):
                if not _HEADER_NAME.match(str(header.get("name", ""))):
                    problems.append(
                        f"{list_name}[{index}].name is not a valid HTTP header name ({header.get('name')!r})"
                    )
                if any(character in str(header.get("value", "")) for character in "\r\n"):
                    problems.append(f"{list_name}[{index}].value must not contain a line break")
        payloads = {"defaultPayload": body.get("defaultPayload")}
        if body.get("resolutionPayload"):
            payloads["resolutionPayload"] = body["resolutionPayload"]
        warnings = []
        for key, template in payloads.items():
            problem = template_json_problem(template) if isinstance(template, str) else "must be a string"
            if problem:
                problems.append(f"{key} {problem}")
            else:
                unknown = unsupported_variables(template)
                if unknown:
                    warnings.append(f"The following variables are not supported: {', '.join(unknown)}")
        if problems:
            raise invalid_arguments(problems)
        headers = [{"name": header["name"], "value": header["value"]} for header in headers]
        custom_headers = [{"name": header["name"], "value": header["value"]} for header in custom_headers]
        if previous is not None:
            headers = _unmask(headers, previous.headers)
            custom_headers = _unmask(custom_headers, previous.custom_headers)
        return {
            "name": body["name"],
            "description": body.get("description") or "",
            "url": url,
            "headers": headers,
            "custom_headers": custom_headers,
            "default_payload": body["defaultPayload"],
            "resolution_payload": body.get("resolutionPayload") or None,
            "webhook_type": body.get("webhookType") or DEFAULT_WEBHOOK_TYPE,
            "connection_subtype": body.get("connectionSubtype") or None,
            "warnings": warnings,
        }

    def _check_unique_name(self, name: str, exclude_id: str | None) -> None:
        # Strict: connection names are unique (exact match), so a client can find its connection by name.
        for connection in self._connections.values():
            if connection.name == name and connection.id != exclude_id:
                raise SumoApiError.single(
                    400,
                    "connection:duplicate_name",
                    "A connection with the same name already exists.",
                    f"connection {connection.id} is already named {name!r}",
                )

    @staticmethod
    def to_json(connection: Connection) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": CONNECTION_RESPONSE_TYPE,
            "id": connection.id,
            "name": connection.name,
            "description": connection.description,
            "createdAt": rfc3339_ms(connection.created_at),
            "createdBy": connection.created_by,
            "modifiedAt": rfc3339_ms(connection.modified_at),
            "modifiedBy": connection.modified_by,
            "url": connection.url,
            "headers": _masked(connection.headers),
            "customHeaders": _masked(connection.custom_headers),
            "defaultPayload": connection.default_payload,
            "webhookType": connection.webhook_type,
        }
        if connection.resolution_payload is not None:
            body["resolutionPayload"] = connection.resolution_payload
        if connection.connection_subtype is not None:
            body["connectionSubtype"] = connection.connection_subtype
        if connection.warnings:
            body["warnings"] = list(connection.warnings)
        return body
