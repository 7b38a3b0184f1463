"""Splits a query into its search scope and the tokens of its pipe stages.

Strings are double-quoted; inside them only `\\"` is an escape (it stands for a quote), every other backslash is kept,
so `parse regex "\\d+"` reaches the regex engine as `\\d+`, as in Sumo. A `/regex/` literal is read only right after
`matches`, so a `|` inside it does not split the stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.sumo.query.errors import QueryError

STRING = "string"
REGEX = "regex"
NUMBER = "number"
DURATION = "duration"
IDENT = "ident"
OP = "op"

_DURATION = re.compile(r"\d+(?:ms|s|m|h|d)(?![A-Za-z0-9_])")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![A-Za-z_])")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("==", "!=", "<>", "<=", ">=", "=", "<", ">", "(", ")", ",", "+", "-", "*", "/", "%", "!")


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical unit of a pipe stage; `position` is its offset in the whole query text."""

    kind: str
    text: str
    position: int

    def is_word(self, *words: str) -> bool:
        """True when this is an identifier equal (case-insensitively) to one of `words`."""
        return self.kind == IDENT and self.text.lower() in words

    def is_op(self, *ops: str) -> bool:
        """True when this is one of the punctuation operators `ops`."""
        return self.kind == OP and self.text in ops


def read_string(text: str, start: int) -> tuple[str, int]:
    """The double-quoted string opening at `text[start]` and the offset just past its closing quote."""
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] == '"':
            chars.append('"')
            index += 2
            continue
        if char == '"':
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise QueryError(f"unterminated string starting at position {start}: {text[start : start + 40]!r}")


def split_scope(text: str) -> tuple[str, int]:
    """The search scope (text before the first `|` outside quotes) and the offset where the pipe stages begin."""
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            _, index = read_string(text, index)
            continue
        if char == "|":
            return text[:index], index
        index += 1
    return text, len(text)


def tokenize_stages(text: str, start: int) -> list[tuple[list[Token], str]]:
    """The tokens and the text of each pipe stage in `text[start:]` (which begins with `|`)."""
    stages: list[list[Token]] = []
    pipes: list[int] = []
    current: list[Token] | None = None
    index = start
    length = len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
            continue
        if char == "|":
            if current is not None and not current:
                raise QueryError(f"empty pipe stage before position {index}")
            current = []
            stages.append(current)
            pipes.append(index)
            index += 1
            continue
        if current is None:  # pragma: no cover - split_scope guarantees a leading pipe
            raise QueryError(f"expected `|` at position {index}")
        if char == '"':
            value, index_after = read_string(text, index)
            current.append(Token(STRING, value, index))
            index = index_after
            continue
        if char == "/" and current and current[-1].is_word("matches"):
            end = index + 1
            while end < length and text[end] != "/":
                end += 2 if text[end] == "\\" else 1
            if end >= length:
                raise QueryError(f"unterminated /regex/ starting at position {index}")
            current.append(Token(REGEX, text[index + 1 : end], index))
            index = end + 1
            continue
        match = _DURATION.match(text, index)
        if match:
            current.append(Token(DURATION, match.group(), index))
            index = match.end()
            continue
        match = _NUMBER.match(text, index)
        if match:
            current.append(Token(NUMBER, match.group(), index))
            index = match.end()
            continue
        match = _IDENT.match(text, index)
        if match:
            current.append(Token(IDENT, match.group(), index))
            index = match.end()
            continue
        for operator in _OPERATORS:
            if text.startswith(operator, index):
                current.append(Token(OP, operator, index))
                index += len(operator)
                break
        else:
            raise QueryError(f"unexpected character {char!r} at position {index}")
    if current is not None and not current:
        raise QueryError("the query ends with an empty pipe stage")
    ends = [*pipes[1:], len(text)] if pipes else []
    return [(tokens, text[pipe + 1 : end].strip()) for tokens, pipe, end in zip(stages, pipes, ends, strict=True)]


class TokenStream:
    """A cursor over one stage's tokens with the small look-ahead helpers the operator parsers need."""

    def __init__(self, tokens: list[Token], stage_text: str) -> None:
        self.tokens = tokens
        self.index = 0
        self.stage_text = stage_text

    def peek(self, offset: int = 0) -> Token | None:
        position = self.index + offset
        return self.tokens[position] if position < len(self.tokens) else None

    def at_end(self) -> bool:
        return self.index >= len(self.tokens)

    def next(self, expected: str = "a token") -> Token:
        token = self.peek()
        if token is None:
            raise QueryError(f"expected {expected} at the end of `{self.stage_text}`")
        self.index += 1
        return token

    def accept_word(self, *words: str) -> Token | None:
        token = self.peek()
        if token is not None and token.is_word(*words):
            self.index += 1
            return token
        return None

    def accept_op(self, *ops: str) -> Token | None:
        token = self.peek()
        if token is not None and token.is_op(*ops):
            self.index += 1
            return token
        return None

    def expect_op(self, op: str) -> Token:
        token = self.next(f"`{op}`")
        if not token.is_op(op):
            raise self.error(token, f"expected `{op}`")
        return token

    def expect_kind(self, kind: str, what: str) -> Token:
        token = self.next(what)
        if token.kind != kind:
            raise self.error(token, f"expected {what}")
        return token

    def expect_ident(self, what: str = "a field name") -> str:
        return self.expect_kind(IDENT, what).text

    def expect_end(self) -> None:
        token = self.peek()
        if token is not None:
            raise self.error(token, "unexpected extra input")

    def error(self, token: Token, message: str) -> QueryError:
        return QueryError(f"{message}, got `{token.text}` at position {token.position} in `{self.stage_text}`")
