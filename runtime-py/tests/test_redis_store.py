"""The Redis session store against a real redis-server: the same answers as the memory store
(S3, Q2, R3, S4), sessions shared by two stores (two processes' worth: created in one, resumed
and fed from the other, superseded across them), expiry, and its refusal of a retrying client."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from contractgen_runtime.server.memory_store import MemoryStore
from contractgen_runtime.server.redis_store import SCRIPTS, RedisStore, StoreOutcomeUnknownError
from contractgen_runtime.server.store import ReplayOk, ReplayRefused, RunAnswer, SessionFound, SessionMissing, StoreBounds, UnknownSessionError, frame_parts, verdict_of

from .redis_server import RedisServer


class Listener:
    def __init__(self) -> None:
        self.frames: list[int] = []
        self.events: list[str] = []

    def frame(self, frame: str, seq: int) -> None:
        self.frames.append(seq)

    def superseded(self) -> None:
        self.events.append("superseded")

    def ended(self) -> None:
        self.events.append("ended")


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.close()


BOUNDS = StoreBounds(ttl_ms=60_000, id_bits=128, token_bits=256, max_messages=5, max_bytes=10_000)


@pytest.fixture
async def stores(redis_server: RedisServer) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    made = [RedisStore(redis_server.client(), redis_server.client(), BOUNDS, prefix="t:") for _ in range(2)]
    yield made[0], made[1]
    for s in made:
        await s.close()


async def until(condition: object, what: str, timeout: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_same_answers_as_the_memory_store(kind: str, stores: tuple[RedisStore, RedisStore]) -> None:
    s: RedisStore | MemoryStore = stores[0] if kind == "redis" else MemoryStore(BOUNDS)
    sid, token = await s.create("1.1")
    assert await s.authenticate(sid, token) == SessionFound("1.1")
    assert await s.authenticate(sid, "A" * 43) == SessionMissing("unknown_session")
    assert await s.authenticate("B" * 22, token) == SessionMissing("unknown_session")
    seqs = [await _awaitable(s.append(sid, frame_parts("ui.patch", sid, f'{{"n":{i}}}'))) for i in range(1, 8)]
    assert seqs == list(range(1, 8))
    answer = await s.replay(sid, 4)
    assert isinstance(answer, ReplayOk) and [f.seq for f in answer.frames] == [5, 6, 7]
    assert answer.frames[0].frame == '{"type":"ui.patch","header":{"session_id":"' + sid + '","seq":5},"payload":{"n":5}}'
    assert await s.replay(sid, 1) == ReplayRefused("window_exceeded", 3, 7)
    assert await s.replay(sid, 8) == ReplayRefused("invalid_cursor", 3, 7)
    await s.release(sid, 5)
    assert await s.replay(sid, 4) == ReplayRefused("window_exceeded", 6, 7)
    await s.end(sid)
    assert await s.authenticate(sid, token) == SessionMissing("session_expired")
    with pytest.raises(UnknownSessionError):
        await _awaitable(s.append(sid, frame_parts("ui.patch", sid, "{}")))


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_accept_run_hands_each_cseq_over_once(kind: str, stores: tuple[RedisStore, RedisStore]) -> None:
    """C2: accepted once, in order, across two stores on one Redis; a duplicate at or below acked,
    a gap above acked + 1; a run straddling acked; the same run offered by both at once is accepted by exactly one."""
    memory = MemoryStore(BOUNDS)
    a, b = stores if kind == "redis" else (memory, memory)
    sid, _ = await a.create("1.1")

    async def run(store: RedisStore | MemoryStore, first: int, count: int) -> tuple[RunAnswer, list[str]]:
        answer = await store.accept_run(sid, first, count)
        return answer, [verdict_of(answer, c) for c in range(first, first + count)]

    assert await run(a, 1, 1) == (RunAnswer(0, 1), ["accepted"])
    assert await run(b, 1, 1) == (RunAnswer(1, 1), ["duplicate"])
    assert await run(b, 3, 2) == (RunAnswer(1, 1), ["gap", "gap"])
    assert await run(b, 1, 4) == (RunAnswer(1, 4), ["duplicate", "accepted", "accepted", "accepted"])
    assert await run(a, 2, 3) == (RunAnswer(4, 4), ["duplicate"] * 3)
    both = await asyncio.gather(run(a, 5, 3), run(b, 5, 3))
    assert sorted(",".join(v) for _, v in both) == ["accepted,accepted,accepted", "duplicate,duplicate,duplicate"]
    assert [x.acked for x, _ in both] == [7, 7]
    replay = await b.replay(sid, 0)
    assert isinstance(replay, ReplayOk) and replay.acked == 7
    with pytest.raises(UnknownSessionError):
        await a.accept_run("A" * 22, 1, 2)


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_concurrent_overlapping_runs_accept_each_cseq_once(kind: str, stores: tuple[RedisStore, RedisStore]) -> None:
    """C2: both stores offer overlapping runs around acked at once, round after round: every cseq
    up to acked is accepted by exactly one run, none above it."""
    memory = MemoryStore(BOUNDS)
    a, b = stores if kind == "redis" else (memory, memory)
    sid, _ = await a.create("1.1")
    rng = random.Random(7)
    owners: dict[int, str] = {}
    acked = 0
    for round_ in range(40):
        asked = [(max(1, acked + 1 + rng.randrange(5) - 2), 1 + rng.randrange(4)) for _ in range(6)]
        answers = await asyncio.gather(*((b if i % 2 else a).accept_run(sid, first, count) for i, (first, count) in enumerate(asked)))
        for i, ((first, count), answer) in enumerate(zip(asked, answers, strict=True)):
            for c in range(first, first + count):
                if verdict_of(answer, c) == "accepted":
                    assert c not in owners, f"cseq {c} accepted by {owners[c]} and {round_}.{i}"
                    owners[c] = f"{round_}.{i}"
            acked = max(acked, answer.acked)
    assert acked > 40
    assert sorted(owners) == list(range(1, acked + 1))


async def _awaitable(value: object) -> int:
    return value if isinstance(value, int) else await value  # type: ignore[no-any-return, misc]


async def test_two_stores_share_a_session(stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores
    sid, token = await a.create("1.1")
    assert await b.authenticate(sid, token) == SessionFound("1.1")
    on_a, on_b = Listener(), Listener()
    await a.attach(sid, "1.1", on_a)
    # Appended in the other process, delivered to the one that holds the attachment, in order.
    for _ in range(3):
        await b.append(sid, frame_parts("ui.patch", sid, "{}"))
    await until(lambda: on_a.frames == [1, 2, 3], "frames on a")
    # An attachment in b supersedes the one in a.
    await b.attach(sid, "1.1", on_b)
    await until(lambda: on_a.events == ["superseded"], "a superseded")
    await a.append(sid, frame_parts("ui.patch", sid, "{}"))
    await until(lambda: on_b.frames == [4], "frame 4 on b")
    assert on_a.frames == [1, 2, 3]
    # Ended anywhere, the holder hears it.
    await a.end(sid)
    await until(lambda: on_b.events == ["ended"], "b ended")


async def test_sessions_attached_at_once_each_get_their_frames(stores: tuple[RedisStore, RedisStore]) -> None:
    """Two attachments subscribing at the same moment on a fresh store: redis-py's PubSub would open
    two connections and drop the first subscription with its connection; frames of that session then
    waited for the TTL refresh (15 s here)."""
    a, _ = stores
    ids = [(await a.create("1.1"))[0] for _ in range(3)]
    listeners = [Listener() for _ in ids]
    await asyncio.gather(*(a.attach(sid, "1.1", listener) for sid, listener in zip(ids, listeners)))
    for sid in ids:
        await a.append(sid, frame_parts("ui.patch", sid, "{}"))
    await until(lambda: all(listener.frames == [1] for listener in listeners), "a frame on every attachment", timeout=3)


async def test_appends_keep_call_order(stores: tuple[RedisStore, RedisStore]) -> None:
    a, _ = stores
    sid, _ = await a.create("1.1")
    listener = Listener()
    await a.attach(sid, "1.1", listener)
    pending = [a.append(sid, frame_parts("agent.event", sid, f'{{"i":{i}}}')) for i in range(50)]
    assert [await p for p in pending] == list(range(1, 51))
    await until(lambda: len(listener.frames) == 5 or listener.frames == list(range(1, 51)), "frames")
    await until(lambda: listener.frames[-1] == 50, "the last frame")
    assert listener.frames == sorted(listener.frames) and len(set(listener.frames)) == len(listener.frames)


async def test_expiry_after_detach(redis_server: RedisServer) -> None:
    clock = [0.0]
    bounds = StoreBounds(ttl_ms=200, id_bits=128, token_bits=256, max_messages=5, max_bytes=10_000)
    s = RedisStore(redis_server.client(), redis_server.client(), bounds, prefix="e:", refresh_ms=50, now=lambda: clock[0])
    try:
        sid, token = await s.create("1.1")
        sub = await s.attach(sid, "1.1", Listener())
        await asyncio.sleep(0.4)  # attached: the owner refreshes the TTL
        assert await s.authenticate(sid, token) == SessionFound("1.1")
        await s.detach(sub)
        await asyncio.sleep(0.35)
        clock[0] = 1000
        assert await s.sweep(clock[0]) == [sid]
        assert await s.authenticate(sid, token) == SessionMissing("session_expired")
    finally:
        await s.close()


def test_refuses_a_client_that_retries(redis_server: RedisServer) -> None:
    with pytest.raises(TypeError, match="retry=Retry"):
        RedisStore(Redis(host="127.0.0.1", port=redis_server.port), redis_server.client(), BOUNDS)  # redis-py retries by default


async def test_a_lost_subscription_is_resubscribed_and_the_gap_filled(redis_server: RedisServer, stores: tuple[RedisStore, RedisStore]) -> None:
    a, b = stores
    sid, _ = await a.create("1.1")
    listener = Listener()
    await a.attach(sid, "1.1", listener)
    await b.append(sid, frame_parts("ui.patch", sid, "{}"))
    await until(lambda: listener.frames == [1], "frame 1")
    admin = redis_server.client()
    try:
        # Cut every subscriber connection; frames published meanwhile are missed by the subscription.
        await admin.client_kill_filter(_type="pubsub")
        for _ in range(3):
            await b.append(sid, frame_parts("ui.patch", sid, "{}"))
        await until(lambda: listener.frames[-1:] == [4], "frames 2..4 after the cut", timeout=10)
        assert listener.frames == [1, 2, 3, 4]
        await b.append(sid, frame_parts("ui.patch", sid, "{}"))
        await until(lambda: listener.frames[-1:] == [5], "frame 5 live again")
    finally:
        await admin.aclose()


async def test_proceed_continues_a_poll_attachment_on_another_store(stores: tuple[RedisStore, RedisStore], redis_server: RedisServer) -> None:
    """S4.10: B binds to A's live attachment without a claim (no epoch, A not superseded, data to
    both); an id that is not the live one proceeds nowhere; A's detach leaves it attached while
    B's lease runs; B's detach after its lease lets go of it."""
    a, b = stores
    sid, _ = await a.create("1.1")
    on_a, on_b = Listener(), Listener()
    sub = await a.attach(sid, "1.1", on_a)
    await a.append(sid, frame_parts("ui.patch", sid, "{}"))
    assert await b.proceed(sid, "not-the-live-one", 1000, Listener()) is None
    continued = await b.proceed(sid, sub.attachment_id, 300, on_b)
    assert continued is not None and (continued.latest_seq, continued.acked, continued.subscription.attachment_id) == (1, 0, sub.attachment_id)
    meta = a.keys_of(sid)["meta"]
    redis = redis_server.client()
    assert await redis.hget(meta, "epoch") in ("1", b"1")  # no claim
    await a.append(sid, frame_parts("ui.patch", sid, "{}"))
    await until(lambda: 2 in on_a.frames and 2 in on_b.frames, "seq 2 on both")
    assert on_b.frames == [2] and on_a.events == on_b.events == []
    await a.detach(sub)  # A's lease ran out first: B's poll keeps the attachment live
    assert await redis.hget(meta, "owner") is not None
    assert await b.renew(continued.subscription, 300)
    await asyncio.sleep(0.35)
    await b.detach(continued.subscription)
    assert await redis.hget(meta, "owner") is None
    assert await b.proceed(sid, sub.attachment_id, 300, Listener()) is None
    await redis.aclose()


async def test_an_accept_run_that_lost_its_answer_is_told_apart_by_its_hand_off(stores: tuple[RedisStore, RedisStore]) -> None:
    """C2 after a lost answer: landed (even straddling acked) gives the verdicts it had; never landed
    is decided now; accepted through its end by another hand-off is duplicates; acked moved past
    it cannot be told, so nothing of the run is handed over."""
    store = stores[0]
    cause = ConnectionError("connection lost")

    async def run(sid: str, first: int, count: int, handoff: str) -> RunAnswer:
        before, after = await SCRIPTS["ACCEPT_RUN"].run(store._redis, store._keys(sid), [first, count, handoff])
        return RunAnswer(int(before), int(after))

    def verdicts(answer: RunAnswer, first: int, count: int) -> list[str]:
        return [verdict_of(answer, c) for c in range(first, first + count)]

    landed, _ = await store.create("1.1")
    await run(landed, 1, 2, "earlier")
    assert await run(landed, 1, 4, "lost") == RunAnswer(2, 4)
    assert verdicts(await store._verify_accept(landed, 1, 4, "lost", cause), 1, 4) == ["duplicate", "duplicate", "accepted", "accepted"]

    never, _ = await store.create("1.1")
    await run(never, 1, 2, "earlier")
    assert verdicts(await store._verify_accept(never, 2, 3, "lost", cause), 2, 3) == ["duplicate", "accepted", "accepted"]

    other, _ = await store.create("1.1")
    await run(other, 1, 4, "other")
    assert verdicts(await store._verify_accept(other, 3, 2, "lost", cause), 3, 2) == ["duplicate", "duplicate"]

    past, _ = await store.create("1.1")
    await run(past, 1, 6, "other")
    with pytest.raises(StoreOutcomeUnknownError):
        await store._verify_accept(past, 3, 2, "lost", cause)
