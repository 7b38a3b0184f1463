"""Boolean and arithmetic expressions of `where` (and of function arguments), compiled to closures over a row.

Null (a missing or unparsed field) makes every comparison false and every arithmetic result null. Ordering
comparisons (< > <= >=) are numeric: a side that is not a number, or a string that does not read as one, makes the
comparison false. `=`/`!=` compare numerically when either side is a number, otherwise as case-sensitive strings.
`matches "wild*"` and `matches /regex/` must match the whole value, case-sensitively.
`if(condition, value_if_true, value_if_false)` is the value for a true condition, else the other one: a null in the
condition makes it false, so the value is `value_if_false`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from emulator.sumo.query.errors import QueryError
from emulator.sumo.query.fields import FieldSet
from emulator.sumo.query.lexer import IDENT, NUMBER, REGEX, STRING, Token, TokenStream
from emulator.sumo.query.values import to_number, to_text

Row = dict[str, object]
Evaluator = Callable[[Row], object]

_ORDERING = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
_EQUALITY = {"=", "==", "!=", "<>"}


@dataclass(frozen=True, slots=True)
class _Compiled:
    evaluate: Evaluator
    boolean: bool
    field: str | None = None  # set when the expression is a bare field reference
    constant: object = None
    is_constant: bool = False


def _equals(left: object, right: object) -> bool | None:
    """Sumo-style equality; None when either side is null."""
    if left is None or right is None:
        return None
    if isinstance(left, bool) or isinstance(right, bool):
        return left == right
    if isinstance(left, int | float) or isinstance(right, int | float):
        left_number, right_number = to_number(left), to_number(right)
        if left_number is None or right_number is None:
            return False
        return left_number == right_number
    return to_text(left) == to_text(right)


def _wildcard_fullmatch(pattern: str) -> Callable[[str], object]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL).fullmatch


def _make_comparison(symbol: str, left: _Compiled, right: _Compiled) -> Evaluator:
    if symbol in _ORDERING:
        compare = _ORDERING[symbol]
        if left.field is not None and right.is_constant and isinstance(right.constant, int | float):
            name, threshold = left.field, right.constant

            def field_versus_number(row: Row) -> bool:
                value = row.get(name)
                if value.__class__ is not int and value.__class__ is not float:
                    value = to_number(value)
                    if value is None:
                        return False
                return compare(value, threshold)

            return field_versus_number
        left_eval, right_eval = left.evaluate, right.evaluate

        def ordering(row: Row) -> bool:
            left_number, right_number = to_number(left_eval(row)), to_number(right_eval(row))
            if left_number is None or right_number is None:
                return False
            return compare(left_number, right_number)

        return ordering
    negate = symbol in ("!=", "<>")
    if left.field is not None and right.is_constant and isinstance(right.constant, str):
        name, expected = left.field, right.constant

        def field_equals_text(row: Row) -> bool:
            value = row.get(name)
            if value is None:
                return False
            same = value == expected if value.__class__ is str else _equals(value, expected)
            return not same if negate else bool(same)

        return field_equals_text
    left_eval, right_eval = left.evaluate, right.evaluate

    def equality(row: Row) -> bool:
        same = _equals(left_eval(row), right_eval(row))
        if same is None:
            return False
        return not same if negate else same

    return equality


def _is_null(value: object) -> bool:
    return value is None


def _is_empty(value: object) -> bool:
    return value is None or value == ""


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_numeric(value: object) -> bool:
    return to_number(value) is not None


def _lower(value: object) -> object:
    text = to_text(value)
    return None if text is None else text.lower()


def _upper(value: object) -> object:
    text = to_text(value)
    return None if text is None else text.upper()


def _length(value: object) -> object:
    text = to_text(value)
    return None if text is None else len(text)


# name (lower case) -> (function of one value, returns a boolean)
_FUNCTIONS: dict[str, tuple[Callable[[object], object], bool]] = {
    "num": (to_number, False),
    "isnull": (_is_null, True),
    "isempty": (_is_empty, True),
    "isblank": (_is_blank, True),
    "isnumeric": (_is_numeric, True),
    "tolowercase": (_lower, False),
    "touppercase": (_upper, False),
    "length": (_length, False),
}


def _arithmetic(symbol: str, left: Evaluator, right: Evaluator) -> Evaluator:
    def evaluate(row: Row) -> object:
        left_number, right_number = to_number(left(row)), to_number(right(row))
        if left_number is None or right_number is None:
            return None
        if symbol == "+":
            return left_number + right_number
        if symbol == "-":
            return left_number - right_number
        if symbol == "*":
            return left_number * right_number
        if right_number == 0:
            return None
        return left_number / right_number if symbol == "/" else left_number % right_number

    return evaluate


class ExpressionParser:
    """Recursive descent over a stage's tokens: or > and > not > comparison > + - > * / % > unary > primary."""

    def __init__(self, stream: TokenStream, fields: FieldSet) -> None:
        self.stream = stream
        self.fields = fields

    def parse_condition(self) -> Callable[[Row], bool]:
        """A whole boolean expression; QueryError when it is not boolean (e.g. `where x`)."""
        compiled = self._or()
        self.stream.expect_end()
        if not compiled.boolean:
            raise QueryError(f"`{self.stream.stage_text}` needs a boolean condition (a comparison, matches, in, ...)")
        return compiled.evaluate  # type: ignore[return-value]

    def parse_value(self) -> Evaluator:
        """A whole expression used as a value (as in `| if(...) as name`); stops before a trailing `as`."""
        return self._or().evaluate

    def _require_boolean(self, compiled: _Compiled, token: Token | None) -> None:
        if not compiled.boolean:
            where = f" near position {token.position}" if token is not None else ""
            raise QueryError(f"`and`/`or`/`not` need boolean operands{where} in `{self.stream.stage_text}`")

    def _or(self) -> _Compiled:
        first_token = self.stream.peek()
        operands = [self._and()]
        while self.stream.accept_word("or"):
            operands.append(self._and())
        if len(operands) == 1:
            return operands[0]
        for operand in operands:
            self._require_boolean(operand, first_token)
        evaluators = tuple(operand.evaluate for operand in operands)
        return _Compiled(lambda row: any(evaluate(row) for evaluate in evaluators), boolean=True)

    def _and(self) -> _Compiled:
        first_token = self.stream.peek()
        operands = [self._not()]
        while self.stream.accept_word("and"):
            operands.append(self._not())
        if len(operands) == 1:
            return operands[0]
        for operand in operands:
            self._require_boolean(operand, first_token)
        evaluators = tuple(operand.evaluate for operand in operands)
        return _Compiled(lambda row: all(evaluate(row) for evaluate in evaluators), boolean=True)

    def _not(self) -> _Compiled:
        token = self.stream.peek()
        if token is not None and (token.is_word("not") or token.is_op("!")):
            self.stream.index += 1
            operand = self._not()
            self._require_boolean(operand, token)
            evaluate = operand.evaluate
            return _Compiled(lambda row: not evaluate(row), boolean=True)
        return self._comparison()

    def _comparison(self) -> _Compiled:
        left = self._additive()
        token = self.stream.peek()
        if token is None:
            return left
        if token.is_op(*_ORDERING, *_EQUALITY):
            self.stream.index += 1
            right = self._additive()
            return _Compiled(_make_comparison(token.text, left, right), boolean=True)
        if token.is_word("matches"):
            self.stream.index += 1
            return self._matches(left)
        negated = False
        if token.is_word("not") and self.stream.peek(1) is not None and self.stream.peek(1).is_word("in"):  # type: ignore[union-attr]
            self.stream.index += 1
            negated = True
            token = self.stream.peek()
        if token is not None and token.is_word("in"):
            self.stream.index += 1
            return self._in(left, negated)
        return left

    def _matches(self, left: _Compiled) -> _Compiled:
        pattern = self.stream.next("a quoted wildcard pattern or /regex/ after `matches`")
        if pattern.kind == STRING:
            fullmatch = _wildcard_fullmatch(pattern.text)
        elif pattern.kind == REGEX:
            try:
                fullmatch = re.compile(pattern.text).fullmatch
            except re.error as error:
                raise QueryError(f"invalid regex /{pattern.text}/ after `matches`: {error}") from error
        else:
            raise self.stream.error(pattern, "expected a quoted wildcard pattern or /regex/ after `matches`")
        evaluate = left.evaluate

        def matches(row: Row) -> bool:
            text = to_text(evaluate(row))
            return text is not None and fullmatch(text) is not None

        return _Compiled(matches, boolean=True)

    def _in(self, left: _Compiled, negated: bool) -> _Compiled:
        self.stream.expect_op("(")
        candidates = [self._additive()]
        while self.stream.accept_op(","):
            candidates.append(self._additive())
        self.stream.expect_op(")")
        evaluate = left.evaluate
        candidate_evaluators = tuple(candidate.evaluate for candidate in candidates)

        def is_in(row: Row) -> bool:
            value = evaluate(row)
            if value is None:
                return False
            found = any(_equals(value, candidate(row)) for candidate in candidate_evaluators)
            return not found if negated else found

        return _Compiled(is_in, boolean=True)

    def _additive(self) -> _Compiled:
        left = self._multiplicative()
        while (token := self.stream.accept_op("+", "-")) is not None:
            right = self._multiplicative()
            left = _Compiled(_arithmetic(token.text, left.evaluate, right.evaluate), boolean=False)
        return left

    def _multiplicative(self) -> _Compiled:
        left = self._unary()
        while (token := self.stream.accept_op("*", "/", "%")) is not None:
            right = self._unary()
            left = _Compiled(_arithmetic(token.text, left.evaluate, right.evaluate), boolean=False)
        return left

    def _unary(self) -> _Compiled:
        if self.stream.accept_op("-"):
            operand = self._unary()
            if operand.is_constant and isinstance(operand.constant, int | float):
                value = -operand.constant
                return _Compiled(lambda row: value, boolean=False, constant=value, is_constant=True)
            evaluate = operand.evaluate

            def negative(row: Row) -> object:
                number = to_number(evaluate(row))
                return None if number is None else -number

            return _Compiled(negative, boolean=False)
        return self._primary()

    def _primary(self) -> _Compiled:
        token = self.stream.next("a value")
        if token.kind == NUMBER:
            number = to_number(token.text)
            return _Compiled(lambda row: number, boolean=False, constant=number, is_constant=True)
        if token.kind == STRING:
            text = token.text
            return _Compiled(lambda row: text, boolean=False, constant=text, is_constant=True)
        if token.is_op("("):
            inner = self._or()
            self.stream.expect_op(")")
            return inner
        if token.kind == IDENT:
            lowered = token.text.lower()
            if lowered in ("true", "false"):
                flag = lowered == "true"
                return _Compiled(lambda row: flag, boolean=True, constant=flag, is_constant=True)
            following = self.stream.peek()
            if following is not None and following.is_op("("):
                return self._call(token)
            name = self.fields.resolve(token.text, self.stream.stage_text)
            return _Compiled(lambda row: row.get(name), boolean=False, field=name)
        raise self.stream.error(token, "expected a field, number, string or `(`")

    def _call(self, token: Token) -> _Compiled:
        if token.text.lower() == "if":
            return self._if(token)
        entry = _FUNCTIONS.get(token.text.lower())
        if entry is None:
            supported = ", ".join(sorted((*_FUNCTIONS, "if")))
            raise QueryError(
                f"function `{token.text}` at position {token.position} is not supported (supported: {supported})"
            )
        function, boolean = entry
        self.stream.expect_op("(")
        argument = self._additive().evaluate
        self.stream.expect_op(")")
        return _Compiled(lambda row: function(argument(row)), boolean=boolean)

    def _if(self, token: Token) -> _Compiled:
        """`if(condition, value_if_true, value_if_false)`."""
        self.stream.expect_op("(")
        condition = self._or()
        if not condition.boolean:
            raise QueryError(
                f"`if` at position {token.position} needs a boolean condition first (a comparison, matches, in, ...) "
                f"in `{self.stream.stage_text}`"
            )
        self.stream.expect_op(",")
        when_true = self._or()
        self.stream.expect_op(",")
        when_false = self._or()
        self.stream.expect_op(")")
        test, if_true, if_false = condition.evaluate, when_true.evaluate, when_false.evaluate

        def choose(row: Row) -> object:
            return if_true(row) if test(row) else if_false(row)

        return _Compiled(choose, boolean=when_true.boolean and when_false.boolean)
