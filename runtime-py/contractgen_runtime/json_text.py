"""JSON as the wire speaks it (JavaScript's JSON.parse / JSON.stringify), from Python.

Python's json module accepts ``NaN`` and ``Infinity``, raises RecursionError on deep nesting and
ValueError on integers of more than 4300 digits, and cannot encode a lone surrogate as UTF-8;
these helpers turn each of those into the answer the TypeScript runtime gives.
"""

from __future__ import annotations

import json
import math
import re
from typing import Final

_DECODER: Final = json.JSONDecoder(parse_constant=lambda name: _refuse_constant(name))
_COMPACT: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_ASCII: Final = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)


class JsonSyntaxError(ValueError):
    """The text is not JSON as JSON.parse reads it."""


def _refuse_constant(name: str) -> object:
    raise JsonSyntaxError(f"{name} is not JSON")


def loads(text: str) -> object:
    """Parses JSON strictly (no NaN/Infinity); every failure is a JsonSyntaxError."""
    try:
        value, end = _DECODER.raw_decode(text, _skip_ws(text, 0))
    except JsonSyntaxError:
        raise
    except RecursionError:
        raise JsonSyntaxError("nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, and int() of more than 4300 digits
        raise JsonSyntaxError(str(error).split(":")[0]) from None
    if _skip_ws(text, end) != len(text):
        raise JsonSyntaxError(f"unexpected text after the JSON value at position {end}")
    return value


#: An array item nested past Python's stack (see loads_array); JSON.parse reads it, Python cannot.
TOO_DEEP: Final = object()

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def loads_array(text: str) -> list[object]:
    """The items of a JSON array, each decoded on its own, so that one item nested past Python's
    stack does not fail its neighbours (JSON.parse has no such limit): such an item is TOO_DEEP and
    its text is skipped without being decoded. Raises JsonSyntaxError when the text is not an array
    of JSON values."""
    at = _skip_ws(text, 0)
    if not text.startswith("[", at):
        raise JsonSyntaxError("not an array")
    at = _skip_ws(text, at + 1)
    items: list[object] = []
    if text.startswith("]", at):
        return items if _skip_ws(text, at + 1) == len(text) else _trailing(at + 1)
    while True:
        try:
            value, at = _DECODER.raw_decode(text, at)
        except RecursionError:
            value, at = TOO_DEEP, _skip_nested(text, at)
        except JsonSyntaxError:
            raise
        except ValueError as error:
            raise JsonSyntaxError(str(error).split(":")[0]) from None
        items.append(value)
        at = _skip_ws(text, at)
        if text.startswith(",", at):
            at = _skip_ws(text, at + 1)
        elif text.startswith("]", at):
            end = _skip_ws(text, at + 1)
            return items if end == len(text) else _trailing(at + 1)
        else:
            raise JsonSyntaxError(f"expected , or ] at position {at}")


def _trailing(at: int) -> list[object]:
    raise JsonSyntaxError(f"unexpected text after the JSON value at position {at}")


def _skip_nested(text: str, at: int) -> int:
    """The end of the array or object at ``at``, found without recursion (brackets counted,
    strings skipped whole)."""
    depth = 0
    while at < len(text):
        c = text[at]
        if c == '"':
            m = _STRING.match(text, at)
            if m is None:
                break
            at = m.end()
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return at + 1
        at += 1
    raise JsonSyntaxError("unterminated array or object")


def _skip_ws(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\n\r":
        at += 1
    return at


def dumps(value: object) -> str:
    """Compact JSON, UTF-8 text where it can be; a lone surrogate falls back to \\u escapes
    (as JSON.stringify writes it), so the text always encodes as UTF-8."""
    text = _COMPACT.encode(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _ASCII.encode(value)
    return text


def utf8_length(text: str) -> int:
    """UTF-8 byte length of a string (a lone surrogate counts 3 bytes, as in JavaScript)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def js_number(value: int | float) -> str:
    """A number as JavaScript's String() writes it (``1`` for 1.0, ``1e+21``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**21 else js_number(float(value))
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def json_equal(a: object, b: object) -> bool:
    """Deep equality of JSON values as Ajv's ``equal`` sees them (1 equals 1.0; true is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        return all(k in b and json_equal(v, b[k]) for k, v in a.items())
    return type(a) is type(b) and a == b
