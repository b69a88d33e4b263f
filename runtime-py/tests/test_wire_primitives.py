"""JSON and JSON Schema as JavaScript sees them, kernel frames and version negotiation."""

from __future__ import annotations

import re

import pytest

from contractgen_runtime.frames import negotiate_version, parse_version_list
from contractgen_runtime.json_text import JsonSyntaxError, dumps, js_number, json_equal, loads, utf8_length
from contractgen_runtime.validation import is_integer, is_number, js_keys, pointer, translate_ecma_pattern, unique_violation


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a":-Infinity}', "{", "[1,]", "1 2", "'x'", "\ufeff{}", "[" * 5000 + "]" * 5000, "1" * 5000])
def test_loads_refuses_what_json_parse_refuses(text: str) -> None:
    with pytest.raises(JsonSyntaxError):
        loads(text)


def test_loads_accepts_whitespace_and_duplicates_like_json_parse() -> None:
    assert loads(' \n{"a":1,"a":2}\t') == {"a": 2}
    assert loads('"\\ud800"') == "\ud800"


def test_dumps_falls_back_to_escapes_for_a_lone_surrogate() -> None:
    assert dumps({"t": "é"}) == '{"t":"é"}'
    text = dumps({"t": "\ud800"})
    assert text == '{"t":"\\ud800"}' and text.encode("utf-8")
    assert utf8_length("é😀") == 6


def test_numbers_as_javascript() -> None:
    assert [js_number(x) for x in (1, 1.0, 1.5, 1e21, 9007199254740991, -0.0)] == ["1", "1", "1.5", "1e+21", "9007199254740991", "0"]
    assert is_integer(2.0) and is_integer(float("inf")) and not is_integer(True) and not is_integer(2.5) and not is_integer(float("nan"))
    assert is_number(1) and is_number(1.5) and not is_number(False)
    assert json_equal(1, 1.0) and not json_equal(True, 1) and json_equal({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]})


def test_key_order_and_pointers() -> None:
    assert js_keys({"zeta": 1, "10": 2, "2": 3, "01": 4}) == ["2", "10", "zeta", "01"]
    assert pointer("a/b~c") == "/a~1b~0c"
    assert unique_violation(["a", "b", "a"]) == (0, 2) and unique_violation([1, True]) is None


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("^[a-z]+$", "abc", True),
        ("^[a-z]+$", "abc\n", False),  # JavaScript's $ is the end of input
        ("^\\d+$", "١٢", False),  # \d is ASCII in JavaScript
        ("^\\w+$", "é", False),
        ("^a.b$", "a\nb", False),
        ("^a.b$", "a😀b", True),
        ("^(/[^/]*)+$", "/a/b", True),
        ("^(?<x>a)$", "a", True),
    ],
)
def test_ecma_patterns(pattern: str, text: str, matches: bool) -> None:
    assert (re.search(translate_ecma_pattern(pattern), text) is not None) is matches


def test_ecma_patterns_python_cannot_match_alike_are_refused() -> None:
    for pattern in ("(?<=a)b", "\\bword", "(a)\\1", "\\p{L}"):
        with pytest.raises(ValueError):
            translate_ecma_pattern(pattern)


def test_version_negotiation() -> None:
    assert negotiate_version(None, ["1.0", "1.1"]) == "1.1"
    assert negotiate_version(["1.0"], ["1.1", "1.0"]) == "1.0"
    assert negotiate_version(["1.0", "2.0"], ["1.0", "1.1"]) == "1.0"
    assert negotiate_version(["2.0"], ["1.0", "1.1"]) is None
    assert negotiate_version(["1.10", "1.9"], ["1.9", "1.10"]) == "1.10"
    assert parse_version_list(" 1.0 , ,1.1") == ["1.0", "1.1"] and parse_version_list("") is None
