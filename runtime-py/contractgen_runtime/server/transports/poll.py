"""Long-polling transport (raw ASGI). GET ``path`` without a session opens one and answers at once
with the hello; GET with ``session_id``, ``cursor`` (= the last seq processed, R4) and the token
answers with the data after the cursor, holding the request up to ``hold_ms`` when there is none.
The cursor also acknowledges (Q5). A poll that is not a continuation of a live poll attachment
is a resume: the answer starts with hello and resumed. Refusals come with an HTTP status (R3:
410 Gone for a cursor before the window). Client frames go by POST (messages.py). S4.10: every
answer of an attachment names it (``attachment``), and a poll that names it back continues it on
any process of a shared store without a claim or a hello. A port of
runtime/server/transports/poll.ts."""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any, NamedTuple

from ...contract import TransportKind
from ...frames import Frame, error_frame, heartbeat_frame, parse_version_list, resume_failed_frame
from ...json_text import dumps, utf8_length
from ..server_core import CloseReason, Opened, Refused, ResumeRequest, ServerCore, Session, plausible_id
from ..auth import Gate, GateRefusal
from ..session_limiter import ClientKey, address_key
from ..store import ReplayOk, SessionFound
from .http_util import Query, Scope, abort_connection, resume_token, frames_body, method_not_allowed, parse_cursor, retry_after, send_json

#: What a poll is answered with: (status, body, extra headers).
Answer = tuple[int, str, dict[str, str]]


def _now() -> float:
    return time.monotonic() * 1000


class Bound(NamedTuple):
    """L2: what one answer may carry: the server's caps, or less if the client asked."""

    max_bytes: int
    max_frames: int


def _asked(query: Query, name: str, cap: int, what: str) -> int | Frame:
    """L2: ``?name=`` lowers ``cap`` (a positive integer; above the cap is the cap); anything
    else is a typed refusal naming it."""
    asked = parse_cursor(query.get(name))
    if asked == "malformed" or asked == 0:
        return error_frame("invalid_message", f"{name} must be a positive integer: the most {what} you want in one answer (the server sends at most {cap})", path=f"/{name}")
    return min(asked, cap) if isinstance(asked, int) else cap


class _Held:
    __slots__ = ("future", "cursor", "bound", "timer")

    def __init__(self, future: asyncio.Future[Answer], cursor: int, bound: Bound, timer: asyncio.TimerHandle) -> None:
        self.future = future
        self.cursor = cursor
        #: Bytes and data frames this answer may carry (L2).
        self.bound = bound
        self.timer = timer


def _frames(status: int, frames: list[str]) -> Answer:
    return status, frames_body(frames), {}


def _refused(outcome: Refused) -> Answer:
    return outcome.status, frames_body([dumps(outcome.frame)]), retry_after(outcome.retry_after_s)


