"""Compilers for the non-aggregate operators: parse, parse regex, json, num, where, timeslice, fields, sort, limit.

Each takes the stage's tokens (after the operator word) and the fields defined so far, declares the fields it
creates, and returns a compiled stage. Parse-type operators drop a message they cannot parse unless `nodrop` is given;
with `nodrop` the fields they would have created are null (an earlier value of the same field is kept).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from emulator.sumo.query.errors import QueryError
from emulator.sumo.query.expressions import ExpressionParser
from emulator.sumo.query.fields import FieldSet
from emulator.sumo.query.lexer import DURATION, IDENT, NUMBER, STRING, Token, TokenStream
from emulator.sumo.query.stages import ExpandStage, Row, RowStage, TableStage
from emulator.sumo.query.values import to_number, to_text

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JAVA_NAMED_GROUP = re.compile(r"\(\?<([A-Za-z][A-Za-z0-9_]*)>")
_DURATION_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


@dataclass(slots=True)
class ParseOptions:
    """`nodrop`, `multi` and `field=<name>`, which may appear anywhere in a parse-type stage."""

    nodrop: bool = False
    multi: bool = False
    source: str = "_raw"


def take_options(stream: TokenStream, fields: FieldSet, allowed: tuple[str, ...]) -> ParseOptions:
    """Remove the option tokens from `stream` and return them; QueryError for an option the operator lacks."""
    options = ParseOptions()
    kept: list[Token] = []
    tokens = stream.tokens
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.is_word("field") and following is not None and following.is_op("="):
            if "field" not in allowed or index + 2 >= len(tokens) or tokens[index + 2].kind != IDENT:
                raise stream.error(token, "`field=` needs a field name and is only valid for parse and json")
            options.source = fields.resolve(tokens[index + 2].text, stream.stage_text)
            index += 3
            continue
        if token.is_word("nodrop", "multi") and (following is None or not following.is_op("=", ",")):
            word = token.text.lower()
            if word not in allowed:
                raise stream.error(token, f"option `{word}` is not supported here")
            setattr(options, word, True)
            index += 1
            continue
        kept.append(token)
        index += 1
    stream.tokens = kept
    return options


def _names_after_as(stream: TokenStream, count: int | None) -> list[str]:
    """The field names of `as a, b, c`; exactly `count` of them when `count` is given."""
    names = [stream.expect_ident("a field name after `as`")]
    while stream.accept_op(","):
        names.append(stream.expect_ident("a field name after `,`"))
    if count is not None and len(names) != count:
        raise QueryError(f"`{stream.stage_text}` extracts {count} value(s) but names {len(names)} field(s)")
    return names


def _source_text(row: Row, source: str) -> str | None:
    value = row.get(source)
    return value if value.__class__ is str else to_text(value)  # type: ignore[return-value]


def _regex_stage(
    name: str, pattern: re.Pattern[str], field_names: list[str], options: ParseOptions
) -> RowStage | ExpandStage:
    source, nodrop = options.source, options.nodrop
    search = pattern.search
    group_names = tuple(pattern.groupindex)
    renames = dict(zip(group_names, field_names, strict=True))
    identity = all(group == field for group, field in renames.items())

    def keep_unparsed(row: Row) -> bool:
        if not nodrop:
            return False
        for field in field_names:
            row.setdefault(field, None)
        return True

    if options.multi:
        finditer = pattern.finditer

        def expand(row: Row) -> list[Row]:
            text = _source_text(row, source)
            matches = list(finditer(text)) if text is not None else []
            if not matches:
                return [row] if keep_unparsed(row) else []
            copies = []
            for match in matches:
                copy = dict(row)
                for group, value in match.groupdict().items():
                    copy[renames[group]] = value
                copies.append(copy)
            return copies

        return ExpandStage(name, expand)

    def parse(row: Row) -> bool:
        text = row.get(source)
        if text.__class__ is not str:
            text = to_text(text)
            if text is None:
                return keep_unparsed(row)
        match = search(text)  # type: ignore[arg-type]
        if match is None:
            return keep_unparsed(row)
        if identity:
            row.update(match.groupdict())
        else:
            for group, value in match.groupdict().items():
                row[renames[group]] = value
        return True

    return RowStage(name, parse)


def compile_parse_anchor(stream: TokenStream, fields: FieldSet) -> RowStage | ExpandStage:
    """`parse "start*stop" as f [nodrop] [field=x]`: each `*` captures up to the text that follows it."""
    options = take_options(stream, fields, ("nodrop", "field"))
    pattern_token = stream.expect_kind(STRING, 'a quoted pattern like "user=*,"')
    if not stream.accept_word("as"):
        raise QueryError(f"`{stream.stage_text}` needs `as <field>, ...` naming one field per `*`")
    pieces = pattern_token.text.split("*")
    names = _names_after_as(stream, len(pieces) - 1)
    stream.expect_end()
    if len(pieces) == 1:
        raise QueryError(f"the parse pattern {pattern_token.text!r} has no `*` to capture")
    regex_parts = [re.escape(pieces[0])]
    for position, piece in enumerate(pieces[1:], start=1):
        # The last `*` takes the rest of the line when nothing follows it; every other one stops at the next anchor.
        last = position == len(pieces) - 1 and piece == ""
        regex_parts.append(f"(?P<g{position}>.*)" if last else f"(?P<g{position}>.*?)")
        regex_parts.append(re.escape(piece))
    pattern = re.compile("".join(regex_parts))
    declared = [fields.declare(name) for name in names]
    return _regex_stage("parse", pattern, declared, options)


def translate_regex(text: str) -> re.Pattern[str]:
    """A Sumo (Java/RE2) regex as a Python pattern: `(?<name>...)` becomes `(?P<name>...)`."""
    try:
        return re.compile(_JAVA_NAMED_GROUP.sub(r"(?P<\1>", text))
    except re.error as error:
        raise QueryError(f"invalid regex {text!r}: {error}") from error


def compile_parse_regex(stream: TokenStream, fields: FieldSet) -> RowStage | ExpandStage:
    """`parse regex "(?<name>...)" [nodrop] [multi] [field=x]`; also reached as `extract`."""
    options = take_options(stream, fields, ("nodrop", "multi", "field"))
    pattern_token = stream.expect_kind(STRING, "a quoted regex with named groups")
    stream.expect_end()
    pattern = translate_regex(pattern_token.text)
    if not pattern.groupindex:
        raise QueryError(f"the regex {pattern_token.text!r} needs at least one named group like (?<name>...)")
    if pattern.groups != len(pattern.groupindex):
        raise QueryError(
            f"the regex {pattern_token.text!r} has unnamed capturing groups; make them non-capturing with (?:...)"
        )
    declared = [fields.declare(name) for name in pattern.groupindex]
    return _regex_stage("parse regex", pattern, declared, options)


_JSON_PATH_PART = re.compile(r'\.?([^.\[\]"]+)|\[(\d+)\]|\["([^"]*)"\]')


def _json_path(path: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    index = 0
    while index < len(path):
        match = _JSON_PATH_PART.match(path, index)
        if match is None or match.end() == index:
            raise QueryError(f"invalid JSON path {path!r} at character {index}")
        key, position, quoted = match.groups()
        parts.append(int(position) if position is not None else key if key is not None else quoted)
        index = match.end()
    if not parts:
        raise QueryError("an empty JSON path")
    return tuple(parts)


_MISSING = object()


def _walk(document: object, path: tuple[str | int, ...]) -> object:
    for part in path:
        if isinstance(part, int):
            if not isinstance(document, list) or part >= len(document):
                return _MISSING
            document = document[part]
        else:
            if not isinstance(document, dict) or part not in document:
                return _MISSING
            document = document[part]
    return document


def _json_value(value: object) -> object:
    """A JSON value as a Sumo field: strings as they are, numbers and booleans as text, objects as compact JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return to_text(value)


