"""Redis failing under a running generated Python server (create_agent_ui_server with RedisStore),
as tests/redis/failure.test.ts fails it under the TypeScript one: connections killed while the
server emits — every emit resolves (and the client receives it) or raises StoreUnavailableError
and on_error is told, none is lost silently; Redis killed and restarted — while it is down the
server answers typed errors and keeps serving HTTP that needs no Redis, after a restart without
persistence a resume gets a typed refusal, and with persistence it succeeds and replays exactly."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import websockets

from agent_ui import CONTRACT, AgentUiContext, AgentUiHandlers, MemoryHistoryStore, create_agent_ui_server
from agent_ui import models as m
from agent_ui.runtime.server.contract_server import ContractServer
from agent_ui.runtime.server.redis_store import RedisStore, StoreOutcomeUnknownError
from agent_ui.runtime.server.store import StoreBounds, StoreUnavailableError
from agent_ui.server import AgentUiEmitter

from .redis_server import RedisServer
from .replies import accepted


class Handlers(AgentUiHandlers):
    def __init__(self) -> None:
        #: What on_error was told, in order: (error, session id, type).
        self.errors: list[tuple[BaseException, str | None, str | None]] = []

    def chat_send(self, message: m.ChatSend, ctx: AgentUiContext) -> m.ChatAcceptedPayload:
        return accepted(message)

    def ui_action(self, message: m.UiAction, ctx: AgentUiContext) -> None:
        return None

    def on_error(self, error: BaseException, session_id: str | None, type_: str | None) -> None:
        self.errors.append((error, session_id, type_))


@dataclass
class Running:
    server: ContractServer[AgentUiEmitter]
    handlers: Handlers
    redis: RedisServer
    url: str
    ws_url: str
    closers: list[Callable[[], Any]] = field(default_factory=list)

    async def emit(self, session_id: str, text: str) -> int | BaseException:
        """One emit from outside a handler: its seq, or what it raised."""
        try:
            return await self.server.emit_to(session_id).agent_event({"conversation_id": "c-1", "turn_id": "t-1", "kind": "text", "text": text})
        except Exception as error:
            return error


@pytest.fixture
async def start(serve: Callable[..., Any]) -> AsyncIterator[Callable[..., Any]]:
    made: list[Running] = []

    async def run(persistence: bool = False) -> Running:
        redis = RedisServer(persistence)
        # A window larger than any test here emits: however long a killed connection takes to come
        # back, no frame leaves the window, so every stored frame must reach the client.
        bounds = StoreBounds(CONTRACT.session.ttl_ms, CONTRACT.session.id_bits, CONTRACT.session.token_bits, 5000, 16 * 1024 * 1024)
        store = RedisStore(redis.client(), redis.client(), bounds, refresh_ms=200)
        history: MemoryHistoryStore[m.HistoryChunk] = MemoryHistoryStore()
        history.append("c-1", {"role": "user", "chunk": {"kind": "text", "text": "hi"}})
        handlers = Handlers()
        server = create_agent_ui_server(handlers, store=store, conversation_history=history)
        served = await serve(server.app)
        running = Running(server, handlers, redis, served.url, served.ws_url)
        made.append(running)
        return running

    yield run
    for r in made:
        r.server.close()
        await r.server.core.store.close()
        r.redis.close()


async def next_frame(ws: Any, timeout: float = 5) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] != "protocol.heartbeat":
            return frame


async def data(ws: Any, n: int, timeout: float = 10) -> list[dict[str, Any]]:
    out = []
    while len(out) < n:
        frame = await next_frame(ws, timeout)
        assert "seq" in frame["header"], f"expected data frame #{len(out) + 1} of {n}, got {frame}"
        out.append(frame)
    return out


async def closed_with(ws: Any, timeout: float = 10) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None
        return int(closed.rcvd.code)


def resume(session_id: str, token: str, last_seen: int) -> str:
    return json.dumps({"type": "protocol.resume", "header": {"session_id": session_id}, "payload": {"resume_token": token, "last_seen_seq": last_seen}})


async def test_connections_killed_while_emitting_every_emit_is_received_or_raises_store_unavailable_none_lost(start: Callable[..., Any]) -> None:
    r: Running = await start()
    admin = r.redis.client()
    async with websockets.connect(f"{r.ws_url}/ws") as ws:
        sid = (await next_frame(ws))["payload"]["session_id"]
        n = 3000
        emits: list[asyncio.Task[int | BaseException]] = []
        kills: list[asyncio.Task[Any]] = []
        for i in range(1, n + 1):
            emits.append(asyncio.ensure_future(r.emit(sid, f"m{i}")))
            if i == 800:
                kills.append(asyncio.ensure_future(admin.client_kill_filter(_type="normal", skipme=True)))  # the commands connection
            if i == 1600:
                kills.append(asyncio.ensure_future(admin.client_kill_filter(_type="pubsub", skipme=True)))  # the subscriber
            if i == 2400:
                kills.append(asyncio.ensure_future(admin.client_kill_filter(_type="normal", skipme=True)))  # perhaps mid-resubscribe
            if i % 100 == 0:
                await asyncio.sleep(0.003)
        await asyncio.gather(*kills)
        results = await asyncio.gather(*emits)
        stored = [x for x in results if isinstance(x, int)]
        refused = [x for x in results if not isinstance(x, int)]
        assert len(stored) + len(refused) == n
        assert refused, "the kills cut something"
        for error in refused:
            assert isinstance(error, StoreUnavailableError) and not isinstance(error, StoreOutcomeUnknownError), repr(error)
        # on_error was told about each refused emit, with its session and type.
        told = [(e, s) for e, s, t in r.handlers.errors if t == "agent.event"]
        assert [id(e) for e, _ in told] == [id(e) for e in refused]
        assert {s for _, s in told} == {sid}
        # Stored = seqs 1..k, none twice; the client got exactly those, in order, each with its text.
        k = len(stored)
        assert sorted(stored) == list(range(1, k + 1))
        got = await data(ws, k)
        assert [f["header"]["seq"] for f in got] == list(range(1, k + 1))
        text_of = {seq: f"m{i + 1}" for i, seq in enumerate(results) if isinstance(seq, int)}
        assert all(f["payload"]["text"] == text_of[f["header"]["seq"]] for f in got)
        with pytest.raises(asyncio.TimeoutError):
            await next_frame(ws, 0.3)  # nothing more
    await admin.aclose()


async def test_redis_killed_without_persistence_typed_errors_while_down_then_unknown_session_and_new_sessions_work(start: Callable[..., Any]) -> None:
    r: Running = await start()
    async with websockets.connect(f"{r.ws_url}/ws") as ws:
        hello = (await next_frame(ws))["payload"]
        sid, token = hello["session_id"], hello["resume_token"]
        assert [await r.emit(sid, f"m{i}") for i in (1, 2, 3)] == [1, 2, 3]
        assert [f["header"]["seq"] for f in await data(ws, 3)] == [1, 2, 3]

        r.redis.stop()  # SIGKILL: a crash
        during = await r.emit(sid, "lost?")
        assert isinstance(during, StoreUnavailableError)
        assert any(e is during for e, _, _ in r.handlers.errors)
        # A new connection and a resume: typed handler_failed, closed with 1013 (try again later).
        async with websockets.connect(f"{r.ws_url}/ws?versions=1.0,1.1") as fresh:
            refusal = await next_frame(fresh)
            assert refusal["payload"]["code"] == "handler_failed" and "redis store: create failed" in refusal["payload"]["message"]
            assert await closed_with(fresh) == 1013
        async with websockets.connect(f"{r.ws_url}/ws?session_id={sid}") as again:
            await again.send(resume(sid, token, 3))
            assert (await next_frame(again))["payload"]["code"] == "handler_failed"
            assert await closed_with(again) == 1013
        # SSE says the same in its stream; HTTP routes that need no Redis keep working.
        async with httpx.AsyncClient(base_url=r.url) as http:
            assert "handler_failed" in (await http.get("/events", timeout=5)).text
            history = await http.get("/conversations/c-1?sinceSeq=0")
            assert history.status_code == 200 and len(history.json()["chunks"]) == 1

        r.redis.start()  # empty: it kept nothing
        # The attachment whose session vanished is closed (its refresh finds nothing): session_expired.
        assert await closed_with(ws) == 4002
    # Until the connections are back the answer is handler_failed/1013; then the typed refusal.
    deadline = asyncio.get_running_loop().time() + 5
    while True:
        async with websockets.connect(f"{r.ws_url}/ws?session_id={sid}") as again:
            await again.send(resume(sid, token, 3))
            first = await next_frame(again)
            if first["type"] == "protocol.resume_failed":
                assert first["payload"]["reason"] == "unknown_session"
                assert await closed_with(again) == 4003
                break
            assert first["payload"]["code"] == "handler_failed"
        assert asyncio.get_running_loop().time() < deadline, "resumes still fail with handler_failed 5 s after the restart"
        await asyncio.sleep(0.1)
    async with websockets.connect(f"{r.ws_url}/ws") as next_ws:
        fresh_sid = (await next_frame(next_ws))["payload"]["session_id"]
        assert await r.emit(fresh_sid, "after") == 1
        assert [f["header"]["seq"] for f in await data(next_ws, 1)] == [1]


async def test_redis_killed_with_persistence_the_connection_keeps_receiving_and_a_resume_replays_exactly(start: Callable[..., Any]) -> None:
    r: Running = await start(persistence=True)
    async with websockets.connect(f"{r.ws_url}/ws") as ws:
        hello = (await next_frame(ws))["payload"]
        sid, token = hello["session_id"], hello["resume_token"]
        assert [await r.emit(sid, f"m{i}") for i in (1, 2, 3)] == [1, 2, 3]
        assert [f["header"]["seq"] for f in await data(ws, 3)] == [1, 2, 3]

        r.redis.stop()
        assert isinstance(await r.emit(sid, "refused"), StoreUnavailableError)
        r.redis.start()
        # The emit that was refused took no seq: the next one is 4.
        deadline = asyncio.get_running_loop().time() + 5
        outcome = await r.emit(sid, "m4")
        while not isinstance(outcome, int) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            outcome = await r.emit(sid, "m4")
        assert outcome == 4
        assert await r.emit(sid, "m5") == 5
        # The subscriber connected and subscribed again: the live connection gets 4 and 5.
        live = await data(ws, 2)
        assert [(f["header"]["seq"], f["payload"]["text"]) for f in live] == [(4, "m4"), (5, "m5")]
        # A second connection resumes from 2: exactly 3..5 (and supersedes the first).
        async with websockets.connect(f"{r.ws_url}/ws?session_id={sid}") as moved:
            await moved.send(resume(sid, token, 2))
            assert (await next_frame(moved))["type"] == "protocol.hello"
            assert (await next_frame(moved))["payload"] == {"from_seq": 3, "latest_seq": 5, "acked": 0}
            assert [f["header"]["seq"] for f in await data(moved, 3)] == [3, 4, 5]
            assert (await next_frame(ws))["payload"]["code"] == "superseded"
            assert await closed_with(ws) == 4001
            with pytest.raises(asyncio.TimeoutError):
                await next_frame(moved, 0.3)
