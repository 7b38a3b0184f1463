"""The search scope (text before the first `|`): keywords, phrases and metadata terms, compiled to a Scope.

Keywords and phrases match as case-insensitive substrings of `_raw`; `*` in a bare keyword is a wildcard, inside a
quoted phrase it is a literal `*`. Metadata terms (`_sourceCategory=prod/api*`) match the whole value,
case-insensitively, with `*` wildcards. Terms combine with AND (also implicit), OR, NOT (or `!`) and parentheses;
NOT binds tighter than AND, AND tighter than OR.

Messages arrive in runs that share their metadata (a file's lines, a batch ingested together), so the metadata terms
are settled once per distinct set of values (Scope.for_metadata), leaving a test of the text for each message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from emulator.sumo.query.errors import QueryError
from emulator.sumo.query.lexer import read_string
from emulator.sumo.query.records import METADATA_FIELDS

# A test of a message's text (its `_raw`), once the metadata terms are settled.
TextMatch = Callable[[str], bool]

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


def _metadata_holds(term: _Metadata, fields: Mapping[str, str]) -> bool:
    """Whether a metadata term holds for `fields`: it matches the whole value, case-insensitively."""
    value = fields.get(term.name)
    if value is None:
        return False
    if "*" in term.pattern:
        return _wildcard_regex(term.pattern, re.IGNORECASE).fullmatch(value) is not None
    return value.lower() == term.pattern.lower()


def _metadata_names(node: object) -> set[str]:
    """The metadata fields a scope node reads."""
    if isinstance(node, _Metadata):
        return {node.name}
    if isinstance(node, _Not):
        return _metadata_names(node.operand)
    if isinstance(node, _And | _Or):
        return set().union(*(_metadata_names(child) for child in node.operands))
    return set()


def _fold(kind: type[_And] | type[_Or], operands: tuple[object, ...]) -> object:
    """An AND (or OR) of settled operands with the constants folded away: the constant that decides it, or the
    remaining keyword terms."""
    deciding = kind is _Or  # a true operand decides an OR, a false one an AND
    if any(operand is deciding for operand in operands):
        return deciding
    rest = tuple(operand for operand in operands if not isinstance(operand, bool))
    if not rest:
        return not deciding
    return rest[0] if len(rest) == 1 else kind(rest)


def _settle_metadata(node: object, fields: Mapping[str, str]) -> object:
    """`node` for messages with the metadata `fields`: each metadata term (and each all-`*` keyword) replaced by its
    verdict and the constants folded, leaving True, False, or terms on the text only."""
    if isinstance(node, bool):
        return node
    if isinstance(node, _Metadata):
        return _metadata_holds(node, fields)
    if isinstance(node, _Keyword):
        return True if node.wildcard and node.text.strip("*") == "" else node
    if isinstance(node, _Not):
        operand = _settle_metadata(node.operand, fields)
        return not operand if isinstance(operand, bool) else _Not(operand)
    if isinstance(node, _And | _Or):
        return _fold(type(node), tuple(_settle_metadata(child, fields) for child in node.operands))
    raise AssertionError(f"unknown scope node {node!r}")  # pragma: no cover


def _compile_node(node: object) -> TextMatch:
    """A settled node (keywords, NOT, AND, OR) as a test of the lower-cased text."""
    if isinstance(node, _Keyword):
        if node.wildcard:
            search = _wildcard_regex(node.text.lower(), 0).search
            return lambda lowered: search(lowered) is not None
        needle = node.text.lower()
        return lambda lowered: needle in lowered
    if isinstance(node, _Not):
        operand = _compile_node(node.operand)
        return lambda lowered: not operand(lowered)
    if isinstance(node, _And):
        operands = tuple(_compile_node(child) for child in node.operands)
        return lambda lowered: all(term(lowered) for term in operands)
    if isinstance(node, _Or):
        operands = tuple(_compile_node(child) for child in node.operands)
        return lambda lowered: any(term(lowered) for term in operands)
    raise AssertionError(f"unknown scope node {node!r}")  # pragma: no cover


def _compile_keywords(keywords: tuple[_Keyword, ...]) -> TextMatch:
    """The fast path for the usual scope: keywords ANDed together. A plain keyword found in the exact case needs no
    lower-casing, which is the common case for paths like /api/data."""
    needles = tuple(keyword.text.lower() for keyword in keywords if not keyword.wildcard)
    wildcards = tuple(_compile_node(keyword) for keyword in keywords if keyword.wildcard)
    if len(needles) == 1 and not wildcards:
        needle = needles[0]
        return lambda raw: needle in raw or needle in raw.lower()

    def matches(raw: str) -> bool:
        lowered: str | None = None
        for needle in needles:
            if needle in raw:
                continue
            if lowered is None:
                lowered = raw.lower()
            if needle not in lowered:
                return False
        if wildcards:
            if lowered is None:
                lowered = raw.lower()
            for term in wildcards:
                if not term(lowered):
                    return False
        return True

    return matches


def match_any_text(raw: str) -> bool:
    """The text test when the metadata alone put the messages in scope."""
    return True


def match_no_text(raw: str) -> bool:
    """The text test when the metadata alone rule the messages out."""
    return False


def _compile_text(node: object) -> TextMatch:
    """The test of a message's text for a settled scope (see _settle_metadata)."""
    if isinstance(node, bool):
        return match_any_text if node else match_no_text
    terms = node.operands if isinstance(node, _And) else (node,)
    keywords = tuple(term for term in terms if isinstance(term, _Keyword))
    if len(keywords) == len(terms):
        return _compile_keywords(keywords)
    term = _compile_node(node)
    return lambda raw: term(raw.lower())


class Scope:
    """A compiled search scope. Messages with the same metadata get the same verdict on the metadata terms, so
    `for_metadata` settles those once per distinct set of values and returns the test left for the text."""

    def __init__(self, node: object | None) -> None:
        self._node: object = True if node is None else node
        self._names = tuple(sorted(_metadata_names(self._node)))
        self._text_tests: dict[tuple[str | None, ...], TextMatch] = {}

    def for_metadata(self, fields: Mapping[str, str]) -> TextMatch:
        """The test a message's text must pass, for messages with the metadata `fields` (`match_no_text` when no
        text can put them in scope, `match_any_text` when every text does)."""
        key = tuple(map(fields.get, self._names))
        text_test = self._text_tests.get(key)
        if text_test is None:
            if len(self._text_tests) >= _CACHE_LIMIT:
                self._text_tests.clear()
            text_test = self._text_tests[key] = _compile_text(_settle_metadata(self._node, fields))
        return text_test


def compile_scope(scope: str) -> Scope:
    """The compiled search scope; an empty scope (or `*`) matches every record."""
    return Scope(_ScopeParser(scope).parse())
