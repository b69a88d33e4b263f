"""The generated agent-ui server (generated-py/agent_ui) as the Python suites run it: conformance
mode for ``contractgen probe``, the history log x-contract.conformance.history names seeded with
its items, and a ``chat.send`` handler that emits on request, for the client and chaos tests:
text ``emit <n> <chunk> <pace_ms>`` emits n agent.event messages ``m1``..``mn`` in paced chunks.
Environment: ``USERS=1`` lets in only ``Authorization: Bearer <name>`` (A1), ``REDIS_URL`` keeps sessions in Redis (``STORE_PREFIX``), ``WINDOW_MESSAGES``/``WINDOW_BYTES`` widen the replay window (chaos: exactly-once
across cuts, not the window bound), ``TTL_MS``, ``HEARTBEAT_MS`` and ``POLL_HOLD_MS`` are the server's ``timers`` (the hello announces them;
the Redis store gets the same TTL)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
from typing import Any

from agent_ui import CONTRACT, AgentUiContext, AgentUiHandlers, MemoryHistoryStore, models as m
from agent_ui.runtime.server.auth import Authenticated, AuthRequest, Refuse
from agent_ui.runtime.server.contract_server import HistoryRoute, ServerTimers, with_timers
from agent_ui.runtime.server.store import SessionStore, StoreBounds
from agent_ui.runtime.server.transports.http_util import Query, send_json
from agent_ui.server import AgentUiServer
from wiring import accepted, contract_server


class Handlers(AgentUiHandlers):
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[None]] = set()

    async def chat_send(self, message: m.ChatSend, ctx: AgentUiContext) -> m.ChatAcceptedPayload:
        words = message["payload"]["text"].split()
        if len(words) == 4 and words[0] == "emit":
            task = asyncio.ensure_future(emit(ctx, int(words[1]), int(words[2]), int(words[3]) / 1000))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return accepted(message)

    def ui_action(self, message: m.UiAction, ctx: AgentUiContext) -> None:
        return None


async def emit(ctx: AgentUiContext, n: int, chunk: int, pace: float) -> None:
    sent = 0
    while sent < n:
        for _ in range(min(chunk, n - sent)):
            sent += 1
            ctx.emit.agent_event({"conversation_id": "c-1", "turn_id": "t-1", "kind": "text", "text": f"m{sent}"})
        await asyncio.sleep(pace)


def build() -> AgentUiServer:
    contract = CONTRACT
    window = os.environ.get("WINDOW_MESSAGES")
    if window:
        contract = dataclasses.replace(contract, replay_window=dataclasses.replace(contract.replay_window, max_messages=int(window), max_bytes=int(os.environ.get("WINDOW_BYTES", "67108864"))))
    def ms(name: str) -> int | None:
        value = os.environ.get(name)
        return int(value) if value else None

    timers = ServerTimers(session_ttl_ms=ms("TTL_MS"), heartbeat_ms=ms("HEARTBEAT_MS"), poll_hold_ms=ms("POLL_HOLD_MS"))
    history: MemoryHistoryStore[m.HistoryChunk] = MemoryHistoryStore()
    assert contract.conformance is not None
    for log in contract.conformance.history:
        for i in range(log.min_items):
            history.append(log.params["conversationId"], {"role": "assistant" if i % 2 else "user", "turn_id": f"t-{i >> 1}", "chunk": {"kind": "text", "text": f"item {i + 1}"}})
    handlers = Handlers()
    store: SessionStore | None = None
    if os.environ.get("REDIS_URL"):
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        from agent_ui.runtime.server.redis_store import RedisStore

        def client() -> Redis:
            return Redis.from_url(os.environ["REDIS_URL"], retry=Retry(NoBackoff(), 0))

        timed = with_timers(contract, timers)  # the store keeps the TTL in Redis itself
        s, w = timed.session, timed.replay_window
        store = RedisStore(client(), client(), StoreBounds(s.ttl_ms, s.id_bits, s.token_bits, w.max_messages, w.max_bytes), prefix=os.environ.get("STORE_PREFIX", "contractgen:"))
    return contract_server(
        handlers,
        contract,
        store=store,
        history=[HistoryRoute(contract.history["conversationHistory"], history)],
        conformance=os.environ.get("CONFORMANCE", "1") == "1",
        timers=timers,
        authenticate=bearer_user if os.environ.get("USERS") == "1" else None,
    )


def bearer_user(request: AuthRequest) -> Authenticated | Refuse:
    """A1 (USERS=1): ``Authorization: Bearer <name>`` is principal <name>; anything else is refused."""
    m = re.fullmatch(r"Bearer (\w+)", request.headers.get("authorization", ""))
    return Authenticated(m.group(1)) if m else Refuse("unauthorized")


server = build()
app = server.app


async def bench_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``app`` plus ``POST /bench/emit?session=<id>&n=<n>&chunk=<k>`` (bench/python.ts): n agent.events
    to the session through ``emit_to``, in chunks of k, each chunk awaited — as the TypeScript
    server process of tests/redis does, so both are driven alike."""
    if scope["type"] == "http" and scope["path"] == "/bench/emit" and scope["method"] == "POST":
        query = Query(scope.get("query_string", b""))
        emitter = server.emit_to(query.get("session") or "")
        n, chunk = int(query.get("n") or "0"), int(query.get("chunk") or "1000")
        stored = 0
        for done in range(0, n, chunk):
            pending = [emitter.agent_event({"conversation_id": "c-1", "turn_id": "t-1", "kind": "text", "text": f"bench message {i}"}) for i in range(done, min(n, done + chunk))]
            for p in pending:
                await p
                stored += 1
        await send_json(send, 200, {"stored": stored, "failed": n - stored})
        return
    await app(scope, receive, send)


async def fanout_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``app`` plus ``POST /test/fanout?principal=<name>&text=<text>`` (tests/python/redis.test.ts):
    one agent.event to every session of the principal through ``emit_to_principal`` (without
    ``principal``: to every session through ``broadcast``), answered with the FanOutResult."""
    if scope["type"] == "http" and scope["path"] == "/test/fanout" and scope["method"] == "POST":
        query = Query(scope.get("query_string", b""))
        principal = query.get("principal")
        fan_out = server.emit_to_principal(principal) if principal else server.broadcast()
        result = await fan_out.agent_event({"conversation_id": "c-1", "turn_id": "t-1", "kind": "text", "text": query.get("text") or ""})
        await send_json(send, 200, dataclasses.asdict(result))
        return
    await app(scope, receive, send)
