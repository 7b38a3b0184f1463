"""A new DynamoDB table is CREATING for a while, as on AWS; moto makes every table ACTIVE at once.

On AWS, CreateTable answers TableStatus CREATING and the table turns ACTIVE some seconds later. Until then reads and
writes fail with ResourceNotFoundException ("... its status might not be ACTIVE", as the API reference words it) and
UpdateTable, UpdateTimeToLive and DeleteTable with ResourceInUseException. A deployment or test that writes to a
table it has just created must wait for ACTIVE. AWS publishes no figure for how long; the twin keeps a new table
CREATING for `creating_seconds` of virtual time (default 10 s, the stricter end of the seconds usually seen).

Only tables created through this twin while it runs are tracked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

from emulator.aws.timings import TimedModel, VirtualTimings
from emulator.aws.wire import AwsRequest
from emulator.clock import Clock

NOT_ACTIVE_MESSAGE = (
    "Requested resource not found: the operation tried to access a nonexistent table or index, "
    "or its status is not ACTIVE"
)
_DATA_OPERATIONS = frozenset(
    {
        "PutItem",
        "GetItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_CONTROL_OPERATIONS = frozenset({"UpdateTable", "UpdateTimeToLive", "DeleteTable"})
_TRANSACT_KINDS = ("Put", "Update", "Delete", "ConditionCheck", "Get")


@dataclass(frozen=True)
class DynamoDbTimings(VirtualTimings):
    MAX_SECONDS: ClassVar[float] = 3_600.0

    creating_seconds: float = 10.0


def _json_body(request: AwsRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _tables_named(operation: str, body: dict[str, Any]) -> set[str]:
    names = {body["TableName"]} if isinstance(body.get("TableName"), str) else set()
    if operation in {"BatchGetItem", "BatchWriteItem"} and isinstance(body.get("RequestItems"), dict):
        names.update(body["RequestItems"])
    if operation in {"TransactGetItems", "TransactWriteItems"} and isinstance(body.get("TransactItems"), list):
        for item in body["TransactItems"]:
            for kind in _TRANSACT_KINDS:
                inner = item.get(kind) if isinstance(item, dict) else None
                if isinstance(inner, dict) and isinstance(inner.get("TableName"), str):
                    names.add(inner["TableName"])
    return names


class TableLifecycle(TimedModel[DynamoDbTimings]):
    """Which tracked tables are still CREATING on the twin's clock, and what AWS answers while they are."""

    def __init__(self, clock: Clock, timings: DynamoDbTimings | None = None) -> None:
        super().__init__(clock, timings or DynamoDbTimings())
        self._created_at: dict[str, float] = {}

    def _creating(self, table_name: str) -> bool:
        with self._lock:
            created_at = self._created_at.get(table_name)
            return created_at is not None and self._clock.now() - created_at < self.timings.creating_seconds

    def refusal(self, request: AwsRequest) -> tuple[str, str] | None:
        """(error code, message) for a request on a table that is still CREATING, else None."""
        operation = request.operation or ""
        if operation not in _DATA_OPERATIONS and operation not in _CONTROL_OPERATIONS:
            return None
        creating = sorted(name for name in _tables_named(operation, _json_body(request)) if self._creating(name))
        if not creating:
            return None
        if operation in _DATA_OPERATIONS:
            return "ResourceNotFoundException", NOT_ACTIVE_MESSAGE
        return "ResourceInUseException", f"Table {creating[0]} is being created (status CREATING); retry when ACTIVE"

    def answered(self, request: AwsRequest, status: int, body: bytes) -> bytes:
        """moto's answer as AWS gives it: a new table is noted, and reads as CREATING while it is."""
        if request.operation == "DeleteTable" and status == 200:
            with self._lock:
                self._created_at.pop(str(_json_body(request).get("TableName")), None)
            return body
        if request.operation not in {"CreateTable", "DescribeTable"} or status != 200:
            return body
        try:
            answer = json.loads(body)
        except ValueError:
            return body
        key = "TableDescription" if request.operation == "CreateTable" else "Table"
        table = answer.get(key) if isinstance(answer, dict) else None
        if not isinstance(table, dict) or not isinstance(table.get("TableName"), str):
            return body
        if request.operation == "CreateTable":
            with self._lock:
                self._created_at[table["TableName"]] = self._clock.now()
        if not self._creating(table["TableName"]):
            return body
        table["TableStatus"] = "CREATING"
        return json.dumps(answer).encode()
