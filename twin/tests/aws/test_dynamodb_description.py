"""Table descriptions carry what AWS's TableDescription does: a stable TableId, no empty index lists, DELETING."""

from __future__ import annotations

import uuid

import pytest

from emulator.testing import RunningTwin

pytestmark = pytest.mark.twin

KEY = {
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}


def _create_table(aws: RunningTwin, name: str | None = None) -> tuple[str, dict]:
    name = name or f"described-{uuid.uuid4().hex[:8]}"
    return name, aws.client("dynamodb").create_table(TableName=name, **KEY)["TableDescription"]


def _wait_active(aws: RunningTwin, name: str) -> dict:
    aws.client("dynamodb").get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
    )
    return aws.client("dynamodb").describe_table(TableName=name)["Table"]


def test_every_answer_about_a_table_carries_the_same_uuid_table_id(aws):
    dynamodb = aws.client("dynamodb")
    name, created = _create_table(aws)

    table_id = created["TableId"]
    assert str(uuid.UUID(table_id)) == table_id
    assert dynamodb.describe_table(TableName=name)["Table"]["TableId"] == table_id
    assert _wait_active(aws, name)["TableId"] == table_id
    assert dynamodb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableId"] == (
        table_id
    )
    assert dynamodb.delete_table(TableName=name)["TableDescription"]["TableId"] == table_id


def test_each_table_has_its_own_id_and_a_table_made_again_gets_a_new_one(aws):
    dynamodb = aws.client("dynamodb")
    name, first = _create_table(aws)
    _other, other = _create_table(aws)
    assert first["TableId"] != other["TableId"]

    _wait_active(aws, name)
    dynamodb.delete_table(TableName=name)
    _same_name, again = _create_table(aws, name)

    assert again["TableId"] != first["TableId"]
    assert dynamodb.describe_table(TableName=name)["Table"]["TableId"] == again["TableId"]


def test_a_table_without_indexes_lists_none(aws):
    name, created = _create_table(aws)
    described = _wait_active(aws, name)

    for table in (created, described):
        assert "LocalSecondaryIndexes" not in table
        assert "GlobalSecondaryIndexes" not in table
        assert table["TableArn"].endswith(f":table/{name}")
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert {"TableSizeBytes", "ItemCount", "CreationDateTime", "AttributeDefinitions", "KeySchema"} <= set(table)


def test_a_table_with_an_index_still_lists_it(aws):
    name = f"indexed-{uuid.uuid4().hex[:8]}"
    created = aws.client("dynamodb").create_table(
        TableName=name,
        KeySchema=KEY["KeySchema"],
        AttributeDefinitions=[*KEY["AttributeDefinitions"], {"AttributeName": "gk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-gk",
                "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )["TableDescription"]

    assert [index["IndexName"] for index in created["GlobalSecondaryIndexes"]] == ["by-gk"]
    assert "LocalSecondaryIndexes" not in created


def test_delete_answers_deleting_and_the_table_is_then_gone(aws):
    dynamodb = aws.client("dynamodb")
    name, _created = _create_table(aws)
    _wait_active(aws, name)

    deleted = dynamodb.delete_table(TableName=name)["TableDescription"]

    assert deleted["TableStatus"] == "DELETING"
    assert name not in dynamodb.list_tables()["TableNames"]
