"""The transport-independent protocol engine: hello and version negotiation (H1, H2), resume
(R1-R3), inbound frames with typed errors (S2, S5), acknowledgements both ways (Q5, C2: each
client cseq handed to its handler once, in order, decided by the store), heartbeats and TTL
sweeps (S4), the session and inbound bounds (L2), on top of a session store (memory by default,
Redis for several processes). Transports turn sockets and requests into calls on this; nothing
here knows about WebSocket, SSE or HTTP polling. A port of runtime/server/server-core.ts: the
wire is the contract."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..contract import ContractDescriptor, TransportKind
from ..frames import (
    Frame,
    HelloFields,
    Kernel,
    clip,
    error_frame,
    hello_frame,
    negotiate_version,
    received_frame,
    resume_failed_frame,
    resumed_frame,
)
from ..json_text import dumps, utf8_length
from ..limits import ContractLimits, LimitOverrides, resolve_limits
from ..validation import Invalid, Validator, describe_issues
from .frame_parser import ERROR_STATUS as ERROR_STATUS
from .frame_parser import ClientFrame as ClientFrame
from .frame_parser import FrameParser, refusal
from .frame_parser import Parsed as Parsed
from .frame_parser import Rejected as Rejected
from .memory_store import MemoryStore, now_ms
from .outbox import Outbox
from .session_limiter import Refusal, SessionLimiter
from .inbound_delivery import InboundDelivery
from .store import Continued, ReplayAnswer, ReplayOk, ReplayRefused, SessionFound, SessionStore, StoreBounds, Subscription, Verdict

log = logging.getLogger("contractgen.runtime")

CloseCode = Literal["superseded", "session_expired", "protocol_error", "slow_consumer", "server_closing"]


@dataclass(frozen=True, slots=True)
class CloseReason:
    """Why an attachment is being closed by the server."""

    code: CloseCode
    message: str
    #: A frame to deliver before closing, when the transport can.
    frame: Frame | None = None


class Attachment(Protocol):
    """One live transport connection bound to a session. Transports implement it."""

    kind: TransportKind

    def send(self, frame: str, seq: int | None = None) -> None:
        """Delivers serialized frames in order; ``seq`` is set for data frames."""

    def heartbeat(self, latest_seq: int, acked: int) -> None:
        """Keepalive tick (every heartbeat interval while attached), with the newest seq and the
        highest cseq accepted (C2)."""

    def close(self, reason: CloseReason) -> None: ...

    def inbound_drained(self) -> None:
        """L2: the session's handlers caught up (its inbound bytes fell to half the limit): read again."""


@dataclass(eq=False)
class Session:
    """What this process knows of a session it serves."""

    id: str
    protocol_version: str
    #: The live attachment in this process, if any.
    attachment: Attachment | None = None
    #: The newest seq this process has seen for the session.
    latest_seq: int = 0
    #: C2: the highest client cseq this process knows the store accepted.
    acked: int = 0
    #: Free for the application (process-local: with a shared store it does not travel).
    data: dict[str, object] = field(default_factory=dict)
    subscription: Subscription | None = None
    #: L2: who the session is counted against in the limiter.
    client_key: str = ""
    #: A2: the owner key the session is bound to ("" anonymous), and its principal as the last
    #: request that reached it here authenticated it.
    owner: str = ""
    principal: object = None
    #: L2: bytes of client frames queued for, or running in, the handlers.
    inbound: int = 0
    #: When the session last had no attachment here (None while attached).
    idle_since: float | None = None
    # Application messages of one session run one after another, in arrival order.
    _queue: deque[tuple[str, Callable[[], Awaitable[None] | None], int, _FrameRef]] = field(default_factory=deque)
    _worker: asyncio.Task[None] | None = None


@dataclass(frozen=True, slots=True)
class _FrameRef:
    """Which client frame a handler runs for, as an error about it names it (C4)."""

    cseq: int | None = None
    request_id: str | None = None




ErrorHook = Callable[[BaseException, str | None, str | None], None]


