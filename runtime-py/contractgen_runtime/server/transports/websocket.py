"""WebSocket transport (raw ASGI). A connection without ``session_id`` in its URL gets a new
session and its hello at once; a connection with one must send ``protocol.resume`` as its first
frame (R1: the token travels in a frame, never in a URL). Frames go out through one writer task
per connection, in order; a client that falls ``max_buffered_bytes`` behind is closed and resumes
from the replay window (L3). A port of runtime/server/transports/websocket.ts."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from ...contract import TransportKind
from ...frames import CloseCodes, Frame, Kernel, error_frame, heartbeat_frame, parse_version_list
from ..server_core import CloseReason, FromAttachment, Opened, OpenOutcome, Refused, Rejected, ResumeRequest, ServerCore, Session, _dict, _int
from .http_util import Query, Scope

CLOSE_FOR = {
    "superseded": CloseCodes.superseded,
    "session_expired": CloseCodes.session_expired,
    "protocol_error": CloseCodes.protocol_error,
    "slow_consumer": CloseCodes.slow_consumer,
    "server_closing": CloseCodes.going_away,
}


class WebSocketTransport:
    def __init__(self, core: ServerCore, path: str, *, resume_timeout_ms: int = 10_000, max_buffered_bytes: int | None = None) -> None:
        self.core = core
        self.path = path
        self.resume_timeout_ms = resume_timeout_ms
        window = core.contract.replay_window.max_bytes
        self.max_buffered = max_buffered_bytes if max_buffered_bytes is not None else max(8 * window, 8 * 1024 * 1024)
        self.connections: set[_Connection] = set()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        connection = _Connection(self, scope, receive, send)
        self.connections.add(connection)
        try:
            await connection.run()
        finally:
            self.connections.discard(connection)

    def close(self) -> None:
        for c in list(self.connections):
            c.terminate()


class _Connection:
    kind: TransportKind = "websocket"

    def __init__(self, transport: WebSocketTransport, scope: Scope, receive: Any, send: Any) -> None:
        self.t = transport
        self.core = transport.core
        self.scope = scope
        self._receive = receive
        self._send = send
        self.session: Session | None = None
        self.closed = False
        self._queue: deque[str] = deque()
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self._close_with: tuple[int, str] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None

    # --- Attachment ------------------------------------------------------------------------------

    def send(self, frame: str, seq: int | None = None) -> None:
        if self.closed:
            return
        self._queue.append(frame)
        self._queued_bytes += len(frame)
        self._wake.set()
        if self._queued_bytes > self.t.max_buffered:
            self.close(CloseReason("slow_consumer", f"the client fell {self._queued_bytes} bytes behind; resume to catch up from the replay window"))

    def heartbeat(self, latest_seq: int) -> None:
        # Pings and dead peers are the ASGI server's (uvicorn: ws_ping_interval); this is the protocol's tick.
        if not self.closed and self.session is not None:
            self.core.send_control(self, heartbeat_frame(self.session.id, latest_seq))

    def close(self, reason: CloseReason) -> None:
        if self.closed:
            return
        if reason.code == "slow_consumer":
            self._abandon()
            return
        if reason.code == "superseded":
            self.send(self.core.encode(error_frame("superseded", reason.message, session_id=self.session.id if self.session else None)))
        elif reason.frame is not None:
            self.send(self.core.encode(reason.frame))
        self._finish(CLOSE_FOR[reason.code], reason.message)

    # --- the connection ----------------------------------------------------------------------------

    def _finish(self, code: int, reason: str) -> None:
        """Sends what is queued, then closes with ``code``; nothing is queued after this."""
        self.closed = True
        self._close_with = (code, reason[:120])
        self._wake.set()

    def _abandon(self) -> None:
        """L3: a consumer this far behind gets nothing more: its queue is dropped, the session goes
        back to its TTL now, and the writer stops (the ASGI server closes the socket)."""
        self.closed = True
        self._queue.clear()
        self._queued_bytes = 0
        if self.session is not None:
            self.core.detach(self.session, self)
        if self._writer is not None:
            self._writer.cancel()

    def terminate(self) -> None:
        self.closed = True
        self._close_with = self._close_with or (CloseCodes.going_away, "the server is shutting down; resume later")
        self._wake.set()

    def _refuse(self, frame: Frame, code: int) -> None:
        self._queue.append(self.core.encode(frame))
        payload = _dict(frame.get("payload"))
        self._finish(code, str(payload.get("message", frame["type"])))

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                frame = self._queue.popleft()
                self._queued_bytes -= len(frame)
                await self._send({"type": "websocket.send", "text": frame})
            if self._close_with is not None:
                code, reason = self._close_with
                await self._send({"type": "websocket.close", "code": code, "reason": reason})
                return

    async def run(self) -> None:
        message = await self._receive()
        if message["type"] != "websocket.connect":
            return
        query = Query(self.scope.get("query_string", b""))
        versions = parse_version_list(query.get("versions"))
        resume_id = query.get("session_id")
        await self._send({"type": "websocket.accept"})
        self._writer = asyncio.ensure_future(self._write_loop())
        resume_timer: asyncio.TimerHandle | None = None
        try:
            if resume_id is None:
                try:
                    self._settle(await self.core.open(self, versions), CloseCodes.unsupported_version)
                except Exception as error:  # the store failed (e.g. Redis is down): try again later
                    self.core.report(error, None, "open")
                    self._refuse(error_frame("handler_failed", f"the server could not open a session: {error}"), CloseCodes.try_again_later)
            else:
                loop = asyncio.get_running_loop()
                resume_timer = loop.call_later(self.t.resume_timeout_ms / 1000, self._resume_timeout)
            await self._read_loop(resume_id, versions, resume_timer)
        finally:
            self.closed = True
            if resume_timer is not None:
                resume_timer.cancel()
            if self.session is not None:
                self.core.detach(self.session, self)
            await self._drain_writer()

    async def _drain_writer(self) -> None:
        writer = self._writer
        if writer is None:
            return
        if self._close_with is None:
            writer.cancel()  # the client went away: nothing more can be sent
        try:
            await asyncio.wait_for(asyncio.shield(writer), timeout=5)
        except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
            writer.cancel()

    async def _read_loop(self, resume_id: str | None, versions: list[str] | None, resume_timer: asyncio.TimerHandle | None) -> None:
        too_big = self.core.contract.max_frame_bytes * 4
        while True:
            receiving = asyncio.ensure_future(self._receive())
            waits: set[asyncio.Future[Any]] = {receiving}
            if self._writer is not None:
                waits.add(self._writer)
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if receiving not in done:
                # The writer finished: we closed the connection. Wait briefly for the client's goodbye.
                try:
                    await asyncio.wait_for(receiving, timeout=2)
                except (asyncio.TimeoutError, Exception):
                    receiving.cancel()
                return
            message = receiving.result()
            if message["type"] == "websocket.disconnect":
                return
            if self.closed:
                continue
            text = message.get("text")
            if text is None:
                self.send(self.core.encode(error_frame("malformed_frame", "binary frames are not part of this protocol; send JSON text", session_id=self.session.id if self.session else None)))
                continue
            if len(text) > too_big:
                self._finish(CloseCodes.too_big, "frame too large")
                continue
            try:
                await self._handle(text, resume_id, versions, resume_timer)
            except Exception as error:  # the store failed (e.g. Redis is down): say so and close
                self.core.report(error, self.session.id if self.session else None, "frame")
                if not self.closed:
                    self._refuse(error_frame("handler_failed", f"the server could not handle the frame: {error}"), CloseCodes.try_again_later)

    def _resume_timeout(self) -> None:
        if not self.closed and self.session is None:
            self._refuse(error_frame("session_required", "a connection with session_id must send protocol.resume first"), CloseCodes.resume_timeout)

    def _settle(self, outcome: OpenOutcome, refusal: int) -> None:
        """The connection's session is known (or the connection refused); a late result is undone."""
        if not isinstance(outcome, Opened):
            self._refuse(outcome.frame, refusal)
            return
        self.session = outcome.session
        if self.closed:
            self.core.detach(outcome.session, self)  # the socket went away while the store answered

    async def _handle(self, text: str, resume_id: str | None, versions: list[str] | None, resume_timer: asyncio.TimerHandle | None) -> None:
        if self.session is not None:
            outcome = await self.core.receive(text, FromAttachment(self.session, self))
            for e in outcome.errors:
                self.core.send_control(self, e)
            return
        # Awaiting protocol.resume (R1 over WebSocket).
        parsed = self.core.parse(text)
        if isinstance(parsed, Rejected):
            self._refuse(parsed.frame, CloseCodes.protocol_error)
            return
        frame = parsed.frame
        header = _dict(frame["header"])
        if frame["type"] != Kernel.resume or header.get("session_id") != resume_id:
            self._refuse(error_frame("session_required", "the first frame on a connection opened with session_id must be protocol.resume for that session", path="/type"), CloseCodes.protocol_error)
            return
        if resume_timer is not None:
            resume_timer.cancel()
        payload = _dict(frame["payload"])
        resumed = await self.core.resume(self, ResumeRequest(str(header["session_id"]), str(payload["resume_token"]), _int(payload["last_seen_seq"]), versions))
        unsupported = isinstance(resumed, Refused) and resumed.frame["type"] == Kernel.error
        self._settle(resumed, CloseCodes.unsupported_version if unsupported else CloseCodes.resume_failed)
