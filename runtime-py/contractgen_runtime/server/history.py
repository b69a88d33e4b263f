"""Windowed history read (W1-W6): the ``GET /conversations/{conversationId}`` contract.

A conversation is an append-only log whose items carry a 1-based, gap-free ``seq`` (W4), so
``seq = index + 1`` and every window is index arithmetic plus one slice (W6). Three layers:
``read_window`` (pure W1/W3 over such a list), ``parse_history_query`` (pure W2 over a query
string) and ``HistoryEndpoint`` (the ASGI answer). A port of runtime/server/history.ts.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar, cast
from urllib.parse import unquote

from ..contract import HistoryDescriptor
from ..frames import clip
from ..json_text import dumps
from ..validation import ecma_pattern
from .transports.http_util import Query, Scope, send_json

T = TypeVar("T", bound=Mapping[str, Any])
MAX_SEQ = 9007199254740991


@dataclass(frozen=True, slots=True)
class HistoryWindowQuery:
    """W1: a parsed, valid history query. ``since_seq`` defaults to 0 at parse time."""

    since_seq: int = 0
    before_seq: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryWindow(Generic[T]):
    """W1/W3: the window, ascending by seq, and the tail cursor."""

    chunks: Sequence[T]
    #: W3: the last returned seq, or the requested since_seq when nothing is returned.
    latest_seq: int


class HistoryStore(Protocol[T]):
    def append(self, conversation_id: str, item: Mapping[str, object]) -> T | Awaitable[T]:
        """Appends an item; the store assigns seq = previous + 1 (W4). Returns the stamped item."""

    def read(self, conversation_id: str, query: HistoryWindowQuery) -> HistoryWindow[T] | None | Awaitable[HistoryWindow[T] | None]:
        """W1/W3 window read; None when the conversation does not exist."""


def _is_count(value: object, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= MAX_SEQ


def read_window(items: Sequence[T], query: HistoryWindowQuery) -> HistoryWindow[T]:
    """W1/W3/W6: the window of ``query`` over a gap-free log where ``items[i]["seq"] == i + 1``.
    Only the returned items are read: O(k). Raises ValueError on an invalid query and when the
    log turns out not to be gap-free."""
    since, before, limit = query.since_seq, query.before_seq, query.limit
    if not _is_count(since, 0):
        raise ValueError(f"read_window: since_seq must be a non-negative safe integer, got {since!r}")
    if before is not None and not _is_count(before, 1):
        raise ValueError(f"read_window: before_seq must be a positive safe integer, got {before!r}")
    if limit is not None and not _is_count(limit, 1):
        raise ValueError(f"read_window: limit must be a positive safe integer, got {limit!r}")
    n = len(items)
    start = min(since, n)  # first index with seq > since
    end = n if before is None else min(before - 1, n)  # first index with seq >= before
    if end <= start:
        return HistoryWindow([], since)
    if limit is not None and end - start > limit:
        start = end - limit  # the newest `limit` of the selection
    chunks = items[start:end]
    first, last = chunks[0].get("seq"), chunks[-1].get("seq")
    # Two O(1) spot checks: a list that is not seq = index + 1 would answer the wrong window silently.
    if first != start + 1 or last != end:
        raise ValueError(f"read_window: the log is not 1-based and gap-free (index {start} holds seq {first}, index {end - 1} holds seq {last})")
    return HistoryWindow(chunks, end)


class MemoryHistoryStore(Generic[T]):
    """One list per conversation, ``seq = len + 1`` on append (W4), reads through read_window (W6).
    Stored items are copies with ``seq`` as the first key; appending creates the conversation."""

    def __init__(self) -> None:
        self._logs: dict[str, list[T]] = {}

    def append(self, conversation_id: str, item: Mapping[str, object]) -> T:
        log = self._logs.setdefault(conversation_id, [])
        stamped = cast(T, {"seq": len(log) + 1, **{k: v for k, v in item.items() if k != "seq"}})
        log.append(stamped)
        return stamped

    def read(self, conversation_id: str, query: HistoryWindowQuery) -> HistoryWindow[T] | None:
        log = self._logs.get(conversation_id)
        return None if log is None else read_window(log, query)

    def size(self, conversation_id: str) -> int:
        return len(self._logs.get(conversation_id, ()))

    def create(self, conversation_id: str) -> None:
        """Creates an empty conversation (no-op when it exists), so reads answer 200 instead of 404."""
        self._logs.setdefault(conversation_id, [])


# ---------------------------------------------------------------------------------------------
# W2: query parsing


@dataclass(frozen=True, slots=True)
class QueryError:
    parameter: str
    error: str
    ok: Literal[False] = False


QUERY_PARAMETERS = ("sinceSeq", "beforeSeq", "limit")
_CANONICAL_INTEGER = re.compile(r"^(?:0|[1-9][0-9]*)\Z")


def _quote(value: str) -> str:
    """Quotes an untrusted value for an error text, cut short so an answer stays small."""
    return dumps(value[:64] + "…" if len(value) > 64 else value)


def parse_history_query(params: Sequence[tuple[str, str]], max_limit: int | None = None) -> HistoryWindowQuery | QueryError:
    """W2: parses sinceSeq, beforeSeq and limit, all optional (sinceSeq defaults to 0). Each must be
    a canonical decimal integer no larger than 2^53 - 1; a repeated or unknown parameter is an
    error too, so a typo like ``limt`` cannot silently return the whole log. The first error wins."""
    if max_limit is not None and not _is_count(max_limit, 1):
        raise ValueError(f"parse_history_query: max_limit must be a positive safe integer, got {max_limit!r}")
    seen: dict[str, list[str]] = {}
    for name, value in params:
        if name not in QUERY_PARAMETERS:
            # L2: the name is cut short where it is echoed (its error and its parameter field alike).
            return QueryError(clip(name), f"unknown query parameter {_quote(name)}; the allowed parameters are {', '.join(QUERY_PARAMETERS)}")
        if name in seen:
            values = seen[name] + [value]
            return QueryError(name, f"{name} must be given at most once, got {len(values)} values ({', '.join(_quote(v) for v in values)})")
        seen[name] = [value]
    bounds = {
        "sinceSeq": (0, MAX_SEQ, "a non-negative integer"),
        "beforeSeq": (1, MAX_SEQ, "a positive integer"),
        "limit": (1, max_limit if max_limit is not None else MAX_SEQ, "a positive integer"),
    }
    parsed: dict[str, int] = {}
    for name in QUERY_PARAMETERS:
        if name not in seen:
            continue
        raw = seen[name][0]
        least, most, kind = bounds[name]
        number = int(raw) if _CANONICAL_INTEGER.match(raw) and len(raw) <= 16 else None
        if number is None or not least <= number <= most:
            return QueryError(name, f"{name} must be {kind} ({least}..{most}), got {_quote(raw)}")
        parsed[name] = number
    return HistoryWindowQuery(parsed.get("sinceSeq", 0), parsed.get("beforeSeq"), parsed.get("limit"))


# ---------------------------------------------------------------------------------------------
# HTTP

_TEMPLATE_PARAM = re.compile(r"^\{([^{}/]+)\}\Z")


def match_history_path(template: str, raw_path: str) -> dict[str, str] | None:
    """Matches a template such as ``/conversations/{conversationId}`` against a raw (still
    percent-encoded) path. A ``{name}`` must be a whole, non-empty segment; its value is
    percent-decoded once. Literal segments compare exactly."""
    want = template.split("/")
    got = raw_path.split("/")
    if len(want) != len(got):
        return None
    params: dict[str, str] = {}
    for w, g in zip(want, got):
        m = _TEMPLATE_PARAM.match(w)
        if m is None:
            if w != g:
                return None
            continue
        if g == "":
            return None
        try:
            params[m.group(1)] = unquote(g, errors="strict")
        except UnicodeDecodeError:
            return None  # a malformed escape, e.g. %E0%A4%A
    return params


def raw_route_path(scope: Scope) -> str:
    """The request path below the mount point, still percent-encoded (so ``%2F`` stays in its segment)."""
    raw = scope.get("raw_path")
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if raw is None:
        return path[len(root) :] if root and path.startswith(root) else path
    text = bytes(raw).decode("latin-1").split("?", 1)[0]
    if root and path.startswith(root):
        # Drop as many raw segments as the (decoded) mount prefix has.
        skip = len(root.rstrip("/").split("/")) - 1
        return "/" + "/".join(text.split("/")[1 + skip :]) if skip else text
    return text


class HistoryEndpoint(Generic[T]):
    """Answers the history requests of one endpoint (W1-W3). Never raises: a failing store is a 500
    ``{"error": "history store failed"}`` and the error goes to ``on_error`` only.

    - 405 for anything but GET/HEAD, with ``Allow: GET, HEAD``;
    - 400 ``{error, parameter}`` for a path parameter that breaks its pattern or a bad query (W2);
    - 404 ``{error}`` for an unknown conversation;
    - 200 ``{chunks, latestSeq}``, ``Cache-Control: no-store``.
    """

    def __init__(self, descriptor: HistoryDescriptor, store: HistoryStore[T], path: str, on_error: Callable[[BaseException], None] | None = None) -> None:
        self.descriptor = descriptor
        self.store = store
        self.path = path
        self.on_error = on_error
        self._patterns = {p.name: ecma_pattern(p.pattern) for p in descriptor.path_params if p.pattern is not None}

    def match(self, scope: Scope) -> dict[str, str] | None:
        return match_history_path(self.path, raw_route_path(scope))

    def log_of(self, params: Mapping[str, str]) -> str | None:
        """The log these path parameters name (``"/"``-joined), or None when one is missing or breaks
        its pattern (then the request is answered 400 by ``__call__``)."""
        parts: list[str] = []
        for p in self.descriptor.path_params:
            value = params.get(p.name)
            pattern = self._patterns.get(p.name)
            if not value or (pattern is not None and not pattern.search(value)):
                return None
            parts.append(value)
        return "/".join(parts)

    async def not_found(self, send: Any, conversation_id: str, head: bool) -> None:
        """W2.3: the answer for a log that does not exist (also for one a principal may not read, A2: no oracle)."""
        await send_json(send, 404, {"error": f"conversation {_quote(conversation_id)} does not exist"}, {"x-content-type-options": "nosniff"}, head=head)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        method = scope.get("method", "")
        head = method == "HEAD"
        extra = {"x-content-type-options": "nosniff"}
        try:
            if method not in ("GET", "HEAD"):
                await send_json(send, 405, {"error": f"method {_quote(method)} is not allowed here; use GET or HEAD"}, {**extra, "allow": "GET, HEAD"})
                return
            params = self.match(scope) or {}
            key_parts: list[str] = []
            for p in self.descriptor.path_params:
                value = params.get(p.name)
                if not value:
                    await send_json(send, 400, {"error": f"path parameter {p.name} is required, got nothing", "parameter": p.name}, extra, head=head)
                    return
                pattern = self._patterns.get(p.name)
                if pattern is not None and not pattern.search(value):
                    await send_json(send, 400, {"error": f"{p.name} must match {p.pattern}, got {_quote(value)}", "parameter": p.name}, extra, head=head)
                    return
                key_parts.append(value)
            parsed = parse_history_query(Query(scope.get("query_string", b"")).items, self.descriptor.max_limit)
            if isinstance(parsed, QueryError):
                await send_json(send, 400, {"error": parsed.error, "parameter": parsed.parameter}, extra, head=head)
                return
            conversation_id = "/".join(key_parts)
            result = self.store.read(conversation_id, parsed)
            window = await result if inspect.isawaitable(result) else result
            if window is None:
                await send_json(send, 404, {"error": f"conversation {_quote(conversation_id)} does not exist"}, extra, head=head)
                return
            await send_json(send, 200, {"chunks": list(window.chunks), "latestSeq": window.latest_seq}, extra, head=head)
        except Exception as error:
            if self.on_error is not None:
                try:
                    self.on_error(error)
                except Exception:
                    pass  # a failing logger must not turn one failed request into a crashed server
            try:
                await send_json(send, 500, {"error": "history store failed"}, extra)
            except Exception:
                pass
