"""Validation results and the helpers generated validators use.

Generated validators (``validators.py`` of a generated package) check a value the way the
TypeScript target's Ajv code does — keyword by keyword in Ajv's order, stopping at the first
failure — so both targets refuse the same frames and name the same JSON pointer. This module
gives them their result types, the per-direction dispatcher and the JSON Schema primitives
(JavaScript's view of integers, key order, ECMAScript patterns, deep equality).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeGuard, TypeVar

from .json_text import json_equal as json_equal

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    #: JSON pointer of the wrong field ('' for the value itself).
    path: str
    message: str
    #: The JSON Schema keyword that failed, or ``unknown-type`` / ``not-a-message``.
    keyword: str


@dataclass(frozen=True, slots=True)
class Valid(Generic[T_co]):
    value: T_co
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class Invalid:
    issues: tuple[ValidationIssue, ...]
    type: str | None = None
    ok: Literal[False] = False


ValidationResult = Valid[T] | Invalid

#: A generated check: the first issue (Ajv's order) of ``value`` at JSON pointer ``at``, or None.
Check = Callable[[object, str], "ValidationIssue | None"]


class Validator(Generic[T_co]):
    """A typed validator: call it for a result, or use ``is_valid`` as a type guard."""

    __slots__ = ("subject", "_check")

    def __init__(self, subject: str, check: Check) -> None:
        self.subject = subject
        self._check = check

    def __call__(self, value: object) -> Valid[T_co] | Invalid:
        issue = self._check(value, "")
        if issue is None:
            return Valid(value)  # type: ignore[arg-type]  # checked against T's schema just now
        return Invalid((issue,), self.subject)

    def is_valid(self, value: object) -> TypeGuard[T_co]:
        return self._check(value, "") is None


class Dispatcher(Validator[T_co]):
    """Validates a frame of one direction: finds the message by its ``type``, then validates it.
    An unknown type is reported with keyword ``unknown-type`` so callers answer ``unknown_type``."""

    __slots__ = ("types", "_table")

    def __init__(self, subject: str, table: Mapping[str, Validator[object]]) -> None:
        super().__init__(subject, self._dispatch_check)
        self._table = dict(table)
        self.types = tuple(sorted(table))

    def _dispatch_check(self, value: object, at: str) -> ValidationIssue | None:
        result = self(value)
        return None if isinstance(result, Valid) else result.issues[0]

    def __call__(self, value: object) -> Valid[T_co] | Invalid:
        if not isinstance(value, dict):
            return Invalid((ValidationIssue("", 'must be a JSON object with a "type"', "not-a-message"),))
        kind = value.get("type")
        if not isinstance(kind, str):
            return Invalid((ValidationIssue("/type", "must be a string naming the message type", "not-a-message"),))
        validator = self._table.get(kind)
        if validator is None:
            expected = ", ".join(self.types)
            return Invalid((ValidationIssue("/type", f'"{kind}" is not a {self.subject} message (expected one of {expected})', "unknown-type"),), kind)
        result = validator(value)
        return result  # type: ignore[return-value]  # a member of the union T

    def is_valid(self, value: object) -> TypeGuard[T_co]:
        return isinstance(self(value), Valid)


def describe_issues(result: Invalid) -> str:
    """One line per issue, prefixed by the message type: ``ui.action: /payload/view_id must be string``."""
    prefix = f"{result.type}: " if result.type else ""
    return "; ".join(f"{prefix}{i.path or '/'} {i.message}" for i in result.issues)


# ---------------------------------------------------------------------------------------------
# Primitives of generated checks (JSON values as JavaScript and Ajv see them)


def is_integer(value: object) -> TypeGuard[int | float]:
    """Ajv's integer: a number with no fraction (1.0 is one, true is not; Infinity passes as in JS)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value == value and (value in (float("inf"), float("-inf")) or value.is_integer())


def is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_multiple(value: int | float, divisor: int | float) -> bool:
    """Ajv's multipleOf: the quotient has no fraction."""
    q = value / divisor
    return q == q and q not in (float("inf"), float("-inf")) and q == int(q)


def accept(value: object, at: str) -> ValidationIssue | None:
    """The check of a schema that accepts everything."""
    return None