def _load_json(text: object) -> object:
    if text.__class__ is not str:
        text = to_text(text)
        if text is None:
            return _MISSING
    try:
        return json.loads(text)  # type: ignore[arg-type]
    except ValueError:
        return _MISSING


def compile_json(stream: TokenStream, fields: FieldSet) -> RowStage:
    """`json [field=x] "a", "b.c" [as a, c] [nodrop]` or `json auto [field=x]` (top-level keys only)."""
    options = take_options(stream, fields, ("nodrop", "field"))
    source, nodrop = options.source, options.nodrop
    if stream.accept_word("auto"):
        stream.expect_end()
        fields.open = True

        def parse_auto(row: Row) -> bool:
            document = _load_json(row.get(source))
            if isinstance(document, dict):
                for key, value in document.items():
                    row[key] = _json_value(value)
            return True

        return RowStage("json auto", parse_auto)
    paths = [stream.expect_kind(STRING, 'a quoted JSON key like "duration_ms"').text]
    while stream.accept_op(","):
        paths.append(stream.expect_kind(STRING, "a quoted JSON key after `,`").text)
    if stream.accept_word("as"):
        names = _names_after_as(stream, len(paths))
    else:
        names = []
        for path in paths:
            if not _FIELD_NAME.fullmatch(path):
                raise QueryError(f"JSON key {path!r} is not a valid field name; name it with `as <field>`")
            names.append(path)
    stream.expect_end()
    targets = tuple(zip((fields.declare(name) for name in names), (_json_path(path) for path in paths), strict=True))

    def parse_json(row: Row) -> bool:
        document = _load_json(row.get(source))
        found = False
        extracted: list[tuple[str, object]] = []
        if document is not _MISSING:
            for name, path in targets:
                value = _walk(document, path)
                if value is _MISSING:
                    extracted.append((name, None))
                else:
                    found = True
                    extracted.append((name, _json_value(value)))
        if not found:
            if not nodrop:
                return False
            for name, _ in targets:
                row.setdefault(name, None)
            return True
        for name, value in extracted:
            row[name] = value
        return True

    return RowStage("json", parse_json)