class PollTransport:
    def __init__(self, core: ServerCore, path: str, hold_ms: int, *, client_key: ClientKey = address_key, gate: Gate | None = None) -> None:
        self.core = core
        self.path = path
        self.hold_ms = hold_ms
        self.client_key = client_key
        #: A1: who each request is, before anything else.
        self.gate = gate or Gate(client_key=client_key)
        # A poll attachment stays live between polls for this long after the last answer.
        self.lease_ms = hold_ms + core.contract.heartbeat_ms
        self.attachments: weakref.WeakKeyDictionary[Session, _PollAttachment] = weakref.WeakKeyDictionary()
        self.holding: set[_PollAttachment] = set()

    @staticmethod
    def capped(frames: list[str], bound: Bound) -> list[str]:
        """One answer carries at most ``bound`` (bytes and frames) of data; the client polls again
        with the new cursor (on a link that keeps dropping, a huge backlog in one body would never
        get through)."""
        total = 0
        frames = frames[: bound.max_frames]
        for i, f in enumerate(frames):
            total += utf8_length(f)
            if total > bound.max_bytes and i > 0:
                return frames[:i]
        return frames

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("method") != "GET":
            await method_not_allowed(send, "GET")
            return
        try:
            answer = await self._serve(scope, receive)
        except Exception as error:
            self.core.report(error, None, "poll")
            answer = _frames(503, [dumps(error_frame("handler_failed", f"the poll could not be served: {error}"))])
        if answer is None:
            return  # the client went away while the poll was held
        status, body, headers = answer
        try:
            # L3: an answer the client does not take within the lease is not kept for it.
            await asyncio.wait_for(send_json(send, status, body, headers), self.lease_ms / 1000)
        except asyncio.TimeoutError:
            abort_connection(send)
        except Exception:
            pass  # the client went away

    async def _hold(self, attachment: _PollAttachment, cursor: int, bound: Bound, receive: Any) -> Answer | None:
        future = attachment.serve(cursor, bound)
        watcher = asyncio.ensure_future(_disconnect(receive))
        try:
            waits: set[asyncio.Future[Any]] = {future, watcher}
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
        if not future.done():
            attachment.client_left(future)
            return None
        return future.result()

    async def _serve(self, scope: Scope, receive: Any) -> Answer | None:
        core = self.core
        query = Query(scope.get("query_string", b""))
        versions = parse_version_list(query.get("versions"))
        session_id = query.get("session_id")

        def refuse(status: int, frame: Frame) -> Answer:
            return _frames(status, [dumps(frame)])

        # A1: who it is, before anything else; A3: a refusal is 401 / 403 with its typed frame.
        who = await self.gate.check(scope, "poll")
        if isinstance(who, GateRefusal):
            return refuse(who.status, error_frame(who.code, who.message))

        # L2: a client may take smaller answers than the server's caps (never larger).
        max_bytes = _asked(query, "max_bytes", core.limits.max_poll_bytes, "bytes of data")
        if not isinstance(max_bytes, int):
            return refuse(400, max_bytes)
        max_frames = _asked(query, "max", core.limits.max_poll_frames, "data frames")
        if not isinstance(max_frames, int):
            return refuse(400, max_frames)
        bound = Bound(max_bytes, max_frames)

        if session_id is None:
            attachment = _PollAttachment(self)
            opened = await core.open(attachment, versions, who.client_key, who.owner, who.principal)
            if not isinstance(opened, Opened):
                return _refused(opened)
            attachment.bind(opened.session, opened.attachment_id)
            self.attachments[opened.session] = attachment
            return await self._hold(attachment, 0, bound, receive)

        cursor = parse_cursor(query.get("cursor"))
        if not isinstance(cursor, int):
            return refuse(400, error_frame("invalid_message", "cursor must be the last seq processed, a non-negative integer", path="/cursor"))
        token = resume_token(scope, query)
        if token is None:
            return refuse(401, error_frame("unknown_session", "a poll for a session needs its token: Resume-Token: <resume_token>"))
        # S4.10: the attachment the client's last answer named, if it names one.
        named = query.get("attachment")
        if named is not None and not plausible_id(named):
            return refuse(400, error_frame("invalid_message", "attachment must be the id the last poll answer named (base64url), or absent", path="/attachment"))
        local = core.local(session_id)
        current = self.attachments.get(local) if local is not None else None
        # resume=1: a client connecting again says so, and gets hello and resumed (R2).
        explicit_resume = query.get("resume") == "1"
        # A poll naming versions without the session's one is another client connecting: it negotiates (H2).
        same_version = local is not None and (versions is None or local.protocol_version in versions)
        same_attachment = named is None or (current is not None and named == current.attachment_id)
        if local is not None and current is not None and same_version and same_attachment and not explicit_resume and current.live and local.attachment is current and plausible_id(token):
            auth = await core.store.authenticate(session_id, token, who.owner)
            if isinstance(auth, SessionFound):
                # A continuation of this poll attachment: the cursor acknowledges (Q5).
                core.spawn(core.store.release(session_id, cursor), session_id, "ack")
                if named is not None:
                    # S4.10: a process that served an earlier poll of it must not detach it (only a
                    # client that names its attachment has polls served elsewhere).
                    core.renew(local, self.lease_ms)
                return await self._hold(current, cursor, bound, receive)
        elif named is not None and not explicit_resume and plausible_id(token):
            # S4.10: the attachment continues here although another process served its last poll.
            auth = await core.store.authenticate(session_id, token, who.owner)
            if isinstance(auth, SessionFound) and (versions is None or auth.protocol_version in versions):
                attachment = _PollAttachment(self)
                continued = await core.proceed(attachment, session_id, auth.protocol_version, named, self.lease_ms, who.client_key, who.owner, who.principal)
                if isinstance(continued, Refused):
                    return _refused(continued)
                if continued is not None:
                    attachment.bind(continued.session, continued.attachment_id)
                    self.attachments[continued.session] = attachment
                    core.spawn(core.store.release(session_id, cursor), session_id, "ack")
                    return await self._hold(attachment, cursor, bound, receive)
        # Anything else is a (re)attachment: resume, answered with hello + resumed + the replay.
        # A cursor outside the window is refused here too (R3: 410 Gone / 400), never half-served.
        attachment = _PollAttachment(self)
        resumed = await core.resume(attachment, ResumeRequest(session_id, token, cursor, versions, who.client_key, who.owner, who.principal))
        if not isinstance(resumed, Opened):
            return _refused(resumed)
        attachment.bind(resumed.session, resumed.attachment_id)
        self.attachments[resumed.session] = attachment
        return await self._hold(attachment, cursor, bound, receive)

    def close(self) -> None:
        for a in list(self.holding):
            a.close(CloseReason("server_closing", "the server is shutting down; resume later"))


