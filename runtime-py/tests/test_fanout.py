"""Fan-out (``emit_to_principal``, ``broadcast``) on the generated Python server over real sockets:
every session of a principal (or every session) gets the message through the one send path, each
with its own gap-free seq (Q2, Q3); an invalid payload is refused once, before any session is
touched. On Redis: two servers (each its own store and connections) reach each other's sessions
through the same index keys and scripts as the TypeScript store (runtime/server/redis-index.ts),
a listed session that ended counts as gone, and the indexes are pruned at powers of two from 64
and kept alive by the attachments' TTL refresh."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import websockets

from agent_ui import FanOutResult, OutboundRejectedError, create_agent_ui_server
from agent_ui.runtime.server.memory_store import MemoryStore
from agent_ui.runtime.server.redis_store import RedisStore
from agent_ui.runtime.server.store import StoreBounds

from .redis_server import RedisServer
from .test_auth import as_, bearer
from .test_redis_store import Listener
from .test_server import Handlers, next_frame

BOUNDS = StoreBounds(ttl_ms=60_000, id_bits=128, token_bits=256, max_messages=100, max_bytes=1_000_000)


def event(text: str) -> Any:
    return {"conversation_id": "c", "turn_id": "t", "kind": "text", "text": text}


async def data(ws: Any, n: int) -> list[tuple[int, str]]:
    return [(f["header"]["seq"], f["payload"]["text"]) for f in [await next_frame(ws) for _ in range(n)]]


async def test_emit_to_principal_and_broadcast_in_one_process(serve: Callable[..., Any]) -> None:
    server = create_agent_ui_server(Handlers(), authenticate=bearer)
    served = await serve(server.app)
    async with (
        websockets.connect(f"{served.ws_url}/ws", additional_headers=as_("alice")) as alice1,
        websockets.connect(f"{served.ws_url}/ws", additional_headers=as_("bob")) as bob,
        httpx.AsyncClient(base_url=served.url, timeout=10) as http,
    ):
        for ws in (alice1, bob):
            assert (await next_frame(ws))["type"] == "protocol.hello"
        # alice's second session is a long-poll one.
        opened = (await http.get("/poll", headers=as_("alice"))).json()["frames"][0]["payload"]
        sid, token = opened["session_id"], opened["resume_token"]

        assert await server.emit_to_principal("alice").agent_event(event("to alice")) == FanOutResult(2, 0, 0)
        assert await server.broadcast().agent_event(event("to all")) == FanOutResult(3, 0, 0)
        assert await server.emit_to_principal("nobody").agent_event(event("x")) == FanOutResult(0, 0, 0)
        # Refused at once, before any session is listed: no seq is consumed anywhere.
        with pytest.raises(OutboundRejectedError, match="invalid agent.event"):
            server.broadcast().agent_event({"nope": True})  # type: ignore[typeddict-item]
        assert await server.emit_to_principal("alice").agent_event(event("again")) == FanOutResult(2, 0, 0)

        assert await data(alice1, 3) == [(1, "to alice"), (2, "to all"), (3, "again")]
        assert await data(bob, 1) == [(1, "to all")]
        polled = (await http.get("/poll", params={"session_id": sid, "cursor": 0}, headers=as_("alice", token))).json()["frames"]
        assert [(f["header"]["seq"], f["payload"]["text"], f["header"]["session_id"]) for f in polled] == [(1, "to alice", sid), (2, "to all", sid), (3, "again", sid)]
        # An ended session is no longer listed by the memory store.
        await server.end_session(sid)
        assert await server.emit_to_principal("alice").agent_event(event("last")) == FanOutResult(1, 0, 0)
        assert await data(alice1, 1) == [(4, "last")]


async def test_memory_store_lists_sessions_by_owner() -> None:
    store = MemoryStore(BOUNDS)
    a1, _ = await store.create("1.1", "alice", '"alice"')
    a2, _ = await store.create("1.1", "alice", '"alice"')
    b1, _ = await store.create("1.1", "bob", '"bob"')
    anon, _ = await store.create("1.1")
    assert sorted(await store.sessions_of("alice")) == sorted([a1, a2])
    assert sorted(await store.sessions_of(None)) == sorted([a1, a2, b1, anon])
    assert await store.sessions_of("") == []  # anonymous sessions are reached by broadcast only
    await store.end(a1)
    assert await store.sessions_of("alice") == [a2]
    assert await store.sweep(10**12) == [a2, b1, anon]  # detached since creation: all expire
    assert await store.sessions_of("alice") == [] and await store.sessions_of(None) == []


async def test_fan_out_keeps_each_window_within_its_bounds() -> None:
    """Q3/R3: fan-out appends through the outbox, so each session's replay window keeps its bound."""
    store = MemoryStore(StoreBounds(ttl_ms=60_000, id_bits=128, token_bits=256, max_messages=2, max_bytes=1_000_000))
    server = create_agent_ui_server(Handlers(), store=store)
    ids = [(await store.create("1.1", "alice", '"alice"'))[0] for _ in range(2)]
    for i in range(3):
        assert await server.emit_to_principal("alice").agent_event(event(f"m{i}")) == FanOutResult(2, 0, 0)
    for sid in ids:
        peek = store.peek(sid)
        assert peek is not None and (peek.earliest_seq, peek.latest_seq, peek.window_size) == (2, 3, 2)
    # Too large for the contract: refused at once, before any session (no seq consumed).
    with pytest.raises(OutboundRejectedError, match="frame_too_large|bytes"):
        server.broadcast().agent_event(event("x" * (server.contract.max_frame_bytes + 1)))
    assert all((p := store.peek(sid)) is not None and p.latest_seq == 3 for sid in ids)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


