"""The generated agent-ui server over real sockets (uvicorn on loopback): hello and resume (H1, R2),
supersede and end (S4), typed errors (S2, S5, L1), the one send path (Q3), TTL expiry, long-poll
and SSE cursors (R3, R4), and mounting in FastAPI."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets
from fastapi import FastAPI

from agent_ui import CONTRACT, AgentUiContext, AgentUiHandlers, MemoryHistoryStore, OutboundRejectedError, UnknownSessionError, create_agent_ui_server
from agent_ui import models as m
from agent_ui.runtime.server.contract_server import ContractServer, SessionHandle
from agent_ui.runtime.server.memory_store import MemoryStore
from agent_ui.runtime.server.store import RunAnswer, StoreBounds
from agent_ui.server import AgentUiEmitter
from .replies import accepted

SID = "q3Jt0Yz8uVbK2mXw5LcP9a"


class Handlers(AgentUiHandlers):
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.components: list[str] = []
        self.ended: list[tuple[str, str]] = []
        self.errors: list[str] = []

    async def chat_send(self, message: m.ChatSend, ctx: AgentUiContext) -> m.ChatAcceptedPayload:
        text = message["payload"]["text"]
        self.seen.append(text)
        if text == "boom":
            raise RuntimeError("handler exploded")
        if text.startswith("emit "):
            for i in range(int(text.split()[1])):
                await ctx.emit.agent_event({"conversation_id": "c", "turn_id": "t", "kind": "text", "text": f"m{i + 1}"})
        return accepted(message)

    def ui_action(self, message: m.UiAction, ctx: AgentUiContext) -> None:
        self.seen.append(message["payload"]["action"])
        self.components.append(message["payload"]["component_id"])

    def on_session_end(self, session: SessionHandle, reason: Any) -> None:
        self.ended.append((session.id, reason))

    def on_error(self, error: BaseException, session_id: str | None, type_: str | None) -> None:
        self.errors.append(str(error))


def chat(session_id: str | None, text: str, **header: object) -> str:
    h: dict[str, object] = {"session_id": session_id, **header} if session_id is not None else dict(header)
    return json.dumps({"type": "chat.send", "header": h, "payload": {"conversation_id": "c", "text": text}})


async def next_frame(ws: Any, timeout: float = 5) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] != "protocol.heartbeat":
            return frame


async def frames(ws: Any, n: int) -> list[dict[str, Any]]:
    return [await next_frame(ws) for _ in range(n)]


@pytest.fixture
def handlers() -> Handlers:
    return Handlers()


async def test_hello_data_and_resume_over_websocket(serve: Callable[..., Any], handlers: Handlers) -> None:
    served = await serve(create_agent_ui_server(handlers).app)
    async with websockets.connect(f"{served.ws_url}/ws?versions=1.0,1.1") as ws:
        hello = await next_frame(ws)
        assert hello["type"] == "protocol.hello" and hello["payload"]["protocol_version"] == "1.1" and hello["payload"]["latest_seq"] == 0
        sid, token = hello["payload"]["session_id"], hello["payload"]["resume_token"]
        await ws.send(chat(sid, "emit 4"))
        data = await frames(ws, 5)  # four agent.events, then the reply chat.accepted (C4)
        assert [f["header"]["seq"] for f in data] == [1, 2, 3, 4, 5] and all(f["header"]["session_id"] == sid for f in data)
        assert [f["type"] for f in data][3:] == ["agent.event", "chat.accepted"]
    async with websockets.connect(f"{served.ws_url}/ws?session_id={sid}") as ws:
        await ws.send(json.dumps({"type": "protocol.resume", "header": {"session_id": sid}, "payload": {"resume_token": token, "last_seen_seq": 2}}))
        hello, resumed, *replay = await frames(ws, 5)
        assert hello["type"] == "protocol.hello" and hello["payload"]["latest_seq"] == 5
        assert resumed["payload"] == {"from_seq": 3, "latest_seq": 5, "acked": 0}
        assert [f["header"]["seq"] for f in replay] == [3, 4, 5]
        await ws.send(chat(sid, "emit 1"))
        assert (await next_frame(ws))["header"]["seq"] == 6


async def test_each_cseq_is_handled_once_in_order_and_acknowledged(serve: Callable[..., Any], handlers: Handlers) -> None:
    """C2 over WebSocket and POST: protocol.received / acked carry the highest cseq accepted; a
    frame sent again is acknowledged, not handled again; a gap is refused (409 on POST); resumed
    carries acked; a handler that fails is answered handler_failed with its cseq."""
    served = await serve(create_agent_ui_server(handlers).app)
    async with websockets.connect(f"{served.ws_url}/ws") as ws:
        hello = await next_frame(ws)
        sid, token = hello["payload"]["session_id"], hello["payload"]["resume_token"]
        # A handled frame is also answered by its reply, chat.accepted naming its cseq (C4); a duplicate is not.
        for c, acked, answered in ((1, 1, True), (2, 2, True), (2, 2, False), (1, 2, False)):
            await ws.send(chat(sid, f"t{c}", cseq=c))
            got = await frames(ws, 2 if answered else 1)
            received = next(f for f in got if f["type"] == "protocol.received")
            assert received == {"type": "protocol.received", "header": {"session_id": sid}, "payload": {"acked": acked}}
            assert [f["header"]["cseq"] for f in got if f["type"] == "chat.accepted"] == ([c] if answered else [])
        await ws.send(chat(sid, "t4", cseq=4, request_id="r-4"))
        gap = await next_frame(ws)
        assert gap["payload"] == {"code": "cseq_gap", "message": gap["payload"]["message"], "path": "/header/cseq", "request_id": "r-4", "cseq": 4}
        await ws.send(chat(sid, "boom", cseq=3))
        failed = [await next_frame(ws) for _ in range(2)]
        assert {f["type"] for f in failed} == {"protocol.received", "protocol.error"}
        assert next(f for f in failed if f["type"] == "protocol.error")["payload"]["cseq"] == 3
    assert handlers.seen == ["t1", "t2", "boom"]
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        auth = {"resume-token": token}
        posted = await http.post(f"/messages?session_id={sid}", headers=auth, content="[" + ",".join(chat(sid, f"p{c}", cseq=c) for c in (3, 4, 5)) + "]")
        assert posted.status_code == 202 and posted.json() == {"accepted": 3, "acked": 5, "frames": []}
        gap_post = await http.post(f"/messages?session_id={sid}", headers=auth, content=chat(sid, "p9", cseq=9))
        assert gap_post.status_code == 409 and gap_post.json()["acked"] == 5 and gap_post.json()["frames"][0]["payload"]["code"] == "cseq_gap"
    assert handlers.seen == ["t1", "t2", "boom", "p4", "p5"]
    async with websockets.connect(f"{served.ws_url}/ws?session_id={sid}") as ws:
        await ws.send(json.dumps({"type": "protocol.resume", "header": {"session_id": sid}, "payload": {"resume_token": token, "last_seen_seq": 0}}))
        assert (await next_frame(ws))["type"] == "protocol.hello"
        assert (await next_frame(ws))["payload"]["acked"] == 5


async def test_frames_decided_together_are_acknowledged_once(serve: Callable[..., Any], handlers: Handlers) -> None:
    """C2: one protocol.received per run the store decided (its highest cseq), not one per frame.
    The store answers late, as Redis does, so frames that arrive meanwhile are decided together."""

    class SlowStore(MemoryStore):
        async def accept_run(self, session_id: str, first: int, count: int) -> RunAnswer:
            await asyncio.sleep(0.05)
            return await super().accept_run(session_id, first, count)

    served = await serve(create_agent_ui_server(handlers, store=SlowStore(StoreBounds(ttl_ms=60_000, id_bits=128, token_bits=256, max_messages=100, max_bytes=1 << 20))).app)
    async with websockets.connect(f"{served.ws_url}/ws") as ws:
        sid = (await next_frame(ws))["payload"]["session_id"]
        for c in range(1, 21):
            await ws.send(json.dumps({"type": "ui.action", "header": {"session_id": sid, "cseq": c}, "payload": {"view_id": "main", "component_id": f"b{c}", "action": "click"}}))
        acks: list[int] = []
        while not acks or acks[-1] < 20:
            frame = await next_frame(ws)
            assert frame["type"] == "protocol.received"
            acks.append(frame["payload"]["acked"])
    assert handlers.seen == ["click"] * 20 and handlers.components == [f"b{c}" for c in range(1, 21)]
    assert acks == sorted(set(acks)) and len(acks) <= 5, acks


async def test_a_declared_reply_is_sent_with_the_cseq_it_answers(serve: Callable[..., Any]) -> None:
    """C4: chat.send declares chat.accepted as its reply (the canonical contract): the handler's
    return value is sent as that data message, its header naming the frame's cseq; a handler that
    returns nothing is answered handler_failed with the cseq."""

    class Replying(Handlers):
        async def chat_send(self, message: m.ChatSend, ctx: AgentUiContext) -> Any:
            text = message["payload"]["text"]
            self.seen.append(text)
            if text == "nothing":
                return None
            return {"conversation_id": "c", "message_id": f"m-{message['header'].get('cseq')}", "turn_id": "t-1"}

    assert CONTRACT.messages["chat.send"].reply == "chat.accepted"
    handlers = Replying()
    served = await serve(wire(CONTRACT, handlers).app)
    async with websockets.connect(f"{served.ws_url}/ws") as ws:
        sid = (await next_frame(ws))["payload"]["session_id"]
        await ws.send(chat(sid, "hi", cseq=1))
        got = [await next_frame(ws) for _ in range(2)]
        reply = next(f for f in got if f["type"] == "chat.accepted")
        assert reply["header"] == {"session_id": sid, "cseq": 1, "seq": 1}
        assert reply["payload"] == {"conversation_id": "c", "message_id": "m-1", "turn_id": "t-1"}
        await ws.send(chat(sid, "nothing", cseq=2))
        got = [await next_frame(ws) for _ in range(2)]
        failed = next(f for f in got if f["type"] == "protocol.error")
        assert failed["payload"]["code"] == "handler_failed" and failed["payload"]["cseq"] == 2


async def test_supersede_and_end(serve: Callable[..., Any], handlers: Handlers) -> None:
    server = create_agent_ui_server(handlers)
    served = await serve(server.app)
    first = await websockets.connect(f"{served.ws_url}/ws")
    hello = await next_frame(first)
    sid, token = hello["payload"]["session_id"], hello["payload"]["resume_token"]
    second = await websockets.connect(f"{served.ws_url}/ws?session_id={sid}")
    await second.send(json.dumps({"type": "protocol.resume", "header": {"session_id": sid}, "payload": {"resume_token": token, "last_seen_seq": 0}}))
    assert (await next_frame(second))["type"] == "protocol.hello"
    error = await next_frame(first)
    assert error["payload"]["code"] == "superseded"
    await asyncio.wait_for(first.wait_closed(), 5)
    assert first.close_code == 4001
    assert await server.end_session(sid) is True
    await asyncio.wait_for(second.wait_closed(), 5)
    assert second.close_code == 4002 and handlers.ended == [(sid, "ended")]
    third = await websockets.connect(f"{served.ws_url}/ws?session_id={sid}")
    await third.send(json.dumps({"type": "protocol.resume", "header": {"session_id": sid}, "payload": {"resume_token": token, "last_seen_seq": 0}}))
    refusal = await next_frame(third)
    assert refusal["payload"]["reason"] == "session_expired"
    await asyncio.wait_for(third.wait_closed(), 5)
    assert third.close_code == 4003


async def test_typed_errors_keep_the_connection(serve: Callable[..., Any], handlers: Handlers) -> None:
    served = await serve(create_agent_ui_server(handlers).app)
    async with websockets.connect(f"{served.ws_url}/ws") as ws:
        sid = (await next_frame(ws))["payload"]["session_id"]
        cases = [
            ("{not json", "malformed_frame"),
            ("[1]", "malformed_frame"),
            (json.dumps({"type": "chat.nope", "header": {"session_id": sid}, "payload": {}}), "unknown_type"),
            (chat(None, "hi"), "session_required"),
            (chat("default", "hi"), "invalid_message"),
            (chat(SID, "hi"), "unknown_session"),
            (chat(sid, "x" * 70_000), "frame_too_large"),
            (chat(sid, "boom", request_id="r-1"), "handler_failed"),
        ]
        for text, code in cases:
            await ws.send(text)
            error = await next_frame(ws)
            assert error["type"] == "protocol.error" and error["payload"]["code"] == code, text[:40]
        await ws.send(b"\x00binary")
        assert (await next_frame(ws))["payload"]["code"] == "malformed_frame"
        await ws.send(chat(sid, "emit 1"))
        assert (await next_frame(ws))["header"]["seq"] == 1  # the session is intact, nothing consumed a seq
    assert handlers.seen == ["boom", "emit 1"] and handlers.errors == ["handler exploded"]


async def test_the_one_send_path_refuses_invalid_payloads(handlers: Handlers) -> None:
    server = create_agent_ui_server(handlers)
    session_id, _ = await server.core.store.create("1.1")
    emit = server.emit_to(session_id)
    with pytest.raises(OutboundRejectedError) as refused:
        emit.agent_event({"conversation_id": "c", "turn_id": "t", "kind": "thinking"})  # type: ignore[typeddict-item]
    assert refused.value.code == "invalid_message" and "/kind" in str(refused.value)
    with pytest.raises(OutboundRejectedError) as too_big:
        emit.agent_event({"conversation_id": "c", "turn_id": "t", "kind": "text", "text": "x" * 70_000})
    assert too_big.value.code == "frame_too_large"
    assert await emit.agent_event({"conversation_id": "c", "turn_id": "t", "kind": "text"}) == 1
    with pytest.raises(UnknownSessionError):
        await server.emit_to("nobody-nobody-nobody-00").agent_event({"conversation_id": "c", "turn_id": "t", "kind": "text"})


async def test_poll_cursor_window_and_tokens(serve: Callable[..., Any], handlers: Handlers) -> None:
    small = dataclasses.replace(CONTRACT, replay_window=dataclasses.replace(CONTRACT.replay_window, max_messages=5))
    server = wire(small, handlers)
    served = await serve(server.app)
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        opened = (await http.get("/poll")).json()["frames"]
        sid, token = opened[0]["payload"]["session_id"], opened[0]["payload"]["resume_token"]
        auth = {"resume-token": token}
        posted = await http.post("/messages", content=chat(sid, "emit 3"), headers=auth)
        assert posted.status_code == 202 and posted.json() == {"accepted": 1, "acked": 0, "frames": []}
        answer = await http.get("/poll", params={"session_id": sid, "cursor": 0}, headers=auth)
        assert [f["header"]["seq"] for f in answer.json()["frames"]] == [1, 2, 3, 4]  # and the reply, chat.accepted (C4)
        await http.post("/messages", content=chat(sid, "emit 8"), headers=auth)
        gone = await http.get("/poll", params={"session_id": sid, "cursor": 3, "resume": 1}, headers=auth)
        assert gone.status_code == 410 and gone.json()["frames"][0]["payload"]["reason"] == "window_exceeded"
        assert (await http.get("/poll", params={"session_id": sid, "cursor": 0})).status_code == 401
        assert (await http.post("/messages", content=chat(sid, "x"))).status_code == 401
        wrong = await http.post("/messages", content=chat(sid, "x"), headers={"resume-token": "A" * 43})
        assert wrong.status_code == 404 and wrong.json()["frames"][0]["payload"]["code"] == "unknown_session"
        assert (await http.get("/poll", params={"session_id": sid, "cursor": "1.5"}, headers=auth)).status_code == 400
        assert (await http.put("/poll")).status_code == 405
        assert (await http.get("/ws")).status_code == 426


async def test_sse_ids_and_last_event_id(serve: Callable[..., Any], handlers: Handlers) -> None:
    served = await serve(create_agent_ui_server(handlers).app)
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        events: list[tuple[str | None, dict[str, Any]]] = []
        async with http.stream("GET", "/events") as stream:
            lines = stream.aiter_lines()
            sid = token = ""
            event_id: str | None = None
            async for line in lines:
                if line.startswith("id: "):
                    event_id = line[4:]
                elif line.startswith("data: "):
                    frame = json.loads(line[6:])
                    events.append((event_id, frame))
                    event_id = None
                    if frame["type"] == "protocol.hello":
                        sid, token = frame["payload"]["session_id"], frame["payload"]["resume_token"]
                        await http.post("/messages", content=chat(sid, "emit 3"), headers={"resume-token": token})
                    if len(events) == 4:
                        break
        assert events[0][0] is None and [e[0] for e in events[1:]] == ["1", "2", "3"]
        async with http.stream("GET", "/events", params={"session_id": sid, "resume_token": token, "last_seen_seq": 0}, headers={"last-event-id": "2"}) as stream:
            got = []
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    got.append(json.loads(line[6:]))
                    if len(got) == 3:
                        break
        assert got[1]["payload"]["from_seq"] == 3 and got[2]["header"]["seq"] == 3


async def test_ttl_expiry_ends_the_session(serve: Callable[..., Any], handlers: Handlers) -> None:
    fast = dataclasses.replace(CONTRACT, heartbeat_ms=100, session=dataclasses.replace(CONTRACT.session, ttl_ms=300))
    server = wire(fast, handlers)
    served = await serve(server.app)
    async with websockets.connect(f"{served.ws_url}/ws") as ws:
        hello = await next_frame(ws)
    sid, token = hello["payload"]["session_id"], hello["payload"]["resume_token"]
    for _ in range(60):
        if handlers.ended:
            break
        await asyncio.sleep(0.1)
    assert handlers.ended == [(sid, "expired")]
    async with httpx.AsyncClient(base_url=served.url) as http:
        answer = await http.get("/poll", params={"session_id": sid, "cursor": 0, "resume": 1}, headers={"resume-token": token})
        assert answer.status_code == 410 and answer.json()["frames"][0]["payload"]["reason"] == "session_expired"


async def test_mounts_in_fastapi_beside_its_routes(serve: Callable[..., Any], handlers: Handlers) -> None:
    server = create_agent_ui_server(handlers, conversation_history=seeded_history())
    app = FastAPI(lifespan=server.lifespan)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.router.routes.extend(server.routes)
    api = FastAPI()
    api.mount("/api", create_agent_ui_server(Handlers(), conversation_history=seeded_history()).app)
    served = await serve(app)
    mounted = await serve(api)
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await http.get(f"{served.url}/health")).json() == {"status": "ok"}
        assert (await http.get(f"{served.url}/nothing")).status_code == 404
        for base in (served.url, f"{mounted.url}/api"):
            window = await http.get(f"{base}/conversations/c-1", params={"limit": 2})
            assert window.status_code == 200 and [c["seq"] for c in window.json()["chunks"]] == [2, 3] and window.json()["latestSeq"] == 3
            assert (await http.get(f"{base}/conversations/a%2Fb")).status_code == 400
            assert (await http.get(f"{base}/conversations/unknown")).status_code == 404
            assert (await http.get(f"{base}/poll")).json()["frames"][0]["type"] == "protocol.hello"
    async with websockets.connect(f"{mounted.ws_url}/api/ws") as ws:
        assert (await next_frame(ws))["type"] == "protocol.hello"


def seeded_history() -> MemoryHistoryStore[m.HistoryChunk]:
    store: MemoryHistoryStore[m.HistoryChunk] = MemoryHistoryStore()
    for i in range(3):
        store.append("c-1", {"role": "user", "chunk": {"kind": "text", "text": str(i)}})
    return store


def wire(contract: Any, handlers: Handlers) -> ContractServer[AgentUiEmitter]:
    """The generated factory's wiring with another contract descriptor (a smaller window, faster timers)."""
    from agent_ui import validators as v

    return ContractServer(
        contract=contract,
        validate_client=v.validate_client_message,
        server_validators=v.SERVER_VALIDATORS,
        payload_validators=v.PAYLOAD_VALIDATORS,
        emitter=AgentUiEmitter,
        dispatch={"chat.send": handlers.chat_send, "ui.action": handlers.ui_action},  # type: ignore[dict-item]
        on_session_end=handlers.on_session_end,
        on_error=handlers.on_error,
    )