async def _disconnect(receive: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class _PollAttachment:
    kind: TransportKind = "poll"

    def __init__(self, transport: PollTransport) -> None:
        self.t = transport
        self.core = transport.core
        self.session: Session | None = None
        #: S4.10: the attachment's id in the store, named in every answer.
        self.attachment_id: str | None = None
        self._control: list[str] = []
        self._control_bytes = 0
        self._held: _Held | None = None
        self._lease_until = _now() + transport.lease_ms
        self._closed = False
        self._answer_scheduled = False

    def bind(self, session: Session, attachment_id: str | None = None) -> None:
        self.session = session
        self.attachment_id = attachment_id

    @property
    def live(self) -> bool:
        """Still a live attachment (a poll held, or the last one recent enough)?"""
        return not self._closed and (self._held is not None or _now() < self._lease_until)

    def _take_held(self) -> _Held | None:
        held = self._held
        if held is not None:
            self._held = None
            self.t.holding.discard(self)
            held.timer.cancel()
        return held

    def _schedule_answer(self) -> None:
        # One answer per tick, however many frames arrived.
        if not self._answer_scheduled:
            self._answer_scheduled = True
            asyncio.get_running_loop().call_soon(self._answer)

    def _answer(self) -> None:
        self._answer_scheduled = False
        if self._held is None or self.session is None:
            return
        held = self._take_held()
        assert held is not None
        head, self._control = self._control, []
        self._control_bytes = 0
        self._lease_until = _now() + self.t.lease_ms
        self.core.spawn(self._answer_with(held, head, self.session), self.session.id, "poll")

    async def _answer_with(self, held: _Held, head: list[str], session: Session) -> None:
        try:
            data = await self.core.store.replay(session.id, held.cursor)
        except Exception as error:
            _resolve(held.future, _frames(503, [dumps(error_frame("handler_failed", f"the session store is unavailable: {error}"))]))
            raise
        if not isinstance(data, ReplayOk) and not head:
            # The window moved past the cursor while the poll waited: refused like a resume (R3).
            frame = resume_failed_frame(data.reason, f"cursor {held.cursor} is outside the replay window ({data.earliest_seq}..{data.latest_seq})", data.earliest_seq, data.latest_seq)
            _resolve(held.future, _frames(410 if data.reason == "window_exceeded" else 400, [dumps(frame)]))
            return
        frames = head + (self.t.capped([f.frame for f in data.frames], held.bound) if isinstance(data, ReplayOk) else [])
        # An empty answer after the hold carries a heartbeat: the client sees the server is alive
        # and, from latest_seq, whether it missed the tail (Q4) — polling has no other heartbeat.
        if not frames:
            frames.append(dumps(heartbeat_frame(session.id, session.latest_seq, session.acked)))
        body = frames_body(frames)
        if self.attachment_id is not None:
            body = f'{body[:-1]},"attachment":{dumps(self.attachment_id)}}}'
        _resolve(held.future, (200, body, {}))

    # --- Attachment ------------------------------------------------------------------------------

    def send(self, frame: str, seq: int | None = None) -> None:
        if self._closed:
            return
        if seq is None:
            self._control.append(frame)  # data frames are read from the window by cursor
            self._control_bytes += len(frame)
            # L2: control frames (handler errors, say) pile up only while the client does not poll.
            if self._held is None and self._control_bytes > self.core.limits.max_buffered_bytes:
                self.close(CloseReason("slow_consumer", "the client stopped polling"))
                return
        if self._held is not None:
            self._schedule_answer()

    def heartbeat(self, latest_seq: int, acked: int) -> None:
        # A poll attachment ends when the client stops polling: the TTL starts then.
        if not self._closed and self._held is None and _now() >= self._lease_until and self.session is not None:
            self._closed = True
            self.core.detach(self.session, self)

    def close(self, reason: CloseReason) -> None:
        if self._closed:
            return
        self._closed = True
        if reason.code == "slow_consumer":
            self._control = []
            self._control_bytes = 0
            if self.session is not None:
                self.core.detach(self.session, self)  # L3: its TTL runs from now
            return
        if reason.code == "superseded":
            self._control.append(dumps(error_frame("superseded", reason.message, session_id=self.session.id if self.session else None)))
        elif reason.frame is not None:
            self._control.append(dumps(reason.frame))
        held = self._take_held()
        if held is not None:
            _resolve(held.future, _frames(200, self._control))
            self._control = []
            self._control_bytes = 0

    def inbound_drained(self) -> None:
        return None  # poll has no upstream to pause: POSTs are refused instead (L2)

    def serve(self, cursor: int, bound: Bound) -> asyncio.Future[Answer]:
        """Answers now if there is anything after the cursor, else holds the request."""
        previous = self._take_held()
        if previous is not None:
            # Two polls at once for one session: the newer one takes over (S4), the older one is
            # told why, so that a second poll client does not go on polling beside it.
            frame = error_frame("superseded", "a newer poll request took over this session", session_id=self.session.id if self.session else None)
            _resolve(previous.future, _frames(200, [dumps(frame)]))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        timer = loop.call_later(self.t.hold_ms / 1000, self._answer)
        self._held = _Held(future, cursor, bound, timer)
        self.t.holding.add(self)
        if self._control or (self.session is not None and cursor < self.session.latest_seq):
            self._answer()
        return future

    def client_left(self, future: asyncio.Future[Answer]) -> None:
        if self._held is not None and self._held.future is future:
            self._take_held()
            self._lease_until = _now() + self.t.lease_ms


def _resolve(future: asyncio.Future[Answer], answer: Answer) -> None:
    if not future.done():
        future.set_result(answer)
