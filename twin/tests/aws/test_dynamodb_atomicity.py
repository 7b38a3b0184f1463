"""Conditional writes on the twin are atomic, as DynamoDB's are per item: of racing writers exactly one wins."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from emulator.readiness import create_table_and_wait_until_active


def test_racing_conditional_puts_on_one_key_let_exactly_one_through(twin):
    table = f"race-{uuid.uuid4().hex[:8]}"
    dynamodb = twin.client("dynamodb")
    create_table_and_wait_until_active(
        dynamodb,
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def claim(writer: int) -> bool:
        # One client per thread, no retries: a lost condition must come back as a loss, not be retried away.
        client = boto3.client(
            "dynamodb",
            endpoint_url=twin.aws_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )
        try:
            client.update_item(
                TableName=table,
                Key={"pk": {"S": "the-one-key"}},
                UpdateExpression="SET winner = :writer, claims = if_not_exists(claims, :zero) + :one",
                ConditionExpression="attribute_not_exists(winner)",
                ExpressionAttributeValues={":writer": {"N": str(writer)}, ":zero": {"N": "0"}, ":one": {"N": "1"}},
            )
            return True
        except client.exceptions.ConditionalCheckFailedException:
            return False

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(claim, range(200)))

    assert outcomes.count(True) == 1
    item = dynamodb.get_item(TableName=table, Key={"pk": {"S": "the-one-key"}})["Item"]
    assert item["claims"] == {"N": "1"}
