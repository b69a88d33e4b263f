"""WebSocket transport (raw ASGI). A connection without ``session_id`` in its URL gets a new
session and its hello at once; a connection with one must send ``protocol.resume`` as its first
frame (R1: the token travels in a frame, never in a URL). Frames go out through one writer task
per connection, in order. A port of runtime/server/transports/websocket.ts.

Limits (L1-L3): the ASGI server closes a connection that breaks the framing (1002), sends invalid
UTF-8 (1007) or a message over its ``ws_max_size`` (1009; serve with 4 × max_frame_bytes, as
``ws``'s maxPayload is); a message over 4 × max_frame_bytes that gets here is closed with 1009
too. A session whose handlers fall ``max_inbound_bytes`` behind stops being read until they catch
up (the ASGI server reads no more from the socket while the app does not receive: TCP
backpressure). A client ``max_buffered_bytes`` behind is closed (4005) and, if it does not take
the close within ``close_timeout_ms``, its connection is dropped."""

from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import Any

from ...contract import TransportKind
from ...frames import CloseCodes, Frame, Kernel, error_frame, heartbeat_frame, parse_version_list
from ..server_core import CloseReason, FromAttachment, Opened, OpenOutcome, Refused, Rejected, ResumeRequest, ServerCore, Session, _dict, _int
from ..auth import Gate, GateRefusal, Identity
from ..session_limiter import ClientKey, address_key
from .http_util import Query, Scope, abort_connection, buffered, refuse_request, transport_of

CLOSE_FOR = {
    "superseded": CloseCodes.superseded,
    "session_expired": CloseCodes.session_expired,
    "protocol_error": CloseCodes.protocol_error,
    "slow_consumer": CloseCodes.slow_consumer,
    "server_closing": CloseCodes.going_away,
}


#: RFC 7230 token: what each entry of Sec-WebSocket-Protocol must be.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")


def close_reason(text: str) -> str:
    """A close reason is at most 123 bytes of UTF-8 (RFC 6455); the ASGI server refuses more."""
    out = text[:123]
    while len(out.encode("utf-8", "surrogatepass")) > 123:
        out = out[:-1]
    return out.encode("utf-8", "replace").decode("utf-8")


