"""Small ASGI helpers shared by the SSE, poll, messages and history endpoints: query strings,
headers, bounded body reading, JSON answers, resume tokens and strict integer parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

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
    await send_json(send, 405, {"error": f"method not allowed; use {allow}"}, {"allow": allow})
