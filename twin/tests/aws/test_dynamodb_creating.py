"""A new table is CREATING for a while, as on AWS: reads and writes wait for ACTIVE."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from emulator.control_client import TwinControlError
from emulator.testing import RunningTwin
from tests.aws.conftest import raw_control

pytestmark = pytest.mark.twin

CREATING_SECONDS = 600.0


@pytest.fixture
def slow_tables(aws: RunningTwin) -> Iterator[float]:
    """Creation long enough (minutes of virtual time) that only advancing the clock makes a table ACTIVE."""
    with aws.overridden_timings("dynamodb", creating_seconds=CREATING_SECONDS):
        yield CREATING_SECONDS


def _create_table(aws: RunningTwin) -> tuple[str, dict]:
    name = f"creating-{uuid.uuid4().hex[:8]}"
    created = aws.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name, created["TableDescription"]


def test_a_new_table_is_creating_and_refuses_writes(aws, slow_tables):
    dynamodb = aws.client("dynamodb")
    name, created = _create_table(aws)

    assert created["TableStatus"] == "CREATING"
    assert dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "CREATING"
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "ACTIVE" in refused.value.response["Error"]["Message"]


def test_batch_and_transaction_writes_naming_a_creating_table_are_refused(aws, slow_tables):
    dynamodb = aws.client("dynamodb")
    name, _created = _create_table(aws)

    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        dynamodb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]})
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": {"pk": {"S": "a"}}}}])


def test_ttl_and_delete_wait_for_the_table_to_be_active(aws, slow_tables):
    dynamodb = aws.client("dynamodb")
    name, _created = _create_table(aws)

    with pytest.raises(ClientError) as ttl_refused:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
    assert ttl_refused.value.response["Error"]["Code"] == "ResourceInUseException"
    with pytest.raises(ClientError, match="ResourceInUseException"):
        dynamodb.delete_table(TableName=name)


def test_the_table_turns_active_and_takes_writes_once_created(aws, slow_tables):
    dynamodb = aws.client("dynamodb")
    name, _created = _create_table(aws)
    aws.clock(advance_seconds=slow_tables)

    assert dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    assert dynamodb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def test_a_table_created_before_and_remade_is_creating_again(aws, slow_tables):
    dynamodb = aws.client("dynamodb")
    name, _created = _create_table(aws)
    aws.clock(advance_seconds=slow_tables)
    dynamodb.delete_table(TableName=name)

    again = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]

    assert again["TableStatus"] == "CREATING"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"creating_seconds": -1}, "creating_seconds"),
        ({"creating_seconds": "10"}, "creating_seconds"),
        ({"warm_seconds": 5}, "warm_seconds"),
    ],
)
def test_timings_reject_bad_input_naming_the_field(aws, payload, field):
    with pytest.raises(TwinControlError) as refused:
        aws.control.set_timings("dynamodb", **payload)

    assert (refused.value.status, refused.value.field) == (400, field)


def test_timings_reject_a_body_that_is_not_an_object(aws):
    status, body = raw_control(aws, "POST", "/_twin/dynamodb/timings", b"[]")

    assert status == 400
    assert body["field"] == "body"
