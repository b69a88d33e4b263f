"""Server-Sent Events transport (raw ASGI). The stream is GET ``path``; data frames carry
``id: <seq>`` so that EventSource's Last-Event-ID is the resume cursor (R4); control frames carry
no id. Heartbeats are ``protocol.heartbeat`` events like any other control frame (Q4, R4.4): a
comment would be invisible to a browser EventSource. EventSource cannot send headers, so a resume
puts ``session_id``, ``resume_token`` and ``last_seen_seq`` in the query string (S5);
``Last-Event-ID``, when sent, wins over ``last_seen_seq``. Client frames go by POST (messages.py).
A port of runtime/server/transports/sse.ts.

L2: an ``overloaded`` refusal carries a ``retry:`` hint, so EventSource waits before it reconnects.
L3: a client ``max_buffered_bytes`` behind has its connection dropped at once — a reader that is
stuck would never take an orderly end — and its session waits for a resume from the window."""

from __future__ import annotations

import asyncio
from typing import Any

from ...contract import TransportKind
from ...frames import Frame, error_frame, heartbeat_frame, parse_version_list
from ...json_text import dumps
from ..server_core import CloseReason, Opened, Refused, ResumeRequest, ServerCore, Session, _dict
from ..auth import Gate, GateRefusal
from ..session_limiter import ClientKey, address_key
from .http_util import Query, Scope, abort_connection, buffered, header, method_not_allowed, parse_cursor, transport_of

#: How long an ended stream may take to deliver its last bytes before its connection is dropped (L3).
END_TIMEOUT_S = 5

STREAM_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"connection", b"keep-alive"),
    (b"x-accel-buffering", b"no"),  # nginx: do not buffer the stream
]


def _event(frame: Frame, retry_after_s: int | None = None) -> str:
    """One event holding a frame; an ``overloaded`` refusal asks EventSource to wait (it would in 3 s)."""
    hint = f"retry: {retry_after_s * 1000}\n" if retry_after_s and _dict(frame.get("payload")).get("code") == "overloaded" else ""
    return f"{hint}data: {dumps(frame)}\n\n"


class SseTransport:
    def __init__(self, core: ServerCore, path: str, *, max_buffered_bytes: int | None = None, client_key: ClientKey = address_key, gate: Gate | None = None) -> None:
        self.core = core
        self.path = path
        self.max_buffered = max_buffered_bytes if max_buffered_bytes is not None else core.limits.max_buffered_bytes
        self.client_key = client_key
        #: A1: who each request is, before anything else.
        self.gate = gate or Gate(client_key=client_key)
        self.streams: set[_Stream] = set()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("method") != "GET":
            await method_not_allowed(send, "GET")
            return
        query = Query(scope.get("query_string", b""))
        versions = parse_version_list(query.get("versions"))
        session_id = query.get("session_id")
        token = query.get("resume_token")
        last_event_id = header(scope, b"last-event-id")
        cursor = parse_cursor(last_event_id if last_event_id else query.get("last_seen_seq"))
        resuming = session_id is not None or token is not None

        async def refuse(frame: Frame) -> None:
            # 200 and the typed frame as the only event: EventSource hides the body of any other status.
            await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
            await send({"type": "http.response.body", "body": _event(frame).encode()})

        # A1: who it is, before anything else; A3: a refusal is the stream's only event.
        who = await self.gate.check(scope, "sse")
        if isinstance(who, GateRefusal):
            await refuse(error_frame(who.code, who.message))
            return
        if resuming and (session_id is None or token is None or cursor is None):
            await refuse(error_frame("session_required", "an SSE resume needs session_id, resume_token and last_seen_seq (or Last-Event-ID) in the query string"))
            return
        if cursor == "malformed":
            await refuse(error_frame("invalid_message", "last_seen_seq / Last-Event-ID must be a non-negative integer", path="/last_seen_seq"))
            return
        await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
        stream = _Stream(self, receive, send)
        self.streams.add(stream)
        key = who.client_key
        try:
            if resuming and session_id is not None and token is not None and isinstance(cursor, int):
                opening = self.core.resume(stream, ResumeRequest(session_id, token, cursor, versions, key, who.owner, who.principal))
            else:
                opening = self.core.open(stream, versions, key, who.owner, who.principal)
            await stream.run(opening)
        finally:
            self.streams.discard(stream)

    def close(self) -> None:
        for s in list(self.streams):
            s.end(None)


