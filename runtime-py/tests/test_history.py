"""W1-W6: window reads, query parsing and path matching, as tables."""

from __future__ import annotations

import pytest

from contractgen_runtime.server.history import (
    HistoryWindowQuery,
    MemoryHistoryStore,
    QueryError,
    match_history_path,
    parse_history_query,
    read_window,
)

LOG = [{"seq": i, "text": f"t{i}"} for i in range(1, 11)]


@pytest.mark.parametrize(
    ("name", "query", "seqs", "latest"),
    [
        ("whole log", HistoryWindowQuery(0), list(range(1, 11)), 10),
        ("newest k", HistoryWindowQuery(0, None, 3), [8, 9, 10], 10),
        ("tail sync", HistoryWindowQuery(7), [8, 9, 10], 10),
        ("page older", HistoryWindowQuery(0, 5, 2), [3, 4], 4),
        ("selection shorter than limit", HistoryWindowQuery(8, None, 5), [9, 10], 10),
        ("between", HistoryWindowQuery(2, 6), [3, 4, 5], 5),
        ("nothing after the end: latestSeq is sinceSeq", HistoryWindowQuery(15), [], 15),
        ("empty selection", HistoryWindowQuery(5, 6), [], 5),
        ("beforeSeq 1", HistoryWindowQuery(0, 1), [], 0),
    ],
)
def test_read_window(name: str, query: HistoryWindowQuery, seqs: list[int], latest: int) -> None:
    window = read_window(LOG, query)
    assert [c["seq"] for c in window.chunks] == seqs, name
    assert window.latest_seq == latest, name


def test_read_window_refuses_a_log_with_a_gap() -> None:
    with pytest.raises(ValueError, match="gap-free"):
        read_window([{"seq": 1}, {"seq": 3}], HistoryWindowQuery(0))


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ([("limit", "0")], "limit"),
        ([("limit", "-1")], "limit"),
        ([("limit", "abc")], "limit"),
        ([("limit", "01")], "limit"),
        ([("limit", "501")], "limit"),
        ([("beforeSeq", "0")], "beforeSeq"),
        ([("sinceSeq", "-1")], "sinceSeq"),
        ([("sinceSeq", "1e3")], "sinceSeq"),
        ([("sinceSeq", "99999999999999999")], "sinceSeq"),
        ([("limt", "5")], "limt"),
        ([("limit", "5"), ("limit", "6")], "limit"),
    ],
)
def test_parse_history_query_refuses(query: list[tuple[str, str]], parameter: str) -> None:
    parsed = parse_history_query(query, 500)
    assert isinstance(parsed, QueryError) and parsed.parameter == parameter and parameter in parsed.error


def test_parse_history_query_accepts() -> None:
    assert parse_history_query([], 500) == HistoryWindowQuery(0)
    assert parse_history_query([("sinceSeq", "3"), ("limit", "500"), ("beforeSeq", "9")], 500) == HistoryWindowQuery(3, 9, 500)


def test_match_history_path() -> None:
    template = "/conversations/{conversationId}"
    assert match_history_path(template, "/conversations/c-1") == {"conversationId": "c-1"}
    assert match_history_path(template, "/conversations/a%2Fb") == {"conversationId": "a/b"}
    assert match_history_path(template, "/conversations/") is None
    assert match_history_path(template, "/conversations/a/b") is None
    assert match_history_path(template, "/conversation/a") is None
    assert match_history_path(template, "/conversations/%E0%A4%A") is None


def test_memory_store_stamps_seq() -> None:
    store: MemoryHistoryStore[dict[str, object]] = MemoryHistoryStore()
    assert store.read("c", HistoryWindowQuery(0)) is None
    store.create("c")
    window = store.read("c", HistoryWindowQuery(0))
    assert window is not None and list(window.chunks) == [] and window.latest_seq == 0
    first = store.append("c", {"seq": 99, "text": "a"})
    assert first == {"seq": 1, "text": "a"} and list(first)[0] == "seq"
    store.append("c", {"text": "b"})
    assert store.size("c") == 2