@dataclass
class ServerHooks:
    #: An application message from the client, validated; called in arrival order per session.
    on_message: Callable[[Session, ClientFrame], Awaitable[None] | None]
    #: A new session sent its hello (data emitted here follows the hello).
    on_session_start: Callable[[Session], Awaitable[None] | None] | None = None
    #: A session resumed on a new attachment (after the replay).
    on_session_resume: Callable[[Session, TransportKind], Awaitable[None] | None] | None = None
    #: A session is gone: its TTL ran out or it was ended.
    on_session_end: Callable[[Session, Literal["expired", "ended"]], None] | None = None
    #: A handler or hook failed (the client got handler_failed), or the store refused a frame: (error, session id, type).
    on_error: ErrorHook | None = None


@dataclass(frozen=True, slots=True)
class ResumeRequest:
    session_id: str
    token: str
    last_seen_seq: int
    versions: Sequence[str] | None
    #: L2: the client the session is counted against if this process does not hold it yet.
    client_key: str = "unknown"
    #: A2: who asks (the session must be theirs).
    owner: str = ""
    principal: object = None


@dataclass(frozen=True, slots=True)
class Opened:
    session: Session
    ok: Literal[True] = True
    #: The attachment's id in the store (S4.10: a poll answer hands it to the client).
    attachment_id: str | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    status: int
    frame: Frame
    #: Set when the refusal is ``overloaded`` (L2): seconds to wait (the Retry-After header).
    retry_after_s: int | None = None
    ok: Literal[False] = False


OpenOutcome = Opened | Refused


@dataclass(frozen=True, slots=True)
class FromAttachment:
    session: Session
    attachment: Attachment


@dataclass(frozen=True, slots=True)
class FromPost:
    """A POST with a token: its session authenticated already when the request named it (L4),
    else the frames name it."""

    token: str | None
    client_key: str = "unknown"
    session: Session | None = None
    #: A2: who POSTs (the session must be theirs).
    owner: str = ""
    principal: object = None


InboundSource = FromAttachment | FromPost


@dataclass(frozen=True, slots=True)
class InboundOutcome:
    #: Frames accepted (validated and queued for the application, or acknowledged again as duplicates, C2).
    accepted: int
    #: Typed errors to answer on the same channel.
    errors: Sequence[Frame]
    #: HTTP status that fits the first error (POST).
    status: int
    #: C2: the highest cseq of the session accepted, when the frames named a session.
    acked: int | None = None


@dataclass(frozen=True, slots=True)
class ServerStats:
    """What this process holds now, for operators and tests (L2)."""

    sessions: int
    attached: int
    #: Distinct client keys holding sessions.
    clients: int
    #: Bytes of client frames queued for handlers, over every session.
    inbound_bytes: int


RESUME_MESSAGES: Mapping[str, str] = {
    "unknown_session": "no session matches this session_id and resume_token; start a new session",
    "session_expired": "the session expired after its grace period; start a new session and re-sync from history",
}

_PLAUSIBLE_ID = re.compile(r"^[A-Za-z0-9_-]{1,512}\Z")


def plausible_id(value: str) -> bool:
    """Session ids and tokens are URL-safe text (S1). Anything else cannot name a session: it is
    refused like an unknown one without asking the store (a remote store would get a key built
    from it)."""
    return _PLAUSIBLE_ID.match(value) is not None


def overloaded(r: Refusal) -> Refused:
    """The ``overloaded`` refusal of L2, as a failed open."""
    return Refused(r.status, error_frame("overloaded", r.message), r.retry_after_s)


_NO_TOKEN = Refused(401, error_frame("unknown_session", "a POSTed frame needs the session token: send Resume-Token: <resume_token>"))


