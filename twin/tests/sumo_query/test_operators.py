"""The per-message operators: parse, parse regex, json, num, if, where, fields, sort, limit."""

from __future__ import annotations

import pytest

from emulator.sumo.query import QueryError, compile_query
from tests.sumo_query.samples import record


def parsed(query: str, *raws: str, keep: tuple[str, ...] = ()) -> list[dict[str, object]]:
    rows = compile_query(query).run([record(raw, index) for index, raw in enumerate(raws)])
    return [{name: row.get(name) for name in keep} for row in rows] if keep else rows


def test_parse_anchor_captures_between_anchors_and_drops_non_matching() -> None:
    rows = parsed('| parse "user=*, ip=*," as user, ip', "user=ann, ip=1.2.3.4, ok", "nothing", keep=("user", "ip"))
    assert rows == [{"user": "ann", "ip": "1.2.3.4"}]


def test_parse_anchor_last_star_takes_the_rest_of_the_line() -> None:
    assert parsed('| parse "msg=*" as msg', "level=1 msg=disk is full", keep=("msg",)) == [{"msg": "disk is full"}]


def test_parse_nodrop_keeps_the_message_with_null_fields() -> None:
    rows = parsed('| parse "user=*," as user nodrop', "user=ann,", "nobody", keep=("_raw", "user"))
    assert rows == [{"_raw": "user=ann,", "user": "ann"}, {"_raw": "nobody", "user": None}]


def test_parse_from_another_field() -> None:
    query = '| parse "path=* " as path | parse field=path "/api/*" as resource'
    assert parsed(query, "path=/api/data ok", keep=("resource",)) == [{"resource": "data"}]


def test_parse_regex_translates_java_named_groups() -> None:
    query = r'| parse regex "took (?<ms>\d+)ms on (?<host>[a-z0-9-]+)"'
    assert parsed(query, "took 42ms on web-1", "took ms", keep=("ms", "host")) == [{"ms": "42", "host": "web-1"}]


def test_parse_regex_optional_group_that_did_not_match_is_null() -> None:
    query = r'| parse regex "t=(?<value>[0-9.]+)(?<unit>ms|s)?"'
    assert parsed(query, "t=1.5", keep=("value", "unit")) == [{"value": "1.5", "unit": None}]


def test_parse_regex_multi_makes_one_row_per_match() -> None:
    query = r'| parse regex "id=(?<id>\d+)" multi | count by id'
    assert parsed(query, "id=1 id=2", "id=2") == [{"id": "1", "_count": 1}, {"id": "2", "_count": 2}]


def test_extract_is_parse_regex() -> None:
    assert parsed(r'| extract "n=(?<n>\d+)"', "n=5", keep=("n",)) == [{"n": "5"}]


def test_json_extracts_keys_nested_paths_and_array_items() -> None:
    line = '{"path":"/api/data","timing":{"ms":3412},"tags":["a","b"],"ok":true,"extra":{"k":1}}'
    query = '| json "path", "timing.ms", "tags[1]", "ok", "extra" as path, ms, tag, ok, extra'
    assert parsed(query, line, keep=("path", "ms", "tag", "ok", "extra")) == [
        {"path": "/api/data", "ms": "3412", "tag": "b", "ok": "true", "extra": '{"k":1}'}
    ]


def test_json_without_alias_names_the_field_after_the_key() -> None:
    assert parsed('| json "status"', '{"status":503}', keep=("status",)) == [{"status": "503"}]


def test_json_drops_messages_without_the_keys_unless_nodrop() -> None:
    assert parsed('| json "status"', '{"other":1}', "not json") == []
    rows = parsed('| json "status" nodrop', '{"other":1}', "not json", keep=("status",))
    assert rows == [{"status": None}, {"status": None}]


def test_json_auto_makes_every_top_level_key_a_field() -> None:
    query = "| json auto | where status = 200 | fields method, status"
    assert parsed(query, '{"method":"GET","status":200}', '{"status":500}') == [{"method": "GET", "status": "200"}]


def test_num_converts_and_makes_non_numbers_null() -> None:
    query = '| parse "v=*;" as v | num(v) | num(v) as w'
    assert parsed(query, "v=12;", "v=1.5;", "v=abc;", keep=("v", "w")) == [
        {"v": 12, "w": 12},
        {"v": 1.5, "w": 1.5},
        {"v": None, "w": None},
    ]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("n > 5", ["7", "10"]),
        ("n >= 7 and n < 10", ["7"]),
        ("n = 3 or n == 10", ["3", "10"]),
        ("n != 3", ["7", "10"]),
        ("n <> 3", ["7", "10"]),
        ("!(n > 5)", ["3"]),
        ("not n > 5", ["3"]),
        ("n * 2 + 1 > 15", ["10"]),
        ("(n - 1) / 3 = 2", ["7"]),
        ("n in (3, 10)", ["3", "10"]),
        ("n not in (3, 10)", ["7"]),
        ('name matches "b*"', ["7", "10"]),
        ("name matches /bo+b/", ["10"]),
        ('name = "bob"', ["10"]),
        ('name = "BOB"', []),
        ('toLowerCase(name) = "bert"', ["7"]),
        ('name in ("al", "bert")', ["3", "7"]),
        ("length(name) = 4", ["7"]),
    ],
)
def test_where_expressions(condition: str, expected: list[str]) -> None:
    query = f'| parse "n=* name=*;" as n, name | where {condition}'
    rows = parsed(query, "n=3 name=al;", "n=7 name=bert;", "n=10 name=bob;", keep=("n",))
    assert [row["n"] for row in rows] == expected


