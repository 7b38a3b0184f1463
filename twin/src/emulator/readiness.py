"""Waiting, as a careful client of AWS does, for what the twin (like AWS) does not make ready at once.

A new role is not assumable by Lambda until IAM has propagated it (emulator/aws/iam_propagation.py), a new function is
Pending before it is Active (emulator/aws/lambda_states.py) and a new table is CREATING before it is ACTIVE
(emulator/aws/dynamodb_lifecycle.py). Tests that create one and use it at once wait with these helpers, as the
deployment does.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

_UNASSUMABLE = "cannot be assumed by Lambda"


def create_function_and_wait_until_active(lambda_client: Any, timeout_seconds: float = 10.0, **request: Any) -> Any:
    """CreateFunction with `request` (retried only while its role has not propagated, for up to `timeout_seconds`),
    then botocore's function_active_v2 waiter, polling every 50 ms. Returns CreateFunction's answer."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            created = lambda_client.create_function(**request)
            break
        except ClientError as error:
            if _UNASSUMABLE not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    lambda_client.get_waiter("function_active_v2").wait(
        FunctionName=request["FunctionName"], WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return created


def create_table_and_wait_until_active(dynamodb_client: Any, **request: Any) -> dict[str, Any]:
    """CreateTable with `request`, then botocore's table_exists waiter (TableStatus ACTIVE), polling every 50 ms."""
    dynamodb_client.create_table(**request)
    dynamodb_client.get_waiter("table_exists").wait(
        TableName=request["TableName"], WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return dynamodb_client.describe_table(TableName=request["TableName"])["Table"]