class ServerCore:
    def __init__(
        self,
        contract: ContractDescriptor,
        validate_client: Validator[ClientFrame],
        server_validators: Mapping[str, Validator[object]],
        payload_validators: Mapping[str, Validator[object]],
        hooks: ServerHooks,
        store: SessionStore | None = None,
        now: Callable[[], float] = now_ms,
        limits: LimitOverrides | None = None,
    ) -> None:
        self.contract = contract
        self.hooks = hooks
        self._server_validators = server_validators
        self._now = now
        self.transports = contract.transports.kinds()
        self.store: SessionStore = store or MemoryStore(
            StoreBounds(contract.session.ttl_ms, contract.session.id_bits, contract.session.token_bits, contract.replay_window.max_messages, contract.replay_window.max_bytes),
            now=now,
        )
        self.outbox = Outbox(self.store, contract.max_frame_bytes, payload_validators, lambda e, sid, t: self.report(e, sid, t))
        #: L2: the effective limits (server options over the contract's).
        self.limits: ContractLimits = resolve_limits(contract, contract.limits, limits)
        self.parser = FrameParser(contract.max_frame_bytes, validate_client, self.limits.max_frames_per_post)
        self._limiter = SessionLimiter(self.limits, now)
        self._locals: dict[str, Session] = {}
        self._inbound_total = 0
        self._timer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[object]] = set()
        # C2: each cseq handed to its handler once, in order, decided by the store in runs (inbound_delivery.py).
        self._delivery: InboundDelivery[Session] = InboundDelivery(self.store, self._run_accepted, self._flush_ack_of)
        # C2 over a connection: one protocol.received per decided run, with the highest cseq accepted.
        self._acks_due: dict[Session, Attachment] = {}

    # --- helpers -------------------------------------------------------------------------------

    def report(self, error: BaseException, session_id: str | None = None, type_: str | None = None) -> None:
        hook = self.hooks.on_error
        if hook is None:
            log.warning("contractgen: %s (session %s, %s)", error, session_id, type_)
            return
        try:
            hook(error, session_id, type_)
        except Exception:  # an error hook that throws must not break a queue, a timer or a socket
            log.exception("contractgen: the on_error hook failed")

    def spawn(self, coro: Awaitable[object], session_id: str | None = None, what: str | None = None) -> None:
        """Runs background store work; a failure is reported, never raised into a transport."""

        async def run() -> object:
            try:
                return await coro
            except Exception as error:
                self.report(error, session_id, what)
                return None

        task = asyncio.ensure_future(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def encode(self, frame: Frame) -> str:
        validate = self._server_validators.get(str(frame["type"]))
        if validate is not None:
            result = validate(frame)
            # A kernel frame the spec does not accept is a contract/runtime mismatch: fail loudly.
            if isinstance(result, Invalid):
                raise RuntimeError(f"contractgen runtime: the spec rejects the {frame['type']} the runtime builds ({describe_issues(result)}); regenerate from a spec that passes `contractgen lint`")
        return dumps(frame)

    def send_control(self, attachment: Attachment, frame: Frame) -> None:
        attachment.send(self.encode(frame))

    def local(self, session_id: str) -> Session | None:
        return self._locals.get(session_id)

    def sessions(self) -> Iterator[Session]:
        return iter(list(self._locals.values()))

    def inbound_bytes(self, session: Session) -> int:
        """L2: bytes of client frames of this session queued for, or running in, its handlers."""
        return session.inbound

    def stats(self) -> ServerStats:
        attached = sum(1 for s in self._locals.values() if s.attachment is not None)
        return ServerStats(len(self._locals), attached, self._limiter.clients, self._inbound_total)

    def _local_of(self, session_id: str, protocol_version: str, client_key: str, owner: str = "", principal: object = None) -> Session | Refusal:
        """The session as this process holds it. A session new to this process is counted against
        ``client_key`` first (L2); a resume of one held elsewhere (a shared store) spends no token
        of the per-second budget, but still needs room."""
        session = self._locals.get(session_id)
        if session is not None:
            session.principal = principal  # the same owner (the store checked): its newest principal
            return session
        refused = self._limiter.admit(client_key, False)
        if refused is not None:
            return refused
        session = Session(session_id, protocol_version, client_key=client_key, owner=owner, principal=principal, idle_since=self._now())
        self._locals[session_id] = session
        return session

    def _forget(self, session: Session) -> None:
        """The process lets go of a session (it ended, expired, or lives on in another process)."""
        if self._locals.get(session.id) is not session:
            return
        del self._locals[session.id]
        self._limiter.release(session.client_key)

    def _fail(self, reason: Literal["unknown_session", "session_expired"]) -> Refused:
        return Refused(ERROR_STATUS[reason], resume_failed_frame(reason, RESUME_MESSAGES[reason]))

    def _window_failure(self, answer: ReplayRefused, last_seen: int) -> Refused:
        """R3: never a silent partial replay — the refusal says where the window starts."""
        if answer.reason == "window_exceeded":
            message = f"last_seen_seq {last_seen} is older than the replay window, which starts at seq {answer.earliest_seq}; re-sync from history"
        else:
            message = f"last_seen_seq {last_seen} is ahead of the newest seq {answer.latest_seq}"
        return Refused(ERROR_STATUS[answer.reason], resume_failed_frame(answer.reason, message, answer.earliest_seq, answer.latest_seq))

    def _unsupported(self, versions: Sequence[str] | None) -> Refused:
        offered = clip(", ".join(versions) if versions else "none", 120)
        supported = self.contract.protocol_versions
        message = f"no common protocol version: the client offered {offered}, the server speaks {', '.join(supported)}"
        return Refused(ERROR_STATUS["unsupported_version"], error_frame("unsupported_version", message, supported_versions=supported))

    def _hello(self, session: Session, token: str) -> Frame:
        c = self.contract
        return hello_frame(
            HelloFields(
                protocol_version=session.protocol_version,
                session_id=session.id,
                resume_token=token,
                latest_seq=session.latest_seq,
                max_messages=c.replay_window.max_messages,
                max_bytes=c.replay_window.max_bytes,
                heartbeat_ms=c.heartbeat_ms,
                session_ttl_ms=c.session.ttl_ms,
                max_frame_bytes=c.max_frame_bytes,
                transports=self.transports,
                capabilities=c.capabilities,
            )
        )

    def run_hook(self, session: Session, type_: str, fn: Callable[[], Awaitable[None] | None], size: int = 0, about: _FrameRef = _FrameRef()) -> None:
        """Queues application code for a session; it runs after everything queued before it.
        ``size`` bytes of the client frame count against the session's inbound limit until it has
        run (L2); when they fall to half of it, the attachment is told it may read again. ``about``
        names the frame in a ``handler_failed`` answer."""
        session._queue.append((type_, fn, size, about))
        session.inbound += size
        self._inbound_total += size
        if session._worker is None or session._worker.done():
            session._worker = asyncio.ensure_future(self._drain(session))

    async def _drain(self, session: Session) -> None:
        while session._queue:
            type_, fn, size, about = session._queue.popleft()
            try:
                result = fn()
                if result is not None:
                    await result
            except Exception as error:
                self.report(error, session.id, type_)
                a = session.attachment
                if a is not None:
                    try:
                        which = f" (cseq {about.cseq})" if about.cseq is not None else ""
                        message = f"the server failed to handle {clip(type_)}{which}; it is not handled again, and the session is intact"
                        self.send_control(a, error_frame("handler_failed", message, session_id=session.id, request_id=about.request_id, cseq=about.cseq))
                    except Exception as failure:  # never a dead queue
                        self.report(failure, session.id, type_)
            finally:
                if size:
                    session.inbound -= size
                    self._inbound_total -= size
                    a = session.attachment
                    if a is not None and session.inbound <= self.limits.max_inbound_bytes / 2:
                        try:
                            a.inbound_drained()
                        except Exception as error:
                            self.report(error, session.id, "inbound drained")

    # --- binding -------------------------------------------------------------------------------

    async def _bind(self, session: Session, attachment: Attachment, continuing: tuple[str, int] | None = None) -> _Binding | None:
        """S4: binds ``attachment`` to the session through the store (superseding any other one).
        Frames the store delivers are held back until ``release`` — after hello, resumed and the
        replay were sent — so nothing overtakes them and nothing is sent twice. ``continuing``
        (S4.10: attachment id, lease): bound to that live attachment without a claim, or None
        when it is not the live one any more."""
        binding = _Binding(self, session, attachment)
        session.attachment = attachment
        session.idle_since = None
        try:
            if continuing is None:
                subscription = await self.store.attach(session.id, session.protocol_version, binding)
            else:
                continued: Continued | None = await self.store.proceed(session.id, continuing[0], continuing[1], binding)  # type: ignore[attr-defined]
                if continued is None:
                    if session.attachment is attachment:
                        session.attachment = None
                        session.idle_since = self._now()
                    return None
                subscription = continued.subscription
                session.latest_seq = max(session.latest_seq, continued.latest_seq)
                session.acked = max(session.acked, continued.acked)
        except BaseException:
            # The store refused (e.g. Redis is down): the session is not bound here.
            if session.attachment is attachment:
                session.attachment = None
                session.idle_since = self._now()
            raise
        if session.attachment is attachment:
            session.subscription = subscription
        else:
            # The connection went away (or was superseded) while the store answered: let go of the
            # binding, or the store would hold the session attached and it would never expire.
            self.spawn(self.store.detach(subscription), session.id, "detach")
        return binding

    # --- entry points ----------------------------------------------------------------------------

    async def open(self, attachment: Attachment, versions: Sequence[str] | None, client_key: str = "unknown", owner: str = "", principal: object = None) -> OpenOutcome:
        """H1/H2: a new session on a fresh attachment, if the limits admit one for ``client_key``
        (L2); the hello is sent before this returns."""
        version = negotiate_version(versions, self.contract.protocol_versions)
        if version is None:
            return self._unsupported(versions)
        # L2: room for one more session here, for this client, this second — before the store is asked.
        refused = self._limiter.admit(client_key, True)
        if refused is not None:
            return overloaded(refused)
        try:
            session_id, token = await self.store.create(version, owner, "" if owner == "" else dumps(principal))
        except BaseException:
            self._limiter.release(client_key)
            raise
        session = Session(session_id, version, client_key=client_key, owner=owner, principal=principal, idle_since=self._now())
        self._locals[session_id] = session
        binding = await self._bind(session, attachment)
        assert binding is not None
        self.send_control(attachment, self._hello(session, token))
        binding.release(0)
        start = self.hooks.on_session_start
        if start is not None:
            self.run_hook(session, "session start", lambda: start(session))
        return Opened(session, attachment_id=_attachment_id(session))

    async def resume(self, attachment: Attachment, request: ResumeRequest) -> OpenOutcome:
        """R1-R3: resume on a (new) attachment; hello, resumed and the replay are sent on success."""
        version = negotiate_version(request.versions, self.contract.protocol_versions)
        if version is None:
            return self._unsupported(request.versions)
        if not plausible_id(request.session_id) or not plausible_id(request.token):
            return self._fail("unknown_session")
        auth = await self.store.authenticate(request.session_id, request.token, request.owner)
        if not isinstance(auth, SessionFound):
            return self._fail(auth.reason)
        # Check the window before taking the session over: a refused resume leaves it as it was.
        check = await self.store.replay(request.session_id, request.last_seen_seq)
        if isinstance(check, ReplayRefused):
            return self._window_failure(check, request.last_seen_seq)
        local = self._local_of(request.session_id, version, request.client_key, request.owner, request.principal)
        if isinstance(local, Refusal):
            return overloaded(local)
        session = local
        session.protocol_version = version
        binding = await self._bind(session, attachment)
        assert binding is not None
        # Read again now that new frames reach this attachment: nothing falls between the two.
        try:
            answer = await self.store.replay(session.id, request.last_seen_seq)
        except BaseException:
            self.detach(session, attachment)  # the store failed between bind and replay
            raise
        if isinstance(answer, ReplayRefused):
            self.detach(session, attachment)
            return self._window_failure(answer, request.last_seen_seq)
        if answer.latest_seq > session.latest_seq:
            session.latest_seq = answer.latest_seq
        session.acked = max(session.acked, answer.acked)
        self.send_control(attachment, self._hello(session, request.token))
        self.send_control(attachment, resumed_frame(session.id, answer.from_seq, answer.latest_seq, answer.acked))
        for f in answer.frames:
            attachment.send(f.frame, f.seq)
        binding.release(answer.latest_seq)
        self._release(session.id, request.last_seen_seq)  # the client has processed these (R4)
        on_resume = self.hooks.on_session_resume
        if on_resume is not None:
            kind = attachment.kind
            self.run_hook(session, "session resume", lambda: on_resume(session, kind))
        return Opened(session, attachment_id=_attachment_id(session))

    async def proceed(self, attachment: Attachment, session_id: str, protocol_version: str, attachment_id: str, lease_ms: int, client_key: str, owner: str = "", principal: object = None) -> OpenOutcome | None:
        """S4.10: a poll continues the session's live attachment on this process (the token already
        checked): bound here without a claim, no hello, nothing superseded. None when that
        attachment is not the live one any more, or the store is not shared: the poll is a resume."""
        if getattr(self.store, "proceed", None) is None:
            return None
        local = self._local_of(session_id, protocol_version, client_key, owner, principal)
        if isinstance(local, Refusal):
            return overloaded(local)
        if local.attachment is not None:
            return None  # an attachment this process holds is the live one here: the poll names another
        binding = await self._bind(local, attachment, (attachment_id, lease_ms))
        if binding is None:
            return None
        binding.release(local.latest_seq)  # a poll reads data from the window by cursor: only what comes after wakes it
        return Opened(local, attachment_id=_attachment_id(local))

    def renew(self, session: Session, lease_ms: int) -> None:
        """S4.10: a poll of the attachment this process holds, on a shared store: it stays live
        ``lease_ms`` from now wherever served."""
        renew = getattr(self.store, "renew", None)
        local = self._locals.get(session.id)
        if renew is not None and local is not None and local.subscription is not None:
            self.spawn(renew(local.subscription, lease_ms), session.id, "poll")

    def parse(self, text: str) -> Parsed | Rejected:
        """Parses and validates one client frame (S2/S5 typed errors)."""
        return self.parser.parse(text)

    async def authenticate(self, session_id: str, token: str | None, client_key: str, owner: str = "", principal: object = None) -> OpenOutcome:
        """S3/L4: a POST's session, from its id and the resume token, before any of its frames is
        looked at (the messages endpoint calls this before it reads a body that names the session
        in its query)."""
        if token is None:
            return _NO_TOKEN
        if plausible_id(session_id) and plausible_id(token):
            auth = await self.store.authenticate(session_id, token, owner)
        else:
            return self._unknown()
        if not isinstance(auth, SessionFound):
            return Refused(ERROR_STATUS[auth.reason], error_frame(auth.reason, RESUME_MESSAGES[auth.reason], path="/header/session_id"))
        local = self._local_of(session_id, auth.protocol_version, client_key, owner, principal)
        if isinstance(local, Refusal):
            return overloaded(local)
        if local.attachment is None:
            local.idle_since = self._now()  # used here, so not stale
        return Opened(local)

    def _unknown(self) -> Refused:
        return Refused(ERROR_STATUS["unknown_session"], error_frame("unknown_session", RESUME_MESSAGES["unknown_session"], path="/header/session_id"))

    def _release(self, session_id: str, seq: int) -> None:
        self.spawn(self.store.release(session_id, seq), session_id, Kernel.ack)

    async def _handle_frame(self, frame: ClientFrame, session: Session, attachment: Attachment | None, size: int) -> Frame | asyncio.Future[tuple[Verdict, int]] | None:
        header = _dict(frame["header"])
        payload = _dict(frame["payload"])
        request_id = header.get("request_id")
        rid = request_id if isinstance(request_id, str) else None
        ack = header.get("ack")
        if ack is not None:
            self._release(session.id, _int(ack))
        type_ = str(frame["type"])
        if type_ == Kernel.ack:
            self._release(session.id, _int(payload["last_seen_seq"]))
            return None
        if type_ == Kernel.resume:
            # Over an attached connection the client may ask to replay its own session again.
            if attachment is None:
                return error_frame("invalid_message", "protocol.resume is sent on connect: a WebSocket frame, or query parameters on SSE and poll", request_id=rid, path="/type")
            token = str(payload["resume_token"])
            auth = await self.store.authenticate(str(header["session_id"]), token, session.owner) if plausible_id(token) else None
            if not isinstance(auth, SessionFound) or header["session_id"] != session.id:
                return resume_failed_frame("unknown_session", RESUME_MESSAGES["unknown_session"])
            last_seen = _int(payload["last_seen_seq"])
            answer = await self.store.replay(session.id, last_seen)
            if isinstance(answer, ReplayRefused):
                return self._window_failure(answer, last_seen).frame
            session.acked = max(session.acked, answer.acked)
            self.send_control(attachment, resumed_frame(session.id, answer.from_seq, answer.latest_seq, answer.acked))
            for f in answer.frames:
                attachment.send(f.frame, f.seq)
            return None
        cseq = header.get("cseq")
        if not isinstance(cseq, int):
            on_message = self.hooks.on_message
            self.run_hook(session, type_, lambda: on_message(session, frame), size, _FrameRef(None, rid))
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
        on_message = self.hooks.on_message
        self.run_hook(session, str(frame["type"]), lambda: on_message(session, frame), size, _FrameRef(cseq, rid if isinstance(rid, str) else None))

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
            self.report(error, session.id, str(frame["type"]))
            attachment.close(CloseReason("server_closing", "the session store could not record a frame; resume and send it again"))

    def _answer_verdict(self, session: Session, attachment: Attachment, frame: ClientFrame, verdict: Verdict, acked: int) -> None:
        """C2: what an attached client hears about one of its frames once the store decided it."""
        if verdict == "gap":
            if session.attachment is attachment:
                self.send_control(attachment, self._gap_error(session, frame, acked))
            return
        self._acks_due[session] = attachment

    def _flush_ack_of(self, session: Session) -> None:
        """A run of the session's frames is decided: one acknowledgement for all of it, sent before
        any of its handlers is queued (the client's sends resolve ahead of what they answer)."""
        attachment = self._acks_due.pop(session, None)
        if attachment is not None and session.attachment is attachment:
            try:
                self.send_control(attachment, received_frame(session.id, session.acked))
            except Exception as error:
                self.report(error, session.id, Kernel.received)

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
        if attachment is None and session.inbound + size > self.limits.max_inbound_bytes:
            return refusal("overloaded", f"the session's handlers are {session.inbound} bytes behind (limit {self.limits.max_inbound_bytes}); send this frame again later", request_id=rid)
        error = await self._handle_frame(frame, session, attachment, size)
        if error is None or isinstance(error, asyncio.Future):
            return error
        return Rejected(error, 400)

    async def _receive_post(self, text: str, source: FromPost) -> InboundOutcome:
        # L4: no token, no work — not even parsing.
        if source.token is None:
            return _outcome(0, [Rejected(_NO_TOKEN.frame, _NO_TOKEN.status)])
        batch = self.parser.batch(text)
        if isinstance(batch, Rejected):
            return _outcome(0, [batch])
        # The session a POST's query named was authenticated before its body was read (L4).
        session = source.session
        accepted = 0
        failures: list[Rejected] = []
        pending: list[tuple[ClientFrame, asyncio.Future[tuple[Verdict, int]]]] = []
        index = 0
        items = batch.items
        while index < len(items) and len(failures) < self.limits.max_error_frames:
            item = items[index]
            index += 1
            if isinstance(item, Rejected):
                failures.append(item)
                continue
            if session is None:
                # L4: the session the first frame names is authenticated once; a refusal answers for
                # the whole batch with one frame, however many frames it carries.
                header = _dict(item.frame["header"])
                auth = await self.authenticate(str(header.get("session_id")), source.token, source.client_key, source.owner, source.principal)
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
        parsed = self.parser.parse(text)
        if isinstance(parsed, Rejected):
            return _outcome(0, [parsed])
        refused = await self._accept(parsed.frame, utf8_length(text), source.session, source.attachment)
        return _outcome(0, [refused]) if isinstance(refused, Rejected) else _outcome(1, [])

    def detach(self, session: Session, attachment: Attachment) -> None:
        """The attachment went away; the TTL starts."""
        local = self._locals.get(session.id)
        if local is None or local.attachment is not attachment:
            return
        subscription = local.subscription
        local.attachment = None
        local.subscription = None
        local.idle_since = self._now()
        if subscription is not None:
            self.spawn(self.store.detach(subscription), session.id, "detach")

    async def end(self, session_id: str) -> bool:
        """Ends a session now: closes its attachment, forgets it, runs on_session_end."""
        local = self._locals.get(session_id)
        await self.store.end(session_id)
        if local is None:
            return False
        self._forget(local)
        self._session_end(local, "ended")
        return True

    def _session_end(self, session: Session, reason: Literal["expired", "ended"]) -> None:
        hook = self.hooks.on_session_end
        if hook is None:
            return
        try:
            hook(session, reason)
        except Exception as error:
            self.report(error, session.id, "session end")  # never crash the timer

    def start(self) -> None:
        """Heartbeats and the TTL sweep; idempotent, needs a running event loop."""
        if self._timer is None or self._timer.done():
            self._timer = asyncio.ensure_future(self._tick_loop())

    async def _tick_loop(self) -> None:
        c = self.contract
        tick = min(c.heartbeat_ms, max(1000, c.session.ttl_ms // 4)) / 1000
        while True:
            await asyncio.sleep(tick)
            try:
                await self._tick()
            except Exception as error:  # never a dead timer
                self.report(error, None, "tick")

    async def _tick(self) -> None:
        at = self._now()
        ttl = self.contract.session.ttl_ms
        for s in list(self._locals.values()):
            if s.attachment is not None:
                try:
                    s.attachment.heartbeat(s.latest_seq, s.acked)
                except Exception as error:
                    self.report(error, s.id, "heartbeat")  # one broken connection never stops the others' heartbeats
            elif s.idle_since is not None and at - s.idle_since > 2 * ttl:
                # The store never reported it: it lives on in another process (a shared store). It
                # is not ours to end, only to stop counting (L2).
                self._forget(s)
        try:
            expired = await self.store.sweep(at)
        except Exception as error:
            self.report(error, None, "sweep")
            return
        for sid in expired:
            session = self._locals.get(sid)
            if session is not None:
                self._forget(session)
            self._session_end(session or Session(sid, ""), "expired")

    def close(self) -> None:
        """Stops timers and closes every attachment."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for s in list(self._locals.values()):
            if s.attachment is not None:
                s.attachment.close(CloseReason("server_closing", "the server is shutting down; resume later"))


def _outcome(accepted: int, failures: Sequence[Rejected], acked: int | None = None) -> InboundOutcome:
    """The answer to inbound frames: the status of the first refusal, or 202."""
    return InboundOutcome(accepted, [f.frame for f in failures], failures[0].status if failures else 202, acked)


def _attachment_id(session: Session) -> str | None:
    return session.subscription.attachment_id if session.subscription is not None else None


class _Binding:
    """The store's listener for one attachment (see ServerCore._bind)."""

    __slots__ = ("_core", "_session", "_attachment", "_held", "_sent_up_to")

    def __init__(self, core: ServerCore, session: Session, attachment: Attachment) -> None:
        self._core = core
        self._session = session
        self._attachment = attachment
        self._held: list[tuple[str, int]] | None = []
        self._sent_up_to = float("inf")

    def frame(self, frame: str, seq: int) -> None:
        session = self._session
        if seq > session.latest_seq:
            session.latest_seq = seq
        if session.attachment is not self._attachment:
            return
        if self._held is not None:
            self._held.append((frame, seq))
        elif seq > self._sent_up_to:
            self._sent_up_to = seq
            self._attachment.send(frame, seq)

    def superseded(self) -> None:
        session = self._session
        if session.attachment is self._attachment:
            session.attachment = None
            session.subscription = None
        self._attachment.close(CloseReason("superseded", "another connection took over this session"))

    def ended(self) -> None:
        session = self._session
        if session.attachment is self._attachment:
            session.attachment = None
        self._attachment.close(CloseReason("session_expired", "the session was ended by the server"))

    def release(self, after_seq: int) -> None:
        self._sent_up_to = after_seq
        pending = self._held or []
        self._held = None
        for frame, seq in pending:
            self.frame(frame, seq)


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int:
    """A validated JSON integer (1.0 included) as int."""
    return int(value) if isinstance(value, (int, float)) else 0