def is_object(value: object) -> TypeGuard[dict[str, object]]:
    return isinstance(value, dict)


def is_array(value: object) -> TypeGuard[list[object]]:
    return isinstance(value, list)


_INDEX = re.compile(r"^(?:0|[1-9][0-9]{0,9})$")


def js_keys(value: dict[str, object]) -> list[str]:
    """Keys in JavaScript's ``for…in`` order: array-index keys ascending first, then the others
    in insertion order (so ``additionalProperties`` reports the key Ajv reports)."""
    keys = list(value)
    indices = [k for k in keys if _INDEX.match(k) and int(k) < 4294967295]
    if not indices:
        return keys
    rest = [k for k in keys if not (_INDEX.match(k) and int(k) < 4294967295)]
    return sorted(indices, key=int) + rest


def pointer(token: str) -> str:
    """One JSON pointer token (``~`` → ``~0``, ``/`` → ``~1``)."""
    return "/" + token.replace("~", "~0").replace("/", "~1")


def unique_violation(items: Sequence[object]) -> tuple[int, int] | None:
    """Ajv's uniqueItems: the (j, i) of the first duplicate pair, scanning i from the end."""
    for i in range(len(items) - 1, 0, -1):
        for j in range(i - 1, -1, -1):
            if json_equal(items[i], items[j]):
                return (j, i)
    return None


def ecma_pattern(source: str) -> re.Pattern[str]:
    """A JSON Schema ``pattern`` (ECMA-262 with the ``u`` flag, as Ajv compiles it) as a Python
    regex with the same matches: ``\\d``/``\\w``/``\\s`` and ``$`` mean what they mean in
    JavaScript. Raises ValueError for syntax Python cannot match alike (the generator refuses such
    a spec for the Python target, so a generated package never meets one)."""
    return re.compile(translate_ecma_pattern(source))


_CLASS_ESCAPES = {"d": "0-9", "w": "A-Za-z0-9_", "s": r" \t\n\x0b\f\r\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"}


def translate_ecma_pattern(source: str) -> str:
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(source):
        c = source[i]
        if c == "\\":
            if i + 1 >= len(source):
                raise ValueError(f"pattern {source!r} ends with a backslash")
            n = source[i + 1]
            i += 2
            if n in _CLASS_ESCAPES:
                out.append(_CLASS_ESCAPES[n] if in_class else f"[{_CLASS_ESCAPES[n]}]")
            elif n in "DWS":
                if in_class:
                    raise ValueError(f"pattern {source!r}: \\{n} inside a character class is not supported by the Python target")
                out.append(f"[^{_CLASS_ESCAPES[n.lower()]}]")
            elif n == "u" and source[i : i + 1] == "{":
                end = source.index("}", i)
                out.append(f"\\U{int(source[i + 1 : end], 16):08x}")
                i = end + 1
            elif n in "bB" and not in_class:
                raise ValueError(f"pattern {source!r}: word boundaries are not supported by the Python target")
            elif n.isdigit() and n != "0":
                raise ValueError(f"pattern {source!r}: backreferences are not supported by the Python target")
            elif n in "pPk":
                raise ValueError(f"pattern {source!r}: \\{n} is not supported by the Python target")
            else:
                out.append("\\" + n)
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if source[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if source[i + 1 : i + 2] == "]":
                # JavaScript's [] matches nothing and [^] anything; Python reads ] as a literal.
                out[-1 if out[-1] != "^" else -2 :] = ["(?!)"] if out[-1] == "[" else ["[\\s\\S]"]
                i += 2
                continue
        elif c == "$":
            out.append(r"\Z")  # JavaScript's $ (no m flag) is the end only; Python's also matches before a final \n
        elif c == ".":
            out.append(r"[^\n\r\u2028\u2029]")
        elif c == "(" and source[i + 1 : i + 3] == "?<" and source[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
            continue
        elif c == "(" and source[i + 1 : i + 4] in ("?<=", "?<!"):
            raise ValueError(f"pattern {source!r}: lookbehind is not supported by the Python target")
        else:
            out.append(c)
        i += 1
    return "".join(out)
