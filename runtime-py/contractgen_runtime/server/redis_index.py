"""Fan-out on Redis: which sessions a principal has, and which sessions there are, across every
process (``emit_to_principal``, ``broadcast``). A port of runtime/server/redis-index.ts with the same
keys and scripts, so a Python and a TypeScript process list each other's sessions. Two kinds of
SET: every session (P``index:all``), and the sessions of one owner (P``index:o:<hex>``). A session
joins both when it is created. Members are not removed when a session ends; instead:

- an index is pruned when its size reaches a power of two from 64 on (each member's status is
  asked, the gone ones removed), so it never holds more than about twice its live sessions (L2);
- an index expires ``ttl_ms`` after its last new session, and the owner of an attachment keeps the
  indexes of its sessions from expiring while they are attached (``touch``, from the TTL refresh);
- a listed session that is gone is skipped by the fan-out (its append raises UnknownSessionError).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

#: Members removed per script call.
CHUNK = 500

#: Members asked about at once: redis-py's pool refuses commands past its connections (100 by default).
ASK_AT_ONCE = 32

#: Runs a script (by name in redis_scripts.py) on keys with args.
RunScript = Callable[[str, Sequence[str], Sequence[str | int]], Awaitable[Any]]


def prunes_at(size: int) -> bool:
    """Sizes at which an index is pruned: 64, 128, 256, …"""
    return size >= 64 and size & (size - 1) == 0


class RedisIndex:
    """Owners are named by the hex digest of their key (``owner_digest``), "" for anonymous sessions."""

    def __init__(
        self,
        run: RunScript,
        prefix: str,
        ttl_ms: int,
        session_keys: Callable[[str], list[str]],
        now: Callable[[], float],
        report: Callable[[BaseException, str], None],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        self._run = run
        self._all = f"{prefix}index:all"
        self._prefix = prefix
        self._ttl_ms = ttl_ms
        self._session_keys = session_keys
        self._now = now
        self._report = report
        self._spawn = spawn
        #: When each index was last kept alive here (only those of attachments held here).
        self._touched: dict[str, float] = {}

    def _of_owner(self, digest: str) -> str:
        return f"{self._prefix}index:o:{digest}"

    async def add(self, session_id: str, owner: str) -> None:
        """A new session of ``owner`` joins the indexes (a Redis failure raises; the store names it)."""
        keys = [self._all] + ([] if owner == "" else [self._of_owner(owner)])
        await asyncio.gather(*(self._join(key, session_id) for key in keys))

    async def list(self, owner: str | None) -> list[str]:
        """The ids of ``owner``'s sessions (None: every session); may include a few that just ended."""
        key = self._all if owner is None else self._of_owner(owner)
        return [_text(m) for m in await self._run("INDEX_LIST", [key], [])]

    def touch(self, owner: str) -> None:
        """The owner of an attachment keeps its indexes from expiring (called from the TTL refresh)."""
        at = self._now()
        for key in [self._all] + ([] if owner == "" else [self._of_owner(owner)]):
            if at - self._touched.get(key, -self._ttl_ms) < self._ttl_ms / 4:
                continue
            self._touched[key] = at
            self._spawn(self._keep(key))
        # Bounded: indexes touched long ago are forgotten (touched again if still held).
        if len(self._touched) > 10_000:
            self._touched = {k: t for k, t in self._touched.items() if at - t < self._ttl_ms / 4}

    async def _keep(self, key: str) -> None:
        try:
            await self._run("INDEX_TOUCH", [key], [self._ttl_ms])
        except Exception as error:  # reported, never raised out of a timer
            self._report(error, f"keeping {key} alive")

    async def _join(self, key: str, session_id: str) -> None:
        size = int(await self._run("INDEX_ADD", [key], [session_id, self._ttl_ms]))
        if prunes_at(size):
            self._spawn(self._prune(key))

    async def _prune(self, key: str) -> None:
        try:
            ids = [_text(m) for m in await self._run("INDEX_LIST", [key], [])]
            gone: list[str] = []
            for i in range(0, len(ids), ASK_AT_ONCE):
                chunk = ids[i : i + ASK_AT_ONCE]
                statuses = await asyncio.gather(*(self._run("STATUS", self._session_keys(sid), []) for sid in chunk))
                gone += [sid for sid, status in zip(chunk, statuses) if int(status) == 0]
            for i in range(0, len(gone), CHUNK):
                await self._run("INDEX_REMOVE", [key], gone[i : i + CHUNK])
        except Exception as error:  # reported: the next prune tries again
            self._report(error, f"pruning {key}")


def _text(value: object) -> str:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else str(value)