def test_where_on_a_null_field_is_false_and_isnull_isblank_see_it() -> None:
    query = '| parse "a=*;" as a nodrop'
    lines = ("a=1;", "a= ;", "none")
    assert [r["_raw"] for r in parsed(f"{query} | where a > 0", *lines)] == ["a=1;"]
    assert [r["_raw"] for r in parsed(f"{query} | where isNull(a)", *lines)] == ["none"]
    assert [r["_raw"] for r in parsed(f"{query} | where isBlank(a)", *lines)] == ["a= ;", "none"]
    assert [r["_raw"] for r in parsed(f"{query} | where !isEmpty(a)", *lines)] == ["a=1;", "a= ;"]


def test_where_compares_numeric_strings_as_numbers_without_num() -> None:
    assert [r["n"] for r in parsed('| parse "n=*;" as n | where n > 9', "n=10;", "n=9;", "n=x;")] == ["10"]


def test_fields_keeps_or_removes_fields() -> None:
    assert parsed('| parse "a=* b=*;" as a, b | fields a', "a=1 b=2;") == [{"a": "1"}]
    rows = parsed('| parse "a=* b=*;" as a, b | fields - _raw, _messagetime, a', "a=1 b=2;")
    assert rows == [{"_sourceCategory": "prod/api", "_sourceName": "/var/log/nginx/access.log",
                     "_sourceHost": "web-1", "_collector": "collector-1", "b": "2"}]  # fmt: skip


def test_sort_is_descending_by_default_and_limit_takes_the_first_rows() -> None:
    query = '| parse "n=*;" as n | num(n) | sort by n | limit 2 | fields n'
    assert parsed(query, "n=2;", "n=10;", "n=7;") == [{"n": 10}, {"n": 7}]
    assert parsed('| parse "n=*;" as n | num(n) | sort n asc | fields n', "n=2;", "n=10;") == [{"n": 2}, {"n": 10}]


def test_a_field_no_operator_defined_is_refused() -> None:
    with pytest.raises(QueryError, match="field `respons_time`"):
        compile_query('| parse "t=*" as response_time | where respons_time > 5')


def test_field_names_resolve_case_insensitively() -> None:
    assert parsed('| parse "t=*;" as Took | where took > 1 | fields TOOK', "t=5;") == [{"Took": "5"}]


def test_if_sets_a_field_on_every_row_from_its_condition() -> None:
    query = '| parse "ms=*;" as ms nodrop | if(ms > 3000, 1, 0) as slow'
    rows = parsed(query, "ms=5000;", "ms=20;", "ms=x;", "no latency", keep=("slow",))
    # A null or non-numeric field makes the comparison false: the row gets the second value, it is not dropped.
    assert rows == [{"slow": 1}, {"slow": 0}, {"slow": 0}, {"slow": 0}]


def test_if_nests_and_takes_boolean_operators_in_its_condition() -> None:
    query = (
        '| parse "code=* ms=*;" as code, ms'
        ' | if(code matches "5*" or ms > 1000, if(ms > 5000, "bad", "slow"), "ok") as grade'
    )
    rows = parsed(query, "code=500 ms=10;", "code=200 ms=9000;", "code=200 ms=20;", keep=("grade",))
    assert rows == [{"grade": "slow"}, {"grade": "bad"}, {"grade": "ok"}]


def test_if_then_sum_counts_matches_and_gives_a_zero_row_when_none_match() -> None:
    """Ledger: "What 'Missing Data' means for a log monitor": the product's query sums an if() so that traffic
    without slow calls still returns one row (slow_calls = 0), and only silence returns none."""
    query = '| parse "ms=*;" as ms | num(ms) | if(ms > 3000, 1, 0) as slow | sum(slow) as slow_calls'
    assert parsed(query, "ms=4000;", "ms=10;", "ms=3500;") == [{"slow_calls": 2}]
    assert parsed(query, "ms=10;", "ms=20;") == [{"slow_calls": 0}]
    assert parsed(query) == []


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ('| parse regex "(\\d+)"', "named group"),
        ('| parse regex "(?<a>x)(\\d)"', "unnamed capturing"),
        ('| parse regex "(?<a>["', "invalid regex"),
        ('| parse "a=*" as a, b', "extracts 1 value"),
        ('| parse "a=*"', "as <field>"),
        ('| json "a.b"', "not a valid field name"),
        ("| where 5", "boolean"),
        ("| where x > 1", "field `x`"),
        ("| limit 0", "positive"),
        ("| num(_raw) as", "field name"),
        ('| parse "a=*" as a | where foo(a) > 1', "function `foo`"),
        ('| parse "a=*" as a | if(a, 1, 0) as b', "boolean condition"),
        ('| parse "a=*" as a | if(a > 1, 1, 0)', "as <field>"),
        ('| parse "a=*" as a | if(a > 1, 1) as b', "expected `,`"),
        ('| parse "a=*" as a | if(b > 1, 1, 0) as c', "field `b`"),
    ],
)
def test_malformed_operators_are_refused_with_a_reason(query: str, named: str) -> None:
    with pytest.raises(QueryError, match=named):
        compile_query(query)