def compile_num(stream: TokenStream, fields: FieldSet) -> RowStage:
    """`num(field) [as target]`: the field read as a number (null when it is not one)."""
    stream.expect_op("(")
    source = fields.resolve(stream.expect_ident(), stream.stage_text)
    stream.expect_op(")")
    target = fields.declare(stream.expect_ident("a field name after `as`")) if stream.accept_word("as") else source
    stream.expect_end()

    def convert(row: Row) -> bool:
        value = row.get(source)
        row[target] = value if value.__class__ is int or value.__class__ is float else to_number(value)
        return True

    return RowStage("num", convert)


def compile_where(stream: TokenStream, fields: FieldSet) -> RowStage:
    """`where <boolean expression>`: keeps the rows for which it is true."""
    if stream.at_end():
        raise QueryError("`where` needs a condition")
    return RowStage("where", ExpressionParser(stream, fields).parse_condition())


def compile_if(stream: TokenStream, fields: FieldSet) -> RowStage:
    """`if(condition, value_if_true, value_if_false) as target`: the chosen value in a new field, on every row.
    The stream starts at `if` itself, so the expression parser reads the whole call (nested ifs included)."""
    value = ExpressionParser(stream, fields).parse_value()
    if not stream.accept_word("as"):
        raise QueryError(f"`{stream.stage_text}` needs `as <field>` after the if(...) expression")
    target = fields.declare(stream.expect_ident("a field name after `as`"))
    stream.expect_end()

    def assign(row: Row) -> bool:
        row[target] = value(row)
        return True

    return RowStage("if", assign)