class _Stream:
    kind: TransportKind = "sse"

    def __init__(self, transport: SseTransport, receive: Any, send: Any) -> None:
        self.t = transport
        self.core = transport.core
        self._receive = receive
        self._send = send
        self.session: Session | None = None
        self.closed = False  # no more writes (the client left, or the server ended the stream)
        self._gone = False  # the client disconnected, or was dropped
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._inflight = 0
        self._checking = False
        self._transport = transport_of(send)

    def _write(self, text: str) -> None:
        self._pending.append(text)
        self._pending_bytes += len(text)
        self._wake.set()
        if self._pending_bytes + self._inflight > self.t.max_buffered and not self._checking:
            # Judged once the writer has had its turn (it was woken first).
            self._checking = True
            asyncio.get_running_loop().call_soon(self._check_behind)

    def _check_behind(self) -> None:
        self._checking = False
        # Behind by what waits here, what the ASGI server has not yet taken (its send blocks while
        # the socket's buffer is full) and what its connection holds.
        if self._pending_bytes + self._inflight + buffered(self._transport) > self.t.max_buffered:
            self.close(CloseReason("slow_consumer", "the client fell behind; resume to catch up from the replay window"))

    def send(self, frame: str, seq: int | None = None) -> None:
        if not self.closed:
            self._write(f"data: {frame}\n\n" if seq is None else f"id: {seq}\ndata: {frame}\n\n")

    def heartbeat(self, latest_seq: int, acked: int) -> None:
        if not self.closed and self.session is not None:
            self.core.send_control(self, heartbeat_frame(self.session.id, latest_seq, acked))

    def close(self, reason: CloseReason) -> None:
        if reason.code == "slow_consumer":
            self._drop()
            return
        if reason.code == "superseded":
            self.end(error_frame("superseded", reason.message, session_id=self.session.id if self.session else None))
        else:
            self.end(reason.frame)

    def inbound_drained(self) -> None:
        return None  # SSE has no upstream to pause: POSTs are refused instead (L2)

    def _drop(self) -> None:
        """L3: the client is not taking what is written: its buffer is dropped, its connection
        destroyed, and its session's TTL runs from now."""
        if self._gone:
            return
        self.closed = True
        self._gone = True
        self._pending.clear()
        self._pending_bytes = 0
        if self.session is not None:
            self.core.detach(self.session, self)
        self._wake.set()
        if self._writer is not None:
            self._writer.cancel()
        abort_connection(self._send)

    def end(self, frame: Frame | None, retry_after_s: int | None = None) -> None:
        if self.closed:
            return
        if frame is not None:
            self._pending.append(_event(frame, retry_after_s))
        self.closed = True
        self._wake.set()
        # L3: a reader that takes nothing would hold the end (and this stream) forever.
        asyncio.get_running_loop().call_later(END_TIMEOUT_S, self._drop_if_stuck)

    def _drop_if_stuck(self) -> None:
        if self._writer is not None and not self._writer.done():
            self._drop()

    async def _watch_disconnect(self) -> None:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._gone = True
                self.closed = True
                self._wake.set()
                return

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._gone:
                return
            if self._pending:
                chunk = "".join(self._pending)
                self._pending.clear()
                self._pending_bytes = 0
                self._inflight = len(chunk)
                await self._send({"type": "http.response.body", "body": chunk.encode("utf-8"), "more_body": True})
                self._inflight = 0
            if self.closed and not self._pending:
                await self._send({"type": "http.response.body", "body": b"", "more_body": False})
                return

    async def run(self, opening: Any) -> None:
        watcher = asyncio.ensure_future(self._watch_disconnect())
        writer = self._writer = asyncio.ensure_future(self._write_loop())
        try:
            try:
                result = await opening
            except Exception as error:
                self.core.report(error, None, "open")
                result = None
                self.end(error_frame("handler_failed", f"the server could not open the stream: {error}"))
            if isinstance(result, Opened):
                self.session = result.session
                if self.closed:
                    self.core.detach(result.session, self)  # the client left while the store answered
            elif isinstance(result, Refused):
                # A refused open or resume still answers 200 with the typed frame (see refuse above).
                self.end(result.frame, result.retry_after_s)
            await asyncio.wait({watcher, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.closed = True
            if self.session is not None:
                self.core.detach(self.session, self)
            watcher.cancel()
            if not writer.done():
                writer.cancel()
            for task in (watcher, writer):
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
