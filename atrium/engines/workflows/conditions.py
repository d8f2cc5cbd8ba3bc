"""`when` conditions and loop `until` expressions: a tokenizer and a recursive-descent parser.

Workflow definitions come from users, so conditions are parsed, never handed to eval().
Grammar, loosest binding first::

    condition  := or
    or         := and ("||" and)*
    and        := unary ("&&" unary)*
    unary      := "!" unary | comparison
    comparison := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand)?
    operand    := "(" or ")" | reference | string | number | true | false | null
    reference  := "$" node-id ".output" ("." field)* | "$inputs." name ("." field)*

`!` binds looser than comparisons, so `!$a.output == 'x'` negates the comparison.
Comparisons do not chain (`a == b == c` is an error; parenthesise instead).

Evaluation never raises, because a run must not crash on a model's odd answer:

- a missing node output or field is None; None equals only None, and orders with nothing;
- text read from outputs and inputs is stripped (model answers end with newlines);
- a number compared with a string that looks like a number compares numerically, and a
  boolean compared with "true"/"false" compares as booleans; other mixes are unequal;
- a bare operand is truth-tested: None, false, 0, empty collections and the strings "",
  "false", "0", "no", "null" and "none" (any case) are false; all else is true.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from atrium.engines.workflows.outputs import MISSING, field_of

SELF = "self"  # names the loop node's own output in `until`
INPUTS = "inputs"  # `$inputs.name`: the run's inputs

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMERIC_TEXT = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_OPERATORS = ("||", "&&", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")")
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
_FALSE_TEXT = frozenset({"", "false", "0", "no", "null", "none"})
# What makes a loop's `until` an expression rather than a completion signal. Single `<`,
# `>` and `!` are left out on purpose: signals such as "<promise>DONE</promise>" or
# "ALL DONE!" must stay signals.
_EXPRESSION_MARKERS = ("$", "==", "!=", "<=", ">=", "&&", "||")


class ConditionError(ValueError):
    """A condition that does not parse; `position` is the 0-based offset of the culprit."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