prefixes = iter(range(1_000_000))


@pytest.fixture
async def redis_stores(redis_server: RedisServer) -> AsyncIterator[Callable[..., RedisStore]]:
    made: list[RedisStore] = []
    prefix = f"fan{next(prefixes)}:"

    def make(bounds: StoreBounds = BOUNDS, **options: Any) -> RedisStore:
        store = RedisStore(redis_server.client(), redis_server.client(), bounds, prefix=prefix, **options)
        made.append(store)
        return store

    yield make
    for s in made:
        await s.close()


async def test_two_servers_on_redis_reach_each_others_sessions(serve: Callable[..., Any], redis_stores: Callable[..., RedisStore]) -> None:
    a = create_agent_ui_server(Handlers(), authenticate=bearer, store=redis_stores())
    b = create_agent_ui_server(Handlers(), authenticate=bearer, store=redis_stores())
    on_a, on_b = await serve(a.app), await serve(b.app)
    async with (
        websockets.connect(f"{on_a.ws_url}/ws", additional_headers=as_("alice")) as alice1,
        websockets.connect(f"{on_b.ws_url}/ws", additional_headers=as_("alice")) as alice2,
        websockets.connect(f"{on_a.ws_url}/ws", additional_headers=as_("bob")) as bob,
    ):
        hellos = [await next_frame(ws) for ws in (alice1, alice2, bob)]
        assert await b.emit_to_principal("alice").agent_event(event("to alice")) == FanOutResult(2, 0, 0)
        assert await a.broadcast().agent_event(event("to all")) == FanOutResult(3, 0, 0)
        for ws in (alice1, alice2):
            assert await data(ws, 2) == [(1, "to alice"), (2, "to all")]
        assert await data(bob, 1) == [(1, "to all")]
        # Ended on A: still in the index (members leave when pruned), so B counts it gone, not failed.
        await a.end_session(hellos[0]["payload"]["session_id"])
        assert await b.emit_to_principal("alice").agent_event(event("after")) == FanOutResult(1, 1, 0)
        assert await data(alice2, 1) == [(3, "after")]


async def test_index_keys_are_the_typescript_ones(redis_server: RedisServer, redis_stores: Callable[..., RedisStore]) -> None:
    store = redis_stores()
    sid, _ = await store.create("1.1", "alice", '"alice"')
    anon, _ = await store.create("1.1")
    prefix = store._prefix
    redis = redis_server.client()
    try:
        owner = f"{prefix}index:o:{hashlib.sha256(b'alice').hexdigest()}"
        assert await redis.smembers(owner) == {sid.encode()}
        assert await redis.smembers(f"{prefix}index:all") == {sid.encode(), anon.encode()}
        # The indexes live as long as the tombstones (the TTL plus a day by default).
        ttl = await redis.pttl(owner)
        assert BOUNDS.ttl_ms + 24 * 3600 * 1000 - 60_000 < ttl <= BOUNDS.ttl_ms + 24 * 3600 * 1000
    finally:
        await redis.aclose()


async def test_an_index_is_pruned_at_a_power_of_two(redis_server: RedisServer, redis_stores: Callable[..., RedisStore]) -> None:
    errors: list[BaseException] = []
    store = redis_stores(on_error=errors.append)
    ids = [(await store.create("1.1", "carol", '"carol"'))[0] for _ in range(63)]
    for sid in ids[:40]:
        await store.end(sid)
    assert len(await store.sessions_of("carol")) == 63  # not pruned below 64
    last, _ = await store.create("1.1", "carol", '"carol"')  # the 64th: a prune of both indexes starts
    live = sorted(ids[40:] + [last])

    async def listed() -> tuple[list[str], list[str]]:
        return sorted(await store.sessions_of("carol")), sorted(await store.sessions_of(None))

    deadline = asyncio.get_running_loop().time() + 5
    while await listed() != (live, live):
        assert asyncio.get_running_loop().time() < deadline and not errors, f"the indexes were not pruned: {errors}"
        await asyncio.sleep(0.02)


async def test_attached_sessions_keep_their_indexes_alive(redis_server: RedisServer, redis_stores: Callable[..., RedisStore]) -> None:
    # The index TTL is the tombstone TTL: 800 ms here; the refresh (every 200 ms: a quarter of the TTL) touches it.
    bounds = StoreBounds(ttl_ms=800, id_bits=128, token_bits=256, max_messages=5, max_bytes=10_000)
    store = redis_stores(bounds, tombstone_ms=0)
    held, _ = await store.create("1.1", "dave", '"dave"')
    await store.attach(held, "1.1", Listener())
    await asyncio.sleep(2.5)  # three index TTLs: only the touches keep it
    assert await store.sessions_of("dave") == [held]
    assert await store.sessions_of(None) == [held]
    # Without an attachment nothing touches it: it expires.
    other = redis_stores(bounds, tombstone_ms=0)
    lone, _ = await other.create("1.1", "erin", '"erin"')
    assert await other.sessions_of("erin") == [lone]
    await asyncio.sleep(1.2)  # one index TTL and a half
    assert await other.sessions_of("erin") == []
