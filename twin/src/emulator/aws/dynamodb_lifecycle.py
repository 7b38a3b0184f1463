"""A new DynamoDB table is CREATING for a while, as on AWS; moto makes every table ACTIVE at once.

On AWS, CreateTable answers TableStatus CREATING and the table turns ACTIVE some seconds later. Until then reads and
writes fail with ResourceNotFoundException ("... its status might not be ACTIVE", as the API reference words it) and
UpdateTable, UpdateTimeToLive and DeleteTable with ResourceInUseException. A deployment or test that writes to a
table it has just created must wait for ACTIVE. AWS publishes no figure for how long; the twin keeps a new table
CREATING for `creating_seconds` of virtual time (default 10 s, the stricter end of the seconds usually seen).

Only tables created through this twin while it runs are tracked.

moto's table descriptions also differ from AWS's TableDescription in ways clients read, so every CreateTable,
DescribeTable, UpdateTable and DeleteTable answer is brought in line: it carries a `TableId` (a UUID DynamoDB
generates when the table is created, the same in every answer about that table, a new one for a table made again
under the same name; `community.aws.dynamodb_table` fails without it), it omits `LocalSecondaryIndexes` and
`GlobalSecondaryIndexes` when the table has none (moto answers empty lists), and DeleteTable answers `TableStatus`
`DELETING` (moto answers the status the table had).
"""

from __future__ import annotations

import json
import uuid
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
# Where each operation's answer holds the table's description (TableDescription in the API reference).
_DESCRIPTION_KEYS = {
    "CreateTable": "TableDescription",
    "DescribeTable": "Table",
    "UpdateTable": "TableDescription",
    "DeleteTable": "TableDescription",
}
_INDEX_LISTS = ("LocalSecondaryIndexes", "GlobalSecondaryIndexes")


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
        self._table_ids: dict[str, str] = {}

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

    def table_id(self, table_name: str) -> str:
        """The table's TableId: made when the twin first sees the table, kept until it is deleted."""
        with self._lock:
            return self._table_ids.setdefault(table_name, str(uuid.uuid4()))

    def answered(self, request: AwsRequest, status: int, body: bytes) -> bytes:
        """moto's answer as AWS gives it: a new table is noted and reads as CREATING while it is, and every table
        description has the fields AWS gives (TableId; no empty index lists; DELETING once deleted)."""
        operation = request.operation or ""
        if operation not in _DESCRIPTION_KEYS or status != 200:
            return body
        try:
            answer = json.loads(body)
        except ValueError:
            return body
        table = answer.get(_DESCRIPTION_KEYS[operation]) if isinstance(answer, dict) else None
        if not isinstance(table, dict) or not isinstance(table.get("TableName"), str):
            return body
        name = table["TableName"]
        if operation == "CreateTable":
            with self._lock:
                self._created_at[name] = self._clock.now()
                self._table_ids[name] = str(uuid.uuid4())
        if not isinstance(table.get("TableId"), str):
            table["TableId"] = self.table_id(name)
        for index_list in _INDEX_LISTS:
            if table.get(index_list) == []:
                del table[index_list]
        if operation == "DeleteTable":
            with self._lock:
                self._created_at.pop(name, None)
                self._table_ids.pop(name, None)
            table["TableStatus"] = "DELETING"
        elif self._creating(name):
            table["TableStatus"] = "CREATING"
        return json.dumps(answer).encode()