async def test_acknowledged_frames_leave_the_window(serve: Callable[..., Any], handlers: Handlers) -> None:
    served = await serve(create_agent_ui_server(handlers).app)
    async with websockets.connect(f"{served.ws_url}/ws") as ws:
        hello = await next_frame(ws)
        sid, token = hello["payload"]["session_id"], hello["payload"]["resume_token"]
        await ws.send(chat(sid, "emit 5"))
        await frames(ws, 5)
        # Q5: protocol.ack releases through 3; a header ack on any frame does the same.
        await ws.send(json.dumps({"type": "protocol.ack", "header": {"session_id": sid}, "payload": {"last_seen_seq": 3}}))
        await ws.send(chat(sid, "emit 1", ack=4))
        assert (await next_frame(ws))["header"]["seq"] == 6
    async with websockets.connect(f"{served.ws_url}/ws?session_id={sid}") as ws:
        await ws.send(json.dumps({"type": "protocol.resume", "header": {"session_id": sid}, "payload": {"resume_token": token, "last_seen_seq": 3}}))
        refusal = await next_frame(ws)
        assert refusal["payload"]["reason"] == "window_exceeded" and refusal["payload"]["earliest_seq"] == 5


async def test_a_stuck_consumer_is_detached(serve: Callable[..., Any], handlers: Handlers) -> None:
    """L3: a client that stops reading is closed once max_buffered_bytes are queued; its session lives on."""
    server = create_agent_ui_server(handlers, max_buffered_bytes=64 * 1024)
    served = await serve(server.app)
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window, so the server's buffers fill
    sock.connect(("127.0.0.1", served.port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
    await writer.drain()
    head = await reader.readuntil(b"data: ")
    line = await reader.readline()
    hello = json.loads(line)
    assert b"200" in head and hello["type"] == "protocol.hello"
    sid = hello["payload"]["session_id"]
    # Stop reading; emit far more than the socket buffers and the limit hold.
    emit = server.emit_to(sid)
    for i in range(20_000):
        emit.agent_event({"conversation_id": "c", "turn_id": "t", "kind": "text", "text": "x" * 200 + str(i)})
        if i % 100 == 0:
            await asyncio.sleep(0)
    for _ in range(200):
        local = server.core.local(sid)
        if local is not None and local.attachment is None:
            break
        await asyncio.sleep(0.02)
    local = server.core.local(sid)
    assert local is not None and local.attachment is None
    from agent_ui import MemoryStore

    assert isinstance(server.core.store, MemoryStore)
    peek = server.core.store.peek(sid)
    assert peek is not None and not peek.attached and peek.latest_seq == 20_000  # the session lives on, detached: its TTL runs
    writer.close()
