"""dynamodb_table: the state table it keeps in moto, and what it predicts in check mode."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ansible_collections.autoremediation.sumo_aws.plugins.modules.dynamodb_table import (
    ARGUMENT_SPEC,
    TableError,
    TableManager,
    ensure_absent,
    ensure_present,
)

from .aws_fakes import FakeModule, moto_clients

TABLE = "test-state"


@pytest.fixture
def aws() -> Iterator[Any]:
    """moto-backed clients for one test."""
    yield from moto_clients()


def manager(client: Any, check_mode: bool = False, **params: Any) -> TableManager:
    module = FakeModule(ARGUMENT_SPEC, check_mode=check_mode, name=TABLE, **params)
    return TableManager(module, client("dynamodb"))


def test_creating_in_check_mode_predicts_the_table_and_creates_nothing(aws: Any) -> None:
    result = ensure_present(manager(aws, check_mode=True, ttl_attribute="expires_at"))

    assert result["changed"] is True
    assert result["diff"]["after"]["ttl_attribute"] == "expires_at"
    assert aws("dynamodb").list_tables()["TableNames"] == []


def test_created_table_is_on_demand_with_ttl_and_a_second_run_changes_nothing(aws: Any) -> None:
    first = ensure_present(manager(aws, ttl_attribute="expires_at", tags={"team": "ops"}))
    second = ensure_present(manager(aws, ttl_attribute="expires_at", tags={"team": "ops"}))

    assert first["changed"] is True
    assert first["table"]["billing_mode"] == "PAY_PER_REQUEST"
    assert (first["table"]["hash_key_name"], first["table"]["hash_key_type"]) == ("pk", "S")
    assert first["table"]["ttl_attribute"] == "expires_at"
    assert first["table"]["tags"] == {"team": "ops"}
    assert second["changed"] is False


def test_a_different_hash_key_is_refused_naming_both(aws: Any) -> None:
    ensure_present(manager(aws))

    with pytest.raises(TableError, match="has hash key pk \\(S\\), expected id \\(N\\)"):
        ensure_present(manager(aws, hash_key_name="id", hash_key_type="N"))


def test_deleting_in_check_mode_keeps_the_table_and_deleting_removes_it(aws: Any) -> None:
    ensure_present(manager(aws))

    assert ensure_absent(manager(aws, check_mode=True, state="absent"))["changed"] is True
    assert aws("dynamodb").list_tables()["TableNames"] == [TABLE]
    assert ensure_absent(manager(aws, state="absent"))["changed"] is True
    assert aws("dynamodb").list_tables()["TableNames"] == []


def test_a_table_that_never_turns_active_fails_naming_its_status(aws: Any) -> None:
    table_manager = manager(aws, wait_timeout=0)
    real_describe = table_manager.describe

    def still_creating() -> dict[str, Any] | None:
        # The injected fault: AWS keeps answering CREATING past the wait timeout.
        table = real_describe()
        return {**table, "TableStatus": "CREATING"} if table else None

    table_manager.describe = still_creating  # type: ignore[method-assign]

    with pytest.raises(TableError, match=f"table {TABLE} is still CREATING, not ACTIVE, after 0 s"):
        ensure_present(table_manager)
