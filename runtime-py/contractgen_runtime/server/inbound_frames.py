"""Inbound frames for a session this process holds (S2, S5, L2, L4, C2): a frame must name its
session and find room in its inbound queue; the kernel frames (ack, a resume over an attached
connection) are answered here; an application frame with a cseq is decided by the store
(inbound_delivery.py) before its handler is queued, and the client hears the verdict — over a
connection one protocol.received per decided run, in a POST's answer once every frame of it was
decided. Part of the protocol core (server_core.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..frames import Frame, Kernel, error_frame, received_frame, resume_failed_frame, resumed_frame
from ..json_text import utf8_length
from .core_types import Attachment, CloseReason, FrameRef, FromPost, InboundOutcome, InboundSource, Refused, Session
from .frame_parser import ERROR_STATUS, ClientFrame, Rejected, refusal
from .handshake import NO_TOKEN, RESUME_MESSAGES, plausible_id, window_failure
from .inbound_delivery import InboundDelivery
from .store import ReplayRefused, SessionFound, Verdict

if TYPE_CHECKING:
    from .server_core import ServerCore


class InboundFrames:
    """The core's inbound path (see the module doc); reads the core's store, hooks, parser and limits."""

    def __init__(self, core: ServerCore) -> None:
        self._core = core
        # C2: each cseq handed to its handler once, in order, decided by the store in runs (inbound_delivery.py).
        self._delivery: InboundDelivery[Session] = InboundDelivery(core.store, self._run_accepted, self._flush_ack_of)
        # C2 over a connection: one protocol.received per decided run, with the highest cseq accepted.
        self._acks_due: dict[Session, Attachment] = {}

    def release(self, session_id: str, seq: int) -> None:
        """R4: the client has processed frames up to ``seq``: the store may let go of them."""
        self._core.spawn(self._core.store.release(session_id, seq), session_id, Kernel.ack)

    async def _handle_frame(self, frame: ClientFrame, session: Session, attachment: Attachment | None, size: int) -> Frame | asyncio.Future[tuple[Verdict, int]] | None:
        header = _dict(frame["header"])
        payload = _dict(frame["payload"])
        request_id = header.get("request_id")
        rid = request_id if isinstance(request_id, str) else None
        ack = header.get("ack")
        if ack is not None:
            self.release(session.id, _int(ack))
        type_ = str(frame["type"])
        if type_ == Kernel.ack:
            self.release(session.id, _int(payload["last_seen_seq"]))
            return None
        if type_ == Kernel.resume:
            # Over an attached connection the client may ask to replay its own session again.
            if attachment is None:
                return error_frame("invalid_message", "protocol.resume is sent on connect: a WebSocket frame, or query parameters on SSE and poll", request_id=rid, path="/type")
            token = str(payload["resume_token"])
            auth = await self._core.store.authenticate(str(header["session_id"]), token, session.owner) if plausible_id(token) else None
            if not isinstance(auth, SessionFound) or header["session_id"] != session.id:
                return resume_failed_frame("unknown_session", RESUME_MESSAGES["unknown_session"])
            last_seen = _int(payload["last_seen_seq"])
            answer = await self._core.store.replay(session.id, last_seen)
            if isinstance(answer, ReplayRefused):
                return window_failure(answer, last_seen).frame
            session.acked = max(session.acked, answer.acked)
            self._core.send_control(attachment, resumed_frame(session.id, answer.from_seq, answer.latest_seq, answer.acked))
            for f in answer.frames:
                attachment.send(f.frame, f.seq)
            return None
        cseq = header.get("cseq")
        if not isinstance(cseq, int):
            on_message = self._core.hooks.on_message
            self._core.run_hook(session, type_, lambda: on_message(session, frame), size, FrameRef(None, rid))
            return None
        decided = self._delivery.hand(session, frame, cseq, size, None if attachment is None else lambda verdict, acked: self._answer_verdict(session, attachment, frame, verdict, acked))
        if attachment is not None:
            # A connection goes on reading; the client hears the verdict as soon as the store decided
            # (ahead of what the handler sends), or the connection is closed when it could not.
            decided.add_done_callback(lambda d: self._store_failed(session, attachment, frame, d))
            return None
        # A POST is answered with what became of its frames (C2: acked in the answer), once every frame of it was decided.
        return decided

    def _run_accepted(self, session: Session, frame: ClientFrame, cseq: int, size: int) -> None:
        """C2: an accepted frame is queued for its handler, once. A process that dies between
        accepting a frame and running its handler loses it: at most once."""
        rid = _dict(frame["header"]).get("request_id")
        on_message = self._core.hooks.on_message
        self._core.run_hook(session, str(frame["type"]), lambda: on_message(session, frame), size, FrameRef(cseq, rid if isinstance(rid, str) else None))

    def _gap_error(self, session: Session, frame: ClientFrame, acked: int) -> Frame:
        header = _dict(frame["header"])
        rid = header.get("request_id")
        cseq = _int(header["cseq"])
        message = f"cseq {cseq} is not the next one: the server has accepted up to {acked}; send again from {acked + 1}, in order"
        return error_frame("cseq_gap", message, session_id=session.id, path="/header/cseq", request_id=rid if isinstance(rid, str) else None, cseq=cseq)

    def _store_failed(self, session: Session, attachment: Attachment, frame: ClientFrame, decided: asyncio.Future[tuple[Verdict, int]]) -> None:
        """The store could not decide: nothing was handed or acknowledged; the client resumes and sends it again."""
        if decided.cancelled():
            return
        error = decided.exception()
        if error is not None:
            self._core.report(error, session.id, str(frame["type"]))
            attachment.close(CloseReason("server_closing", "the session store could not record a frame; resume and send it again"))

    def _answer_verdict(self, session: Session, attachment: Attachment, frame: ClientFrame, verdict: Verdict, acked: int) -> None:
        """C2: what an attached client hears about one of its frames once the store decided it."""
        if verdict == "gap":
            if session.attachment is attachment:
                self._core.send_control(attachment, self._gap_error(session, frame, acked))
            return
        self._acks_due[session] = attachment

    def _flush_ack_of(self, session: Session) -> None:
        """A run of the session's frames is decided: one acknowledgement for all of it, sent before
        any of its handlers is queued (the client's sends resolve ahead of what they answer)."""
        attachment = self._acks_due.pop(session, None)
        if attachment is not None and session.attachment is attachment:
            try:
                self._core.send_control(attachment, received_frame(session.id, session.acked))
            except Exception as error:
                self._core.report(error, session.id, Kernel.received)

    async def _accept(self, frame: ClientFrame, size: int, session: Session, attachment: Attachment | None) -> Rejected | asyncio.Future[tuple[Verdict, int]] | None:
        """One validated frame for a session this process holds: S2 (it names that session), L2
        (room in its inbound queue), then its handling."""
        header = _dict(frame["header"])
        rid_value = header.get("request_id")
        rid = rid_value if isinstance(rid_value, str) else None
        if header.get("session_id") != session.id:
            message = "header.session_id does not name this connection's session" if attachment is not None else "header.session_id does not name the session this request authenticated"
            return refusal("unknown_session", message, path="/header/session_id", request_id=rid)
        # A connection stops being read when its session is this far behind (the transport pauses
        # it); a POST cannot be paused, so it is refused and the client sends it again later.
        if attachment is None and session.inbound + size > self._core.limits.max_inbound_bytes:
            return refusal("overloaded", f"the session's handlers are {session.inbound} bytes behind (limit {self._core.limits.max_inbound_bytes}); send this frame again later", request_id=rid)
        error = await self._handle_frame(frame, session, attachment, size)
        if error is None or isinstance(error, asyncio.Future):
            return error
        return Rejected(error, 400)

    async def _receive_post(self, text: str, source: FromPost) -> InboundOutcome:
        # L4: no token, no work — not even parsing.
        if source.token is None:
            return _outcome(0, [Rejected(NO_TOKEN.frame, NO_TOKEN.status)])
        batch = self._core.parser.batch(text)
        if isinstance(batch, Rejected):
            return _outcome(0, [batch])
        # The session a POST's query named was authenticated before its body was read (L4).
        session = source.session
        accepted = 0
        failures: list[Rejected] = []
        pending: list[tuple[ClientFrame, asyncio.Future[tuple[Verdict, int]]]] = []
        index = 0
        items = batch.items
        while index < len(items) and len(failures) < self._core.limits.max_error_frames:
            item = items[index]
            index += 1
            if isinstance(item, Rejected):
                failures.append(item)
                continue
            if session is None:
                # L4: the session the first frame names is authenticated once; a refusal answers for
                # the whole batch with one frame, however many frames it carries.
                header = _dict(item.frame["header"])
                auth = await self._core.authenticate(str(header.get("session_id")), source.token, source.client_key, source.owner, source.principal)
                if isinstance(auth, Refused):
                    rid = header.get("request_id")
                    frame = auth.frame
                    if isinstance(rid, str):
                        frame = {**frame, "payload": {**_dict(frame["payload"]), "request_id": rid}}
                    return _outcome(accepted, [*failures, Rejected(frame, auth.status)])
                session = auth.session
            refused = await self._accept(item.frame, item.bytes, session, None)
            if refused is None:
                accepted += 1
            elif isinstance(refused, asyncio.Future):
                pending.append((item.frame, refused))
            else:
                failures.append(refused)
        # C2: the answer waits until the store decided every frame it queued (not for their handlers).
        for sent, decided in pending:
            verdict, acked = await decided
            if verdict == "gap" and session is not None:
                failures.append(Rejected(self._gap_error(session, sent, acked), ERROR_STATUS["cseq_gap"]))
            else:
                accepted += 1
        left = len(items) - index
        if left > 0:
            failures.append(refusal("overloaded", f"{left} more frames of this batch were not handled after {len(failures)} were refused; correct them and send the rest again"))
        return _outcome(accepted, failures, session.acked if session is not None else None)

    async def receive(self, text: str, source: InboundSource) -> InboundOutcome:
        """Handles inbound text (one frame, or a JSON array of at most max_frames_per_post frames for POST)."""
        if isinstance(source, FromPost):
            return await self._receive_post(text, source)
        parsed = self._core.parser.parse(text)
        if isinstance(parsed, Rejected):
            return _outcome(0, [parsed])
        refused = await self._accept(parsed.frame, utf8_length(text), source.session, source.attachment)
        return _outcome(0, [refused]) if isinstance(refused, Rejected) else _outcome(1, [])


def _outcome(accepted: int, failures: Sequence[Rejected], acked: int | None = None) -> InboundOutcome:
    """The answer to inbound frames: the status of the first refusal, or 202."""
    return InboundOutcome(accepted, [f.frame for f in failures], failures[0].status if failures else 202, acked)


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int:
    """A validated JSON integer (1.0 included) as int."""
    return int(value) if isinstance(value, (int, float)) else 0