class _Expr:
    def value(self, outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class _Literal(_Expr):
    constant: Any

    def value(self, outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
        return self.constant


@dataclass(frozen=True, slots=True)
class _Reference(_Expr):
    """`node` is None for `$inputs.…`, whose first path segment is the input's name."""

    node: str | None
    path: tuple[str, ...]

    def value(self, outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
        found = field_of(outputs.get(self.node) if self.node is not None else inputs, self.path)
        if found is MISSING:
            return None
        return found.strip() if isinstance(found, str) else found


@dataclass(frozen=True, slots=True)
class _Not(_Expr):
    operand: _Expr

    def value(self, outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
        return not truthy(self.operand.value(outputs, inputs))


@dataclass(frozen=True, slots=True)
class _Logical(_Expr):
    operator: str  # "&&" or "||", short-circuiting
    left: _Expr
    right: _Expr

    def value(self, outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
        left = truthy(self.left.value(outputs, inputs))
        if left == (self.operator == "||"):
            return left
        return truthy(self.right.value(outputs, inputs))


@dataclass(frozen=True, slots=True)
class _Comparison(_Expr):
    operator: str
    left: _Expr
    right: _Expr

    def value(self, outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
        return compare(
            self.operator, self.left.value(outputs, inputs), self.right.value(outputs, inputs)
        )


@dataclass(frozen=True)
class Condition:
    """A parsed condition. `references` are the node ids it reads (`$inputs` excluded);
    `tree` is the parsed form, left out of equality so conditions compare by source."""

    source: str
    references: frozenset[str]
    tree: _Expr = field(repr=False, compare=False)

    def evaluate(self, outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> bool:
        """`outputs` maps node id to that node's output; absent nodes read as None."""
        return truthy(self.tree.value(outputs, inputs))


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_TEXT
    return bool(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coerce(value: Any, other: Any) -> Any:
    """`value` converted to `other`'s type where the module docstring says so."""
    if isinstance(value, str):
        text = value.strip()
        if _is_number(other) and _NUMERIC_TEXT.fullmatch(text):
            return float(text)
        if isinstance(other, bool) and text.lower() in ("true", "false"):
            return text.lower() == "true"
    return value


def compare(operator: str, left: Any, right: Any) -> bool:
    """One comparison with the coercions of the module docstring; never raises."""
    left, right = _coerce(left, right), _coerce(right, left)
    if operator in ("==", "!="):
        same_kind = isinstance(left, bool) == isinstance(right, bool)
        return (same_kind and left == right) == (operator == "==")
    if not (_is_number(left) and _is_number(right)) and not (
        isinstance(left, str) and isinstance(right, str)
    ):
        return False
    if operator == "<":
        return bool(left < right)
    if operator == "<=":
        return bool(left <= right)
    if operator == ">":
        return bool(left > right)
    return bool(left >= right)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "operator", "operand" or "end"
    text: str
    position: int
    operand: _Expr | None = None


def _reference(text: str, start: int) -> tuple[_Token, int]:
    parts: list[str] = []
    index = start + 1
    while True:
        match = _SEGMENT.match(text, index)
        if match is None:
            expected = "a node id after '$'" if not parts else "a field name after '.'"
            raise ConditionError(f"expected {expected}", index)
        parts.append(match.group())
        index = match.end()
        if index < len(text) and text[index] == ".":
            index += 1
            continue
        break
    source = text[start:index]
    if parts[0] == INPUTS:
        if len(parts) < 2:
            raise ConditionError("expected '$inputs.<name>'", start)
        return _Token("operand", source, start, _Reference(None, tuple(parts[1:]))), index
    if len(parts) < 2 or parts[1] != "output":
        raise ConditionError(f"expected '${parts[0]}.output'", start)
    return _Token("operand", source, start, _Reference(parts[0], tuple(parts[2:]))), index


def _string(text: str, start: int) -> tuple[_Token, int]:
    quote, chars, index = text[start], [], start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(_ESCAPES.get(text[index + 1], text[index + 1]))
            index += 2
        elif char == quote:
            literal = _Literal("".join(chars))
            return _Token("operand", text[start : index + 1], start, literal), index + 1
        else:
            chars.append(char)
            index += 1
    raise ConditionError("unterminated string", start)


def _operator(text: str, index: int) -> tuple[_Token, int]:
    for operator in _OPERATORS:
        if text.startswith(operator, index):
            return _Token("operator", operator, index), index + len(operator)
    char = text[index]
    hints = {"=": "use '==' to compare", "&": "use '&&'", "|": "use '||'"}
    raise ConditionError(hints.get(char, f"unexpected character {char!r}"), index)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
            continue
        if char == "$":
            token, index = _reference(text, index)
        elif char in "'\"":
            token, index = _string(text, index)
        elif (number := _NUMBER.match(text, index)) is not None:
            digits = number.group()
            parsed = float(digits) if any(c in digits for c in ".eE") else int(digits)
            token, index = _Token("operand", digits, index, _Literal(parsed)), number.end()
        elif (word := _WORD.match(text, index)) is not None:
            if word.group() not in _KEYWORDS:
                raise ConditionError(
                    f"unknown word {word.group()!r} (quote text, write outputs as $node.output)",
                    index,
                )
            keyword = _Literal(_KEYWORDS[word.group()])
            token, index = _Token("operand", word.group(), index, keyword), word.end()
        else:
            token, index = _operator(text, index)
        tokens.append(token)
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def _peek(self, *operators: str) -> bool:
        token = self.tokens[self.index]
        return token.kind == "operator" and token.text in operators

    def _next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> _Expr:
        if self.tokens[0].kind == "end":
            raise ConditionError("empty condition", 0)
        tree = self._or()
        token = self.tokens[self.index]
        if token.kind != "end":
            raise ConditionError(f"unexpected {token.text!r}", token.position)
        return tree

    def _or(self) -> _Expr:
        tree = self._and()
        while self._peek("||"):
            self._next()
            tree = _Logical("||", tree, self._and())
        return tree

    def _and(self) -> _Expr:
        tree = self._unary()
        while self._peek("&&"):
            self._next()
            tree = _Logical("&&", tree, self._unary())
        return tree

    def _unary(self) -> _Expr:
        if self._peek("!"):
            self._next()
            return _Not(self._unary())
        return self._comparison()

    def _comparison(self) -> _Expr:
        left = self._operand()
        if not self._peek(*_COMPARISONS):
            return left
        operator = self._next().text
        right = self._operand()
        if self._peek(*_COMPARISONS):
            token = self.tokens[self.index]
            raise ConditionError("comparisons do not chain; add parentheses", token.position)
        return _Comparison(operator, left, right)

    def _operand(self) -> _Expr:
        token = self._next()
        if token.operand is not None:
            return token.operand
        if token.text == "(":
            tree = self._or()
            closing = self._next()
            if closing.text != ")" or closing.kind != "operator":
                raise ConditionError("expected ')'", closing.position)
            return tree
        if token.kind == "end":
            raise ConditionError("unexpected end of condition", token.position)
        raise ConditionError(f"unexpected {token.text!r}", token.position)


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> Condition:
    tokens = _tokenize(text)
    tree = _Parser(tokens).parse()
    references = frozenset(
        token.operand.node
        for token in tokens
        if isinstance(token.operand, _Reference) and token.operand.node is not None
    )
    return Condition(text, references, tree)


def parse_condition(text: str) -> Condition:
    """Parse `text`, raising `ConditionError` with a message and position. Results are
    cached (conditions are immutable), so evaluating a stored definition's loop `until`
    every iteration costs no reparse."""
    return _parse(text)


def looks_like_expression(until: str) -> bool:
    """Whether a loop's `until` is a condition rather than a completion signal."""
    return any(marker in until for marker in _EXPRESSION_MARKERS)
