"""Property-based fuzzing (hypothesis) of what turns client bytes into protocol values in the Python
runtime — the frame and batch parsers, the cursor, version-list, query, target and history-path
readers, resumes through the core — and of the ASGI app itself with random requests: L1 (nothing
raises; every refusal is a typed protocol.error the spec accepts) and L2 (an answer does not grow
with the input). The Python sibling of tests/server/fuzz/parsers.test.ts. It runs the generated
package's copy of the runtime (agent_ui.runtime), whose validators it is wired to.

A fixed derandomized run in ``npm test``; a longer hunt: ``FUZZ_RUNS=20000 FUZZ_SEED=random
.venv/bin/python -m pytest runtime-py/tests/test_fuzz.py`` (hypothesis prints a failing example
and how to reproduce it)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent_ui import AgentUiContext, AgentUiHandlers, MemoryHistoryStore, create_agent_ui_server
from agent_ui import models as m
from agent_ui.validators import validate_client_message, validate_protocol_error, validate_protocol_resume_failed
from agent_ui.runtime.frames import parse_version_list
from agent_ui.runtime.server.frame_parser import ERROR_STATUS, FrameParser, Parsed, Rejected
from agent_ui.runtime.server.history import match_history_path, parse_history_query
from agent_ui.runtime.server.server_core import Refused, ResumeRequest, ServerCore, ServerHooks
from agent_ui.runtime.server.transports.http_util import Query, parse_cursor, routable
from .replies import accepted

RUNS = int(os.environ.get("FUZZ_RUNS", "300"))
FUZZ = settings(
    max_examples=RUNS,
    derandomize=os.environ.get("FUZZ_SEED") != "random",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
NETWORK = settings(FUZZ, max_examples=max(40, RUNS // 5))

SESSION = "AAAAAAAAAAAAAAAAAAAAAA"
VALID: list[dict[str, Any]] = [
    {"type": "chat.send", "header": {"session_id": SESSION, "request_id": "r-1"}, "payload": {"conversation_id": "c-1", "text": "hi"}},
    {"type": "ui.action", "header": {"session_id": SESSION, "ack": 3}, "payload": {"view_id": "main", "component_id": "ok", "action": "click", "value": {"a": [1]}}},
    {"type": "protocol.ack", "header": {"session_id": SESSION}, "payload": {"last_seen_seq": 7}},
    {"type": "protocol.resume", "header": {"session_id": SESSION}, "payload": {"resume_token": "B" * 43, "last_seen_seq": 0}},
]
STATUSES = set(ERROR_STATUS.values())
parser = FrameParser(65_536, validate_client_message, 16)  # type: ignore[arg-type]


def check_refusal(r: Rejected) -> None:
    assert validate_protocol_error.is_valid(r.frame), json.dumps(r.frame)[:300]
    assert r.status in STATUSES
    assert len(json.dumps(r.frame)) < 4096


def check_parse(text: str) -> None:
    r = parser.parse(text)
    if isinstance(r, Parsed):
        assert validate_client_message.is_valid(json.loads(text))
    else:
        check_refusal(r)


# --- the frame parser ---------------------------------------------------------------------------

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
KEYS = st.sampled_from(["type", "header", "payload", "session_id", "request_id", "ack", "text", "value", "last_seen_seq", "resume_token", "__proto__", "constructor"]) | st.text(max_size=8)
DEEP = "[" * 5000 + "]" * 5000


@FUZZ
@given(st.text(max_size=2000))
def test_random_text_never_raises_and_is_refused_with_a_typed_error(text: str) -> None:
    check_parse(text)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_read_as_utf8(data: bytes) -> None:
    check_parse(data.decode("utf-8", "replace"))


@FUZZ
@given(json_values)
def test_random_json_values(value: object) -> None:
    check_parse(json.dumps(value))


@FUZZ
@given(st.sampled_from(VALID), st.lists(st.tuples(st.lists(KEYS, min_size=1, max_size=3), st.sampled_from(["set", "delete", "deep"]), json_values | st.text(max_size=300)), min_size=1, max_size=3))
def test_valid_frames_with_structured_mutations(base: dict[str, Any], edits: list[tuple[list[str], str, object]]) -> None:
    frame: dict[str, Any] = json.loads(json.dumps(base))
    for path, kind, value in edits:
        node = frame
        for key in path[:-1]:
            nxt = node.get(key)
            if not isinstance(nxt, dict):
                nxt = node[key] = {}
            node = nxt
        if kind == "delete":
            node.pop(path[-1], None)
        else:
            node[path[-1]] = "\u0000deep\u0000" if kind == "deep" else value
    check_parse(json.dumps(frame).replace(json.dumps("\u0000deep\u0000"), DEEP))


@FUZZ
@given(st.sampled_from(VALID), st.integers(min_value=0))
def test_valid_frames_cut_at_a_random_place(base: dict[str, Any], at: int) -> None:
    text = json.dumps(base)
    check_parse(text[: at % len(text)])


@FUZZ
@given(st.lists(st.sampled_from(VALID) | json_values, max_size=24), st.integers(min_value=0, max_value=3))
def test_post_batches_never_raise_and_stay_bounded(items: list[object], deep: int) -> None:
    text = json.dumps(items)
    if deep and items:
        text = text[:-1] + "," + "[" * (deep * 2000) + "]" * (deep * 2000) + "]"
    r = parser.batch(text)
    if isinstance(r, Rejected):
        check_refusal(r)
        return
    assert len(r.items) <= 16
    for item in r.items:
        if isinstance(item, Rejected):
            check_refusal(item)
        else:
            assert item.bytes <= 65_536


# --- the readers ----------------------------------------------------------------------------------


@FUZZ
@given(st.none() | st.text(max_size=40))
def test_parse_cursor_and_parse_version_list_never_raise_a_cursor_is_canonical(value: str | None) -> None:
    c = parse_cursor(value)
    if isinstance(c, int):
        assert str(c) == value and 0 <= c <= 2**53 - 1
    parse_version_list(value)


@FUZZ
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")), st.none() | st.integers(min_value=1, max_value=1000))
def test_query_and_history_query_never_raise_errors_are_short(raw: bytes, max_limit: int | None) -> None:
    query = Query(raw)
    r = parse_history_query(query.items, max_limit)
    if hasattr(r, "since_seq"):
        assert 0 <= r.since_seq <= 2**53 - 1  # type: ignore[union-attr]
    else:
        # A name or value is echoed cut to 64 characters, JSON-escaped (at most 6 characters each).
        assert len(r.parameter) <= 65 and len(r.error) < 600  # type: ignore[union-attr]


@FUZZ
@given(st.text(max_size=300) | st.sampled_from(["//[", "*", "http://[::1", "http://a:99999/poll", "//[/poll", "/\\\\evil", "/%", "http://h/ws?x=1"]))
def test_routable_never_raises_and_reads_only_paths(target: str) -> None:
    scope = routable({"type": "http", "path": target, "raw_path": target.encode("utf-8", "surrogatepass")})
    if scope is not None:
        assert scope["path"].startswith("/")


@FUZZ
@given(st.text(max_size=100))
def test_match_history_path_never_raises_and_matches_non_empty_values(path: str) -> None:
    params = match_history_path("/conversations/{conversationId}", path)
    if params is not None:
        assert params["conversationId"]


# --- resumes through the core, and the ASGI app with random requests --------------------------------


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()


class _Attachment:
    kind = "websocket"

    def send(self, frame: str, seq: int | None = None) -> None: ...
    def heartbeat(self, latest_seq: int) -> None: ...
    def close(self, reason: object) -> None: ...
    def inbound_drained(self) -> None: ...


@NETWORK
@given(st.text(max_size=600), st.text(max_size=600), st.integers(min_value=0, max_value=2**53 - 1))
def test_random_resumes_get_a_typed_refusal(loop: asyncio.AbstractEventLoop, session_id: str, token: str, last_seen: int) -> None:
    from agent_ui import CONTRACT
    from agent_ui import validators as v

    core = ServerCore(CONTRACT, v.validate_client_message, v.SERVER_VALIDATORS, v.PAYLOAD_VALIDATORS, ServerHooks(on_message=lambda s, f: None))  # type: ignore[arg-type]
    r = loop.run_until_complete(core.resume(_Attachment(), ResumeRequest(session_id, token, last_seen, None, "fuzz")))  # type: ignore[arg-type]
    assert isinstance(r, Refused) and validate_protocol_resume_failed.is_valid(r.frame)


class _Handlers(AgentUiHandlers):
    async def chat_send(self, message: m.ChatSend, ctx: AgentUiContext) -> m.ChatAcceptedPayload:
        await ctx.emit.agent_event({"conversation_id": "c", "turn_id": "t", "kind": "text", "text": message["payload"]["text"]})
        return accepted(message)

    def ui_action(self, message: m.UiAction, ctx: AgentUiContext) -> None:
        return None


app = create_agent_ui_server(_Handlers(), conversation_history=MemoryHistoryStore()).app
PATHS = st.sampled_from(["/ws", "/events", "/poll", "/messages", "/conversations/c-1", "/conversations/%E0%A4%A", "/", "*", "http://[::1/poll", "//["]) | st.text(max_size=60)
HEADER = st.tuples(st.sampled_from([b"authorization", b"resume-token", b"last-event-id", b"content-type", b"x-y"]) | st.binary(max_size=20), st.binary(max_size=200) | st.sampled_from([b"Bearer " + b"A" * 43, b"Bearer \x00", b"5"]))


@NETWORK
@given(
    st.sampled_from(["http", "websocket"]),
    st.sampled_from(["GET", "POST", "HEAD", "PUT", "BREW"]),
    PATHS,
    st.binary(max_size=300) | st.sampled_from([b"session_id=" + SESSION.encode() + b"&cursor=0", b"max_bytes=0", b"cursor=99999999999999999999&session_id=x", b"versions=" + b"9.9," * 500]),
    st.lists(HEADER, max_size=6),
    st.lists(st.binary(max_size=400), max_size=3),
)
def test_random_requests_never_raise_out_of_the_app(loop: asyncio.AbstractEventLoop, kind: str, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]], body: list[bytes]) -> None:
    scope: dict[str, Any] = {"type": kind, "method": method, "path": path, "raw_path": path.encode("utf-8", "surrogatepass"), "query_string": query, "headers": headers, "client": ("127.0.0.1", 1), "root_path": "", "extensions": {"websocket.http.response": {}}}
    sent: list[dict[str, Any]] = []
    inbox: list[dict[str, Any]] = [{"type": "websocket.connect"}] if kind == "websocket" else [{"type": "http.request", "body": b, "more_body": i < len(body) - 1} for i, b in enumerate(body or [b""])]

    async def receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop(0)
        await asyncio.sleep(0.001)
        return {"type": "websocket.disconnect", "code": 1006} if kind == "websocket" else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    loop.run_until_complete(asyncio.wait_for(app(scope, receive, send), 10))  # raises if anything escapes (or hangs)
    assert sent, "every request is answered"
    first = sent[0]["type"]
    assert first in ("http.response.start", "websocket.accept", "websocket.close", "websocket.http.response.start")
    if first == "http.response.start":
        assert sent[0]["status"] in range(200, 600)
        assert sum(len(x.get("body", b"")) for x in sent) < 8192  # never grows with the request