class WebSocketTransport:
    def __init__(
        self,
        core: ServerCore,
        path: str,
        *,
        resume_timeout_ms: int = 10_000,
        max_buffered_bytes: int | None = None,
        close_timeout_ms: int = 5_000,
        client_key: ClientKey = address_key,
        gate: Gate | None = None,
    ) -> None:
        self.core = core
        self.path = path
        self.resume_timeout_ms = resume_timeout_ms
        self.max_buffered = max_buffered_bytes if max_buffered_bytes is not None else core.limits.max_buffered_bytes
        self.close_timeout_ms = close_timeout_ms
        self.client_key = client_key
        #: A1: who each upgrade is, before anything else.
        self.gate = gate or Gate(client_key=client_key)
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
        #: A1/A2: who the connection is (anonymous until the gate has decided).
        self.who = Identity(None, "", "")
        self.closed = False
        self._queue: deque[str] = deque()
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self._close_with: tuple[int, str] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self._checking = False
        self._transport = transport_of(send)
        # L2: set while the socket may be read; cleared while the session's handlers are too far behind.
        self._readable = asyncio.Event()
        self._readable.set()

    # --- Attachment ------------------------------------------------------------------------------

    def send(self, frame: str, seq: int | None = None) -> None:
        if self.closed:
            return
        self._queue.append(frame)
        self._queued_bytes += len(frame)
        self._wake.set()
        if self._queued_bytes > self.t.max_buffered and not self._checking:
            # Judged once the writer has had its turn (it runs first: it was woken first), by what
            # the client has not taken: this queue and the connection's own buffer.
            self._checking = True
            asyncio.get_running_loop().call_soon(self._check_behind)

    def _check_behind(self) -> None:
        self._checking = False
        behind = self._queued_bytes + buffered(self._transport)
        if behind > self.t.max_buffered:
            self.close(CloseReason("slow_consumer", f"the client fell {behind} bytes behind; resume to catch up from the replay window"))

    def heartbeat(self, latest_seq: int, acked: int) -> None:
        # Pings and dead peers are the ASGI server's (uvicorn: ws_ping_interval); this is the protocol's tick.
        if not self.closed and self.session is not None:
            self.core.send_control(self, heartbeat_frame(self.session.id, latest_seq, acked))

    def close(self, reason: CloseReason) -> None:
        if self.closed:
            return
        if reason.code == "slow_consumer":
            self._abandon(reason.message)
            return
        if reason.code == "superseded":
            self.send(self.core.encode(error_frame("superseded", reason.message, session_id=self.session.id if self.session else None)))
        elif reason.frame is not None:
            self.send(self.core.encode(reason.frame))
        self._finish(CLOSE_FOR[reason.code], reason.message)

    def inbound_drained(self) -> None:
        self._throttle()

    # --- the connection ----------------------------------------------------------------------------

    def _behind(self) -> int:
        return self.core.inbound_bytes(self.session) if self.session is not None else 0

    def _throttle(self) -> None:
        """L2: the socket is not read while the session's handlers are max_inbound_bytes behind,
        and read again once they are down to half of it."""
        limit = self.core.limits.max_inbound_bytes
        if self._readable.is_set() and not self.closed and self._behind() > limit:
            self._readable.clear()
        elif not self._readable.is_set() and (self._behind() <= limit / 2 or self.closed):
            self._readable.set()

    def _finish(self, code: int, reason: str) -> None:
        """Sends what is queued, then closes with ``code``; nothing is queued after this."""
        self.closed = True
        self._close_with = (code, close_reason(reason))
        self._wake.set()
        self._readable.set()

    def _abandon(self, reason: str) -> None:
        """L3: a consumer this far behind gets nothing more: its queue is dropped, the session goes
        back to its TTL now, and the close (4005) goes out after what the socket holds already; a
        client that does not take it within close_timeout_ms loses its connection."""
        self.closed = True
        self._queue.clear()
        self._queued_bytes = 0
        self._readable.set()
        if self.session is not None:
            self.core.detach(self.session, self)
        if self._writer is not None:
            self._writer.cancel()
        self._closer = asyncio.ensure_future(self._close_or_drop(CloseCodes.slow_consumer, close_reason(reason)))

    async def _close_or_drop(self, code: int, reason: str) -> None:
        try:
            await asyncio.wait_for(self._send({"type": "websocket.close", "code": code, "reason": reason}), self.t.close_timeout_ms / 1000)
        except (asyncio.TimeoutError, Exception):
            abort_connection(self._send)

    def terminate(self) -> None:
        self.closed = True
        self._close_with = self._close_with or (CloseCodes.going_away, "the server is shutting down; resume later")
        self._wake.set()
        self._readable.set()

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
        # L1: a Sec-WebSocket-Protocol list that is not one (``a,,b``) is refused, as ws refuses it.
        if not all(_TOKEN.match(p) for p in self.scope.get("subprotocols") or []):
            await refuse_request(self.scope, self._send, 400, "invalid Sec-WebSocket-Protocol header")
            return
        query = Query(self.scope.get("query_string", b""))
        versions = parse_version_list(query.get("versions"))
        resume_id = query.get("session_id")
        # A1: who it is, before anything else. A refused upgrade is accepted, told why and closed
        # with 4401 / 4403 (A3): a browser learns nothing from a refused upgrade's status.
        who = await self.t.gate.check(self.scope, "websocket")
        if isinstance(who, Identity):
            self.who = who
        key = self.who.client_key
        await self._send({"type": "websocket.accept"})
        self._writer = asyncio.ensure_future(self._write_loop())
        resume_timer: asyncio.TimerHandle | None = None
        try:
            if isinstance(who, GateRefusal):
                self._refuse(error_frame(who.code, who.message), who.close)
            elif resume_id is None:
                try:
                    self._settle(await self.core.open(self, versions, key, who.owner, who.principal), CloseCodes.unsupported_version)
                except Exception as error:  # the store failed (e.g. Redis is down): try again later
                    self.core.report(error, None, "open")
                    self._refuse(error_frame("handler_failed", f"the server could not open a session: {error}"), CloseCodes.try_again_later)
            else:
                loop = asyncio.get_running_loop()
                resume_timer = loop.call_later(self.t.resume_timeout_ms / 1000, self._resume_timeout)
            await self._read_loop(resume_id, versions, resume_timer, key)
        finally:
            self.closed = True
            if resume_timer is not None:
                resume_timer.cancel()
            if self.session is not None:
                self.core.detach(self.session, self)
            await self._drain_writer()

    async def _drain_writer(self) -> None:
        closer = self._closer
        if closer is not None:
            await asyncio.wait({closer})
        writer = self._writer
        if writer is None:
            return
        if self._close_with is None:
            writer.cancel()  # the client went away: nothing more can be sent
        try:
            await asyncio.wait_for(asyncio.shield(writer), timeout=self.t.close_timeout_ms / 1000)
        except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
            writer.cancel()
            if self._close_with is not None and not writer.done():
                abort_connection(self._send)  # L3: a close the client never takes

    async def _read_loop(self, resume_id: str | None, versions: list[str] | None, resume_timer: asyncio.TimerHandle | None, key: str) -> None:
        too_big = self.core.contract.max_frame_bytes * 4
        while True:
            if not self._readable.is_set():
                # L2: while the handlers are too far behind, the socket is not read (nor is a goodbye).
                readable = asyncio.ensure_future(self._readable.wait())
                await asyncio.wait({readable, *([self._writer] if self._writer is not None else [])}, return_when=asyncio.FIRST_COMPLETED)
                readable.cancel()
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
                await self._handle(text, resume_id, versions, resume_timer, key)
            except Exception as error:  # the store failed (e.g. Redis is down): say so and close
                self.core.report(error, self.session.id if self.session else None, "frame")
                if not self.closed:
                    self._refuse(error_frame("handler_failed", f"the server could not handle the frame: {error}"), CloseCodes.try_again_later)
            self._throttle()

    def _resume_timeout(self) -> None:
        if not self.closed and self.session is None:
            self._refuse(error_frame("session_required", "a connection with session_id must send protocol.resume first"), CloseCodes.resume_timeout)

    def _settle(self, outcome: OpenOutcome, refusal: int) -> None:
        """The connection's session is known (or the connection refused); a late result is undone."""
        if not isinstance(outcome, Opened):
            # L2: a bound was reached; 1013 says try again later.
            overloaded = _dict(outcome.frame.get("payload")).get("code") == "overloaded"
            self._refuse(outcome.frame, CloseCodes.try_again_later if overloaded else refusal)
            return
        self.session = outcome.session
        if self.closed:
            self.core.detach(outcome.session, self)  # the socket went away while the store answered

    async def _handle(self, text: str, resume_id: str | None, versions: list[str] | None, resume_timer: asyncio.TimerHandle | None, key: str) -> None:
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
        resumed = await self.core.resume(self, ResumeRequest(str(header["session_id"]), str(payload["resume_token"]), _int(payload["last_seen_seq"]), versions, key, self.who.owner, self.who.principal))
        unsupported = isinstance(resumed, Refused) and resumed.frame["type"] == Kernel.error
        self._settle(resumed, CloseCodes.unsupported_version if unsupported else CloseCodes.resume_failed)
