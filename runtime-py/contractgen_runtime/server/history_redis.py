"""Windowed history (W1-W6) on Redis: one STREAM per conversation whose entry ids are
``<seq>-0``, so seq = index + 1 (W4) and a window is one XRANGE between two ids — O(log n + k)
in the stream's radix tree (W6). Append and read are each one Lua script, the same as
runtime/server/history-redis.ts (same keys, same scripts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..json_text import dumps, loads
from . import redis_scripts as lua
from .history import HistoryWindow, HistoryWindowQuery, read_window
from .redis_connection import RedisScript, text, unavailable

T = TypeVar("T", bound=Mapping[str, Any])

_APPEND = RedisScript("history-append", lua.HISTORY_APPEND)
_READ = RedisScript("history-read", lua.HISTORY_READ)
_CREATE = RedisScript("history-create", lua.HISTORY_CREATE)
_SIZE = RedisScript("history-size", lua.HISTORY_SIZE)


class RedisHistoryStore(Generic[T]):
    def __init__(self, redis: Redis, prefix: str = "contractgen:history:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def _run(self, what: str, script: RedisScript, conversation_id: str, args: list[str | int]) -> Any:
        try:
            return await script.run(self._redis, [self._prefix + conversation_id], args)
        except (RedisError, OSError) as error:
            raise unavailable(f"history {what} (conversation {dumps(conversation_id)})", error) from error

    async def append(self, conversation_id: str, item: Mapping[str, object]) -> T:
        stored = {k: v for k, v in item.items() if k != "seq"}  # the entry id carries it
        seq = int(await self._run("append", _APPEND, conversation_id, [dumps(stored)]))
        return cast(T, {"seq": seq, **stored})

    async def read(self, conversation_id: str, query: HistoryWindowQuery) -> HistoryWindow[T] | None:
        read_window([], query)  # checks the query exactly as the memory store does (ValueError)
        answer = await self._run("read", _READ, conversation_id, [query.since_seq, query.before_seq or 0, query.limit or 0])
        if answer == -1:
            return None
        entries = answer[1] if len(answer) > 1 else []
        if not entries:
            return HistoryWindow([], query.since_seq)
        chunks = []
        for entry_id, fields in entries:
            item = loads(text(fields[1]))
            chunks.append(cast(T, {"seq": int(text(entry_id).split("-")[0]), **(item if isinstance(item, dict) else {})}))
        first, last = chunks[0]["seq"], chunks[-1]["seq"]
        if last - first + 1 != len(chunks):
            raise ValueError(f"redis history: conversation {dumps(conversation_id)} is not gap-free (seqs {first}..{last} in {len(chunks)} entries)")
        return HistoryWindow(chunks, last)

    async def size(self, conversation_id: str) -> int:
        return int(await self._run("size", _SIZE, conversation_id, []))

    async def create(self, conversation_id: str) -> None:
        await self._run("create", _CREATE, conversation_id, [])
