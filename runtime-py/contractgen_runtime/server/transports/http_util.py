"""Small ASGI helpers shared by the SSE, poll, messages and history endpoints: query strings,
headers, bounded body reading, JSON answers, resume tokens, strict integer parameters, and
dropping a connection (L3)."""

from __future__ import annotations

import asyncio
import re
import socket
import struct
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ...json_text import dumps

Scope = Mapping[str, Any]
Message = Mapping[str, Any]

_CANONICAL_INTEGER = re.compile(r"^(?:0|[1-9][0-9]*)\Z")
MAX_SAFE_INTEGER = 9007199254740991


class Query:
    """A query string as URLSearchParams reads it: ``get`` is the first value, ``items`` all pairs in order."""

    __slots__ = ("items",)

    def __init__(self, raw: bytes | str) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        self.items: list[tuple[str, str]] = parse_qsl(text, keep_blank_values=True, errors="replace")

    def get(self, name: str) -> str | None:
        for key, value in self.items:
            if key == name:
                return value
        return None


#: L1/L2: the header section a request may have (Node's default maxHeaderSize): past it, 431.
MAX_HEADER_BYTES = 16 * 1024


def header_bytes(scope: Scope) -> int:
    """The size of a request's target and headers as they came (about: the request line's method
    and version are left out)."""
    size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    for key, value in scope.get("headers", []):
        size += len(key) + len(value) + 4
    return size


def routable(scope: Scope) -> Scope | None:
    """L1: the scope with its path when its target is one: an origin-form path as it is, an
    absolute URL (the proxy form) by its path; None when the target is neither (``*``, ``poll``,
    ``http://[::1/x``, a port out of range)."""
    path = scope.get("path")
    if not isinstance(path, str):
        return None
    if path.startswith("/"):
        return scope
    try:
        url = urlsplit(path)
        url.port  # raises ValueError for a port that is not one
    except ValueError:
        return None
    if url.scheme not in ("http", "https", "ws", "wss") or not url.hostname:
        return None
    target = url.path or "/"
    return {**scope, "path": target, "raw_path": target.encode("latin-1", "replace")}


async def refuse_request(scope: Scope, send: Any, status: int, message: str, *, close: bool = True) -> None:
    """An HTTP refusal ``{"error": message}`` (closing the connection unless told otherwise); for a
    WebSocket upgrade the same as its HTTP answer where the server can give one (ASGI's
    websocket.http.response), else the upgrade is refused."""
    if scope.get("type") != "websocket":
        await send_json(send, status, {"error": message}, {"connection": "close"} if close else None)
        return
    if "websocket.http.response" in (scope.get("extensions") or {}):
        data = dumps({"error": message}).encode()
        headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(data)).encode()), (b"connection", b"close")]
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": data})
        return
    await send({"type": "websocket.close", "code": 1008})


def retry_after(seconds: int | None) -> dict[str, str]:
    """L2: the Retry-After header of an ``overloaded`` refusal (none for other refusals)."""
    return {"retry-after": str(seconds)} if seconds else {}


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class BodyTooLargeError(Exception):
    pass


class ClientGone(Exception):
    pass


async def read_body(receive: Any, limit: int) -> bytes:
    """Reads a request body, refusing more than ``limit`` bytes without buffering them."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            raise BodyTooLargeError(f"the request body exceeds {limit} bytes")
        chunks.append(body)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_json(send: Any, status: int, body: str | object, extra_headers: Mapping[str, str] | None = None, *, head: bool = False) -> None:
    data = (body if isinstance(body, str) else dumps(body)).encode("utf-8")
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"cache-control", b"no-store"),
        (b"content-length", str(len(data)).encode()),
    ]
    for k, v in (extra_headers or {}).items():
        headers.append((k.lower().encode("latin-1"), v.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else data})


def frames_body(frames: list[str]) -> str:
    """``{"frames":[…]}`` from already-serialized frames, without parsing them again."""
    return '{"frames":[' + ",".join(frames) + "]}"


def resume_token(scope: Scope, query: Query | None = None) -> str | None:
    """The token of the ``Resume-Token`` header, or a ``resume_token`` query parameter (S5).

    A4: never ``Authorization``, which carries the application's own credentials."""
    value = header(scope, b"resume-token")
    if value is not None:
        return value.strip()
    return query.get("resume_token") if query is not None else None


def parse_cursor(value: str | None) -> int | None | str:
    """A canonical non-negative integer (``0``, ``17``), None when absent, ``"malformed"`` otherwise."""
    if value is None:
        return None
    if not _CANONICAL_INTEGER.match(value) or len(value) > 16:
        return "malformed"
    n = int(value)
    return n if n <= MAX_SAFE_INTEGER else "malformed"


async def method_not_allowed(send: Any, allow: str) -> None:
    # The connection closes: whatever a request of another method carries is not read.
    await send_json(send, 405, {"error": f"method not allowed; use {allow}"}, {"allow": allow, "connection": "close"})


def transport_of(send: Any, depth: int = 4) -> asyncio.BaseTransport | None:
    """The asyncio transport behind an ASGI ``send`` callable, when one can be found: ASGI gives an
    app no way to drop a connection, but uvicorn's ``send`` is a bound method of an object holding
    its transport, and Starlette's middleware wraps it in closures that keep it. None elsewhere."""
    owner = getattr(send, "__self__", None)
    transport = getattr(owner, "transport", None)
    if isinstance(transport, asyncio.BaseTransport):
        return transport
    if depth > 0:
        for cell in getattr(send, "__closure__", None) or ():
            try:
                inner = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if callable(inner):
                found = transport_of(inner, depth - 1)
                if found is not None:
                    return found
    return None


def buffered(transport: asyncio.BaseTransport | None) -> int:
    """Bytes a connection holds that the client has not taken yet (0 when unknown)."""
    size = getattr(transport, "get_write_buffer_size", None)
    return int(size()) if callable(size) else 0


def abort_connection(send: Any) -> bool:
    """L3: destroys the connection a stuck client does not read (its buffers are dropped at once,
    unlike ``close()``, which waits for them to be taken). False when the server gives no way."""
    transport = transport_of(send)
    if transport is None or not hasattr(transport, "abort"):
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            # An abortive close (RST): the kernel drops what it still holds for the client too.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
    return True
