"""The search scope: keywords, phrases, wildcards, metadata terms and boolean logic."""

from __future__ import annotations

import pytest

from emulator.sumo.query import QueryError, compile_query
from tests.sumo_query.samples import record


def matching(scope: str, *records_in: object) -> list[str]:
    return [row["_raw"] for row in compile_query(scope).run(records_in)]  # type: ignore[arg-type]


def test_keyword_matches_case_insensitively_as_a_substring() -> None:
    assert matching("ERROR", record("an error happened"), record("all fine")) == ["an error happened"]


def test_quoted_phrase_matches_the_whole_phrase() -> None:
    lines = (record("GET /api/data now"), record("GET /api/users data"))
    assert matching('"/API/data"', *lines) == ["GET /api/data now"]


def test_keywords_side_by_side_all_have_to_match() -> None:
    lines = (record("timeout on db"), record("timeout on cache"), record("db ok"))
    assert matching("timeout db", *lines) == ["timeout on db"]
    assert matching("timeout AND db", *lines) == ["timeout on db"]


def test_or_and_not_with_parentheses() -> None:
    lines = (record("timeout on db"), record("timeout on cache"), record("refused by db"), record("fine"))
    assert matching("(timeout OR refused) NOT cache", *lines) == ["timeout on db", "refused by db"]
    assert matching("timeout or refused", *lines) == ["timeout on db", "timeout on cache", "refused by db"]
    assert matching("!timeout !fine", *lines) == ["refused by db"]


def test_not_binds_tighter_than_and_and_and_tighter_than_or() -> None:
    lines = (record("a b"), record("c"), record("a c"))
    assert matching("a b OR c", *lines) == ["a b", "c", "a c"]
    assert matching("NOT a AND c", *lines) == ["c"]


def test_wildcard_keyword_spans_characters_but_quoted_star_is_literal() -> None:
    lines = (record("user=alice failed"), record("user failed"), record("literal * star"))
    assert matching("us*ed", *lines) == ["user=alice failed", "user failed"]
    assert matching('"l * s"', *lines) == ["literal * star"]
    assert matching('"a*f"', *lines) == []


def test_metadata_term_matches_the_whole_value_case_insensitively() -> None:
    lines = (
        record("one", sourceCategory="prod/api"),
        record("two", sourceCategory="Prod/API"),
        record("three", sourceCategory="prod/api/extra"),
    )
    assert matching("_sourceCategory=prod/api", *lines) == ["one", "two"]
    assert matching("_sourcecategory=PROD/api*", *lines) == ["one", "two", "three"]


def test_each_metadata_field_can_be_filtered() -> None:
    line = record("x", sourceName="/var/log/app.log", sourceHost="web-2", collector="edge")
    assert matching('_sourceName="/var/log/*.log" _sourceHost=web-* _collector=EDGE', line) == ["x"]
    assert matching("_sourceHost=web-1", line) == []


def test_metadata_term_with_spaces_around_equals_sign() -> None:
    assert matching("_sourceCategory = prod/api", record("x")) == ["x"]


def test_empty_scope_and_star_match_everything() -> None:
    lines = (record("a"), record("b"))
    assert matching("*", *lines) == ["a", "b"]
    assert [row["_raw"] for row in compile_query("| fields _raw").run(lines)] == ["a", "b"]


def test_a_non_metadata_field_in_the_scope_is_refused() -> None:
    with pytest.raises(QueryError, match="status"):
        compile_query("status=500 | count")


@pytest.mark.parametrize("scope", ["(timeout", "timeout)", "a OR", '"unterminated'])
def test_malformed_scope_is_refused(scope: str) -> None:
    with pytest.raises(QueryError):
        compile_query(scope)


def test_non_aggregate_rows_carry_raw_time_metadata_and_parsed_fields() -> None:
    rows = compile_query('"/api" | parse "path=* " as path').run([record("path=/api/x took", 42)])
    assert rows == [
        {
            "_raw": "path=/api/x took",
            "_messagetime": 42,
            "_sourceCategory": "prod/api",
            "_sourceName": "/var/log/nginx/access.log",
            "_sourceHost": "web-1",
            "_collector": "collector-1",
            "path": "/api/x",
        }
    ]
