"""What the Redis stores (redis_store.py, history_redis.py) need of a ``redis`` client: Lua scripts
run with EVALSHA (EVAL when Redis does not know them yet: a fresh or restarted server), the refusal
of a client that would send a command twice, failures as StoreUnavailableError naming what failed,
and the scripts' answers read as text, integers and arrays. A port of
runtime/server/redis-connection.ts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from . import redis_scripts as lua
from .store import StoredFrame, StoreUnavailableError


class RedisScript:
    """A Lua script run with EVALSHA, falling back to EVAL when Redis does not know it yet."""

    def __init__(self, name: str, source: str) -> None:
        import hashlib

        self.name = name
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def run(self, redis: Redis, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)


SCRIPTS = {name: RedisScript(name, getattr(lua, name)) for name in ("CREATE", "AUTHENTICATE", "APPEND", "REPLAY", "RELEASE", "ATTACH", "DETACH", "REFRESH", "END", "STATUS", "VERIFY", "ACCEPT_RUN", "ACCEPTED", "PROCEED", "INDEX_ADD", "INDEX_LIST", "INDEX_REMOVE", "INDEX_TOUCH")}


def unavailable(what: str, error: BaseException) -> StoreUnavailableError:
    if isinstance(error, StoreUnavailableError):
        return error
    result = StoreUnavailableError(f"redis store: {what} failed: {error}")
    result.__cause__ = error
    return result


def check_no_retries(client: Redis, role: str) -> None:
    """A client that would re-send a command after a dropped connection is refused (see redis_store.py's module doc)."""
    pool = client.connection_pool
    # What a connection of the pool will do: its own default when the client names no retry.
    probe = pool.connection_class(**pool.connection_kwargs)
    retries = probe.retry.get_retries() if probe.retry is not None else 0
    if retries != 0:
        raise TypeError(
            f"redis store: the {role} client retries commands {retries} time(s); create it with "
            "retry=Retry(NoBackoff(), 0) (from redis.asyncio.retry / redis.backoff) so that a lost Redis fails an "
            "operation at once and a command in flight is never sent twice"
        )


def maybe_sent(error: BaseException) -> bool:
    """redis-py says "Error … connecting to …" when it could not connect: the command was never
    sent. Any other drop may have come after Redis ran it."""
    return "connecting to" not in str(error).lower()


def text(value: object) -> str:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else str(value)


def as_int(value: object, what: str) -> int:
    try:
        return int(text(value)) if not isinstance(value, int) else value
    except ValueError:
        raise StoreUnavailableError(f"redis store: {what} answered {value!r}, not an integer") from None


def as_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise StoreUnavailableError(f"redis store: {what} answered {value!r}, not an array")
    return value


def frames_of(entries: list[Any], what: str) -> list[StoredFrame]:
    out = []
    for entry in entries:
        entry_id, fields = as_list(entry, what)
        f = as_list(fields, what)
        out.append(StoredFrame(as_int(text(entry_id).split("-")[0], what), text(f[5])))
    return out
