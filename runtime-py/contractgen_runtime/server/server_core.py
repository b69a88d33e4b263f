"""The transport-independent protocol engine: hello and version negotiation (H1, H2), resume
(R1-R3), inbound frames with typed errors (S2, S5), acknowledgements both ways (Q5, C2: each
client cseq handed to its handler once, in order, decided by the store), heartbeats and TTL
sweeps (S4), the session and inbound bounds (L2), on top of a session store (memory by default,
Redis for several processes). Transports turn sockets and requests into calls on this; nothing
here knows about WebSocket, SSE or HTTP polling. A port of runtime/server/server-core.ts: the
wire is the contract. Its parts: core_types.py (sessions, attachments, hooks, outcomes),
frame_parser.py (parsing), handshake.py (hello and refusals), session_binding.py (a session bound
to an attachment), handler_queue.py (the application's work, in order and bounded),
inbound_delivery.py (each cseq handed over once, C2), sweeper.py (heartbeats and TTLs)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Literal

from ..contract import ContractDescriptor
from ..frames import Frame, error_frame, negotiate_version, resumed_frame
from ..json_text import dumps
from ..limits import ContractLimits, LimitOverrides, resolve_limits
from ..validation import Invalid, Validator, describe_issues
from .core_types import Attachment as Attachment
from .core_types import CloseCode as CloseCode
from .core_types import CloseReason as CloseReason
from .core_types import ErrorHook as ErrorHook
from .core_types import FrameRef
from .core_types import FromAttachment as FromAttachment
from .core_types import FromPost as FromPost
from .core_types import InboundOutcome as InboundOutcome
from .core_types import InboundSource as InboundSource
from .core_types import Opened as Opened
from .core_types import OpenOutcome as OpenOutcome
from .core_types import Refused as Refused
from .core_types import ResumeRequest as ResumeRequest
from .core_types import ServerHooks as ServerHooks
from .core_types import ServerStats as ServerStats
from .core_types import Session as Session
from .frame_parser import ERROR_STATUS as ERROR_STATUS
from .frame_parser import ClientFrame as ClientFrame
from .frame_parser import FrameParser
from .frame_parser import Parsed as Parsed
from .frame_parser import Rejected as Rejected
from .handler_queue import HandlerQueue
from .handshake import NO_TOKEN, hello, resume_refused, unknown_session, unsupported, window_failure
from .handshake import RESUME_MESSAGES as RESUME_MESSAGES
from .handshake import overloaded as overloaded
from .handshake import plausible_id as plausible_id
from .inbound_frames import InboundFrames
from .inbound_frames import _dict as _dict
from .inbound_frames import _int as _int
from .memory_store import MemoryStore, now_ms
from .outbox import Outbox
from .session_binding import Binding, attachment_id_of, bind
from .session_limiter import Refusal, SessionLimiter
from .store import ReplayRefused, SessionFound, SessionStore, StoreBounds
from .sweeper import Sweeper

log = logging.getLogger("contractgen.runtime")


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
        # The application's work, per session in order, its inbound bytes counted (handler_queue.py).
        self._handlers = HandlerQueue(self.limits.max_inbound_bytes, self.send_control, self.report)
        # Heartbeats and the TTL sweep (sweeper.py).
        self._sweeper = Sweeper(contract, self.store, now, self._locals, self._forget, self._session_end, self.report)
        self._background: set[asyncio.Task[object]] = set()
        # Inbound frames: S2, L2, the kernel frames, C2's decisions and acknowledgements (inbound_frames.py).
        self._inbound = InboundFrames(self)

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
        return ServerStats(len(self._locals), attached, self._limiter.clients, self._handlers.inbound_total)

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

    def run_hook(self, session: Session, type_: str, fn: Callable[[], Awaitable[None] | None], size: int = 0, about: FrameRef = FrameRef()) -> None:
        """Queues application code for a session (handler_queue.py): it runs after everything
        queued before it, ``size`` bytes counted against the session's inbound limit (L2) until then."""
        self._handlers.run(session, type_, fn, size, about)

    async def _bind(self, session: Session, attachment: Attachment, continuing: tuple[str, int] | None = None) -> Binding | None:
        """S4: binds ``attachment`` to the session through the store (session_binding.py)."""
        return await bind(self.store, self.spawn, self._now, session, attachment, continuing)

    # --- entry points ----------------------------------------------------------------------------

    async def open(self, attachment: Attachment, versions: Sequence[str] | None, client_key: str = "unknown", owner: str = "", principal: object = None) -> OpenOutcome:
        """H1/H2: a new session on a fresh attachment, if the limits admit one for ``client_key``
        (L2); the hello is sent before this returns."""
        version = negotiate_version(versions, self.contract.protocol_versions)
        if version is None:
            return unsupported(self.contract, versions)
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
        self.send_control(attachment, hello(self.contract, self.transports, session, token))
        binding.release(0)
        start = self.hooks.on_session_start
        if start is not None:
            self.run_hook(session, "session start", lambda: start(session))
        return Opened(session, attachment_id=attachment_id_of(session))

    async def resume(self, attachment: Attachment, request: ResumeRequest) -> OpenOutcome:
        """R1-R3: resume on a (new) attachment; hello, resumed and the replay are sent on success."""
        version = negotiate_version(request.versions, self.contract.protocol_versions)
        if version is None:
            return unsupported(self.contract, request.versions)
        if not plausible_id(request.session_id) or not plausible_id(request.token):
            return resume_refused("unknown_session")
        auth = await self.store.authenticate(request.session_id, request.token, request.owner)
        if not isinstance(auth, SessionFound):
            return resume_refused(auth.reason)
        # Check the window before taking the session over: a refused resume leaves it as it was.
        check = await self.store.replay(request.session_id, request.last_seen_seq)
        if isinstance(check, ReplayRefused):
            return window_failure(check, request.last_seen_seq)
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
            return window_failure(answer, request.last_seen_seq)
        if answer.latest_seq > session.latest_seq:
            session.latest_seq = answer.latest_seq
        session.acked = max(session.acked, answer.acked)
        self.send_control(attachment, hello(self.contract, self.transports, session, request.token))
        self.send_control(attachment, resumed_frame(session.id, answer.from_seq, answer.latest_seq, answer.acked))
        for f in answer.frames:
            attachment.send(f.frame, f.seq)
        binding.release(answer.latest_seq)
        self._inbound.release(session.id, request.last_seen_seq)  # the client has processed these (R4)
        on_resume = self.hooks.on_session_resume
        if on_resume is not None:
            kind = attachment.kind
            self.run_hook(session, "session resume", lambda: on_resume(session, kind))
        return Opened(session, attachment_id=attachment_id_of(session))

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
        return Opened(local, attachment_id=attachment_id_of(local))

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
            return NO_TOKEN
        if plausible_id(session_id) and plausible_id(token):
            auth = await self.store.authenticate(session_id, token, owner)
        else:
            return unknown_session()
        if not isinstance(auth, SessionFound):
            return Refused(ERROR_STATUS[auth.reason], error_frame(auth.reason, RESUME_MESSAGES[auth.reason], path="/header/session_id"))
        local = self._local_of(session_id, auth.protocol_version, client_key, owner, principal)
        if isinstance(local, Refusal):
            return overloaded(local)
        if local.attachment is None:
            local.idle_since = self._now()  # used here, so not stale
        return Opened(local)

    async def receive(self, text: str, source: InboundSource) -> InboundOutcome:
        """Handles inbound text (one frame, or a JSON array of at most max_frames_per_post frames for POST)."""
        return await self._inbound.receive(text, source)

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
        self._sweeper.start()

    def close(self) -> None:
        """Stops timers and closes every attachment."""
        self._sweeper.stop()
        for s in list(self._locals.values()):
            if s.attachment is not None:
                s.attachment.close(CloseReason("server_closing", "the server is shutting down; resume later"))