def parse_duration_ms(token: Token, stage_text: str) -> int:
    """`1m`, `30s`, `1h`, `1d` in milliseconds."""
    if token.kind != DURATION:
        raise QueryError(f"expected a duration like 1m, 5m or 1h in `{stage_text}`, got `{token.text}`")
    unit = token.text.lstrip("0123456789")
    amount = int(token.text[: len(token.text) - len(unit)])
    if amount <= 0:
        raise QueryError(f"the duration `{token.text}` in `{stage_text}` must be positive")
    return amount * _DURATION_MS[unit]


def compile_timeslice(stream: TokenStream, fields: FieldSet) -> tuple[RowStage, str]:
    """`timeslice [by] 1m [as t]`: the start (epoch ms) of the message's slice; returns the stage and its field."""
    stream.accept_word("by")
    token = stream.next("a duration like 1m")
    if token.kind == NUMBER:
        raise QueryError(f"`{stream.stage_text}`: timeslice by a number of buckets is not supported; use a duration")
    width = parse_duration_ms(token, stream.stage_text)
    target = "_timeslice"
    if stream.accept_word("as"):
        target = stream.expect_ident("a field name after `as`")
    stream.expect_end()
    target = fields.declare(target)
    message_time = fields.resolve("_messagetime", stream.stage_text)

    def slice_time(row: Row) -> bool:
        timestamp = row.get(message_time)
        row[target] = None if timestamp is None else (int(timestamp) // width) * width  # type: ignore[call-overload]
        return True

    return RowStage("timeslice", slice_time), target


def compile_fields(stream: TokenStream, fields: FieldSet) -> RowStage:
    """`fields a, b` keeps only those fields; `fields - a, b` removes them."""
    remove = stream.accept_op("-") is not None
    names = [fields.resolve(stream.expect_ident(), stream.stage_text)]
    while stream.accept_op(","):
        names.append(fields.resolve(stream.expect_ident(), stream.stage_text))
    stream.expect_end()
    chosen = frozenset(names)
    if remove:
        for name in names:
            fields.discard(name)
    else:
        fields.replace(names)

    def select(row: Row) -> bool:
        for key in [key for key in row if (key in chosen) == remove]:
            del row[key]
        return True

    return RowStage("fields", select)


def _sort_key(name: str) -> Callable[[Row], tuple[int, object]]:
    def key(row: Row) -> tuple[int, object]:
        value = row.get(name)
        number = to_number(value)
        return (0, number) if number is not None else (1, to_text(value))

    return key


def compile_sort(stream: TokenStream, fields: FieldSet) -> TableStage:
    """`sort [by] f [asc|desc], g ...`; descending unless `asc`, as in Sumo. Numbers sort before text, nulls last."""
    stream.accept_word("by")
    keys: list[tuple[str, bool]] = []
    while True:
        name = fields.resolve(stream.expect_ident(), stream.stage_text)
        descending = True
        if stream.accept_word("asc"):
            descending = False
        else:
            stream.accept_word("desc")
        keys.append((name, descending))
        if not stream.accept_op(","):
            break
    stream.expect_end()

    def sort_rows(rows: list[Row]) -> list[Row]:
        ordered = list(rows)
        # Stable sorts from the last key to the first give a multi-key sort with per-key direction.
        for name, descending in reversed(keys):
            key = _sort_key(name)
            present = [row for row in ordered if row.get(name) is not None]
            missing = [row for row in ordered if row.get(name) is None]
            present.sort(key=key, reverse=descending)
            ordered = present + missing
        return ordered

    return TableStage("sort", sort_rows)


def compile_limit(stream: TokenStream, fields: FieldSet) -> TableStage:
    """`limit n`: the first n rows."""
    token = stream.expect_kind(NUMBER, "a row count")
    stream.expect_end()
    if not token.text.isdigit() or int(token.text) <= 0:
        raise QueryError(f"`limit` needs a positive whole number, got `{token.text}`")
    count = int(token.text)
    return TableStage("limit", lambda rows: rows[:count])
