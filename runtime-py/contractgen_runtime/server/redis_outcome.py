"""What became of an append or an accept of the Redis store (redis_store.py) whose connection
dropped while it was in flight (C2): it may or may not have landed. Redis is asked until it
answers or ``verify_ms`` runs out: an append by its random id (found, it is the seq; searched every
seq it could have had, it was not stored), an accept by its hand-off id; otherwise
StoreOutcomeUnknownError says what is not known. A port of runtime/server/redis-outcome.ts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .redis_connection import SCRIPTS, as_int, as_list, text, unavailable
from .store import RunAnswer, StoreUnavailableError, UnknownSessionError


class StoreOutcomeUnknownError(StoreUnavailableError):
    """An append whose connection dropped in flight, and Redis could not be asked whether it landed."""


def run_answer(session_id: str, answer: object) -> RunAnswer:
    """C2: ACCEPT_RUN's {before, after}; {-1, 0}: the session is gone."""
    before, after = as_list(answer, "accept_run")
    b = as_int(before, "accept_run")
    if b == -1:
        raise UnknownSessionError(session_id)
    return RunAnswer(b, as_int(after, "accept_run"))


class OutcomeVerifier:
    """Asks Redis what became of an operation that lost its answer in flight."""

    def __init__(self, redis: Redis, verify_ms: int, now: Callable[[], float], closed: Callable[[], bool]) -> None:
        self._redis = redis
        self._verify_ms = verify_ms
        self._now = now
        self._closed = closed

    async def ask(self, question: Callable[[], Awaitable[Any]], timed_out: Callable[[], StoreOutcomeUnknownError], cause: BaseException) -> Any:
        """Asks Redis ``question`` until it answers or ``verify_ms`` runs out (then ``timed_out``
        says what is not known), after an operation lost its answer in flight."""
        deadline = self._now() + self._verify_ms
        while True:
            try:
                return await question()
            except (RedisError, OSError):
                if self._closed() or self._now() >= deadline:
                    raise timed_out() from cause
                await asyncio.sleep(0.05)

    async def append(self, session_id: str, keys: Sequence[str], append_id: str, first_possible: int, cause: BaseException) -> int:
        """After an append's connection dropped in flight: did it land? Its seq if it did."""
        seq, earliest = as_list(
            await self.ask(
                lambda: SCRIPTS["VERIFY"].run(self._redis, keys, [append_id, first_possible]),
                lambda: StoreOutcomeUnknownError(
                    f"redis store: append (session {session_id}) lost its connection in flight ({cause}) and Redis could not be asked within {self._verify_ms} ms whether it was stored; it may have been stored and sent"
                ),
                cause,
            ),
            "verify",
        )
        found = as_int(seq, "verify")
        if found > 0:
            return found
        e = as_int(earliest, "verify")
        if e == -1:
            raise UnknownSessionError(session_id)
        if e <= first_possible:
            raise unavailable(f"append (session {session_id})", cause)  # searched every seq it could have: not stored
        raise StoreOutcomeUnknownError(f"redis store: append (session {session_id}) lost its connection in flight and has left the replay window since; it may have been stored and sent") from cause

    async def accept(self, session_id: str, keys: Sequence[str], first: int, count: int, handoff: str, cause: BaseException) -> RunAnswer:
        """C2, after an accept_run's connection dropped in flight. A run that landed and accepted set
        acked to its last cseq, and acked only grows: below it, the run accepted nothing and is run
        again; at it by this hand-off id, accepted from ``ackfrom``; by another, duplicates; anything
        it cannot tell raises StoreOutcomeUnknownError, and no frame of the run is handed over (at most once)."""
        last = first + count - 1
        run = f"cseq {first}" if count == 1 else f"cseqs {first}–{last}"

        async def question() -> RunAnswer:
            acked_raw, by, ack_from = as_list(await SCRIPTS["ACCEPTED"].run(self._redis, keys, []), "accepted")
            acked = as_int(acked_raw, "accepted")
            if acked == -1:
                raise UnknownSessionError(session_id)
            if acked < last:
                return run_answer(session_id, await SCRIPTS["ACCEPT_RUN"].run(self._redis, keys, [first, count, handoff]))
            if acked == last:
                return RunAnswer(as_int(ack_from, "accepted") - 1, acked) if text(by) == handoff else RunAnswer(acked, acked)
            raise StoreOutcomeUnknownError(f"redis store: accept of {run} (session {session_id}) lost its connection in flight and acked has moved past it since; it was not handed to its handler") from cause

        answer: RunAnswer = await self.ask(
            question,
            lambda: StoreOutcomeUnknownError(
                f"redis store: accept of {run} (session {session_id}) lost its connection in flight and Redis could not be asked within {self._verify_ms} ms; it was not handed to its handler"
            ),
            cause,
        )
        return answer
