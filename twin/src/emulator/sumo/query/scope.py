"""The search scope (text before the first `|`): keywords, phrases and metadata terms, compiled to one predicate.

Keywords and phrases match as case-insensitive substrings of `_raw`; `*` in a bare keyword is a wildcard, inside a
quoted phrase it is a literal `*`. Metadata terms (`_sourceCategory=prod/api*`) match the whole value,
case-insensitively, with `*` wildcards. Terms combine with AND (also implicit), OR, NOT (or `!`) and parentheses;
NOT binds tighter than AND, AND tighter than OR.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from emulator.sumo.query.errors import QueryError
from emulator.sumo.query.lexer import read_string
from emulator.sumo.query.records import METADATA_FIELDS, LogRecord

ScopeMatch = Callable[[LogRecord], bool]
# A compiled term reads the record's metadata and its lower-cased text.
_Term = Callable[[dict[str, str], str], bool]

_METADATA_BY_LOWER = {name.lower(): name for name in METADATA_FIELDS}
_CACHE_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class _ScopeToken:
    kind: str  # "word", "phrase", "(", ")", "=", "!"
    text: str
    position: int


@dataclass(frozen=True, slots=True)
class _Keyword:
    text: str
    wildcard: bool


@dataclass(frozen=True, slots=True)
class _Metadata:
    name: str
    pattern: str


@dataclass(frozen=True, slots=True)
class _Not:
    operand: object


@dataclass(frozen=True, slots=True)
class _And:
    operands: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class _Or:
    operands: tuple[object, ...]


def _tokenize(scope: str) -> list[_ScopeToken]:
    tokens: list[_ScopeToken] = []
    index = 0
    while index < len(scope):
        char = scope[index]
        if char.isspace():
            index += 1
        elif char == '"':
            value, end = read_string(scope, index)
            tokens.append(_ScopeToken("phrase", value, index))
            index = end
        elif char in "()=!":
            tokens.append(_ScopeToken(char, char, index))
            index += 1
        else:
            end = index
            while end < len(scope) and not scope[end].isspace() and scope[end] not in '()="':
                end += 1
            tokens.append(_ScopeToken("word", scope[index:end], index))
            index = end
    return tokens


class _ScopeParser:
    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.tokens = _tokenize(scope)
        self.index = 0

    def _peek(self) -> _ScopeToken | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _is_keyword(self, token: _ScopeToken | None, word: str) -> bool:
        return token is not None and token.kind == "word" and token.text.lower() == word

    def parse(self) -> object | None:
        if not self.tokens:
            return None
        node = self._or()
        token = self._peek()
        if token is not None:
            raise QueryError(f"unexpected `{token.text}` at position {token.position} in the search scope")
        return node

    def _or(self) -> object:
        operands = [self._and()]
        while self._is_keyword(self._peek(), "or"):
            self.index += 1
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else _Or(tuple(operands))

    def _and(self) -> object:
        operands = [self._unary()]
        while True:
            token = self._peek()
            if token is None or token.kind == ")" or self._is_keyword(token, "or"):
                break
            if self._is_keyword(token, "and"):
                self.index += 1
            operands.append(self._unary())
        return operands[0] if len(operands) == 1 else _And(tuple(operands))

    def _unary(self) -> object:
        token = self._peek()
        if token is not None and (token.kind == "!" or self._is_keyword(token, "not")):
            self.index += 1
            return _Not(self._unary())
        return self._term()

    def _term(self) -> object:
        token = self._peek()
        if token is None:
            raise QueryError("the search scope ends where a term was expected")
        self.index += 1
        if token.kind == "(":
            node = self._or()
            closing = self._peek()
            if closing is None or closing.kind != ")":
                raise QueryError(f"unbalanced `(` at position {token.position} in the search scope")
            self.index += 1
            return node
        if token.kind == "phrase":
            return _Keyword(token.text, wildcard=False)
        if token.kind != "word" or self._is_keyword(token, "and") or self._is_keyword(token, "or"):
            raise QueryError(f"unexpected `{token.text}` at position {token.position} in the search scope")
        following = self._peek()
        if following is not None and following.kind == "=":
            self.index += 1
            value = self._peek()
            if value is None or value.kind not in ("word", "phrase"):
                raise QueryError(f"`{token.text}=` at position {token.position} needs a value in the search scope")
            self.index += 1
            return _Metadata(self._metadata_name(token), value.text)
        return _Keyword(token.text, wildcard="*" in token.text)

    def _metadata_name(self, token: _ScopeToken) -> str:
        name = _METADATA_BY_LOWER.get(token.text.lower())
        if name is None:
            supported = ", ".join(METADATA_FIELDS)
            raise QueryError(
                f"`{token.text}=` at position {token.position}: the search scope filters only on metadata "
                f"fields ({supported}); use `| where` for other fields"
            )
        return name


def _wildcard_regex(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), flags | re.DOTALL)


def _compile_metadata(term: _Metadata) -> Callable[[dict[str, str]], bool]:
    name = term.name
    if "*" in term.pattern:
        fullmatch = _wildcard_regex(term.pattern, re.IGNORECASE).fullmatch

        def value_matches(value: str) -> bool:
            return fullmatch(value) is not None
    else:
        expected = term.pattern.lower()

        def value_matches(value: str) -> bool:
            return value.lower() == expected

    # Metadata repeats across millions of records, so each distinct value is judged once.
    verdicts: dict[str, bool] = {}

    def matches(fields: dict[str, str]) -> bool:
        value = fields.get(name)
        if value is None:
            return False
        verdict = verdicts.get(value)
        if verdict is None:
            if len(verdicts) >= _CACHE_LIMIT:
                verdicts.clear()
            verdict = verdicts[value] = value_matches(value)
        return verdict

    return matches


def _compile_node(node: object) -> _Term:
    if isinstance(node, _Keyword):
        if node.wildcard:
            if node.text.strip("*") == "":
                return lambda fields, lowered: True
            search = _wildcard_regex(node.text.lower(), 0).search
            return lambda fields, lowered: search(lowered) is not None
        needle = node.text.lower()
        return lambda fields, lowered: needle in lowered
    if isinstance(node, _Metadata):
        metadata_matches = _compile_metadata(node)
        return lambda fields, lowered: metadata_matches(fields)
    if isinstance(node, _Not):
        operand = _compile_node(node.operand)
        return lambda fields, lowered: not operand(fields, lowered)
    if isinstance(node, _And):
        operands = tuple(_compile_node(child) for child in node.operands)
        return lambda fields, lowered: all(term(fields, lowered) for term in operands)
    if isinstance(node, _Or):
        operands = tuple(_compile_node(child) for child in node.operands)
        return lambda fields, lowered: any(term(fields, lowered) for term in operands)
    raise AssertionError(f"unknown scope node {node!r}")  # pragma: no cover


def _compile_conjunction(terms: tuple[object, ...]) -> ScopeMatch:
    """The fast path for the usual scope: metadata terms and plain keywords ANDed together."""
    metadata = tuple(_compile_metadata(term) for term in terms if isinstance(term, _Metadata))
    needles = tuple(term.text.lower() for term in terms if isinstance(term, _Keyword) and not term.wildcard)
    others = tuple(
        _compile_node(term)
        for term in terms
        if not isinstance(term, _Metadata) and not (isinstance(term, _Keyword) and not term.wildcard)
    )

    def matches(record: LogRecord) -> bool:
        fields = record.fields
        for metadata_matches in metadata:
            if not metadata_matches(fields):
                return False
        raw = record.raw
        lowered: str | None = None
        for needle in needles:
            # An exact-case hit needs no lower-casing, which is the common case for paths like /api/data.
            if needle in raw:
                continue
            if lowered is None:
                lowered = raw.lower()
            if needle not in lowered:
                return False
        if others:
            if lowered is None:
                lowered = raw.lower()
            for term in others:
                if not term(fields, lowered):
                    return False
        return True

    return matches


def compile_scope(scope: str) -> ScopeMatch:
    """The predicate for a search scope; an empty scope (or `*`) matches every record."""
    node = _ScopeParser(scope).parse()
    if node is None:
        return lambda record: True
    terms = node.operands if isinstance(node, _And) else (node,)
    if all(isinstance(term, _Metadata | _Keyword) for term in terms):
        return _compile_conjunction(terms)
    term = _compile_node(node)
    return lambda record: term(record.fields, record.raw.lower())
