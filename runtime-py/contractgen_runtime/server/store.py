"""The session store: what a session is beyond one process — its identity and token (S1, S3),
its seq counter and replay window (Q2, R3), the highest client cseq handed over (C2), its TTL (S4) and which attachment holds it. The
in-memory store (memory_store.py) is the default; the Redis store (redis_store.py) lets several
server processes serve one protocol. Every method but ``append`` is a coroutine because a shared
store is remote; ``append`` answers at once when it can (the memory store stamps synchronously).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ..json_text import dumps, utf8_length


@dataclass(frozen=True, slots=True)
class SessionFound:
    protocol_version: str
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class SessionMissing:
    reason: Literal["unknown_session", "session_expired"]
    ok: Literal[False] = False


SessionLookup = SessionFound | SessionMissing


@dataclass(frozen=True, slots=True)
class StoredFrame:
    seq: int
    #: The serialized data frame, exactly as delivered.
    frame: str


@dataclass(frozen=True, slots=True)
class ReplayOk:
    from_seq: int
    latest_seq: int
    frames: Sequence[StoredFrame]
    #: C2: the highest client cseq accepted.
    acked: int = 0
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class ReplayRefused:
    reason: Literal["window_exceeded", "invalid_cursor"]
    earliest_seq: int
    latest_seq: int
    ok: Literal[False] = False


ReplayAnswer = ReplayOk | ReplayRefused


@dataclass(frozen=True, slots=True)
class RunAnswer:
    """C2: what the store decided about a run of consecutive cseqs: the highest cseq accepted
    before it (``before``) and after it (``acked``). The cseqs in (before, acked] were accepted by this run."""

    before: int
    acked: int


Verdict = Literal["accepted", "duplicate", "gap"]


def verdict_of(answer: RunAnswer, cseq: int) -> Verdict:
    """C2: what became of one cseq of a run: at or below ``before`` a duplicate, up to ``acked`` accepted, above it a gap."""
    return "duplicate" if cseq <= answer.before else "accepted" if cseq <= answer.acked else "gap"


def decide_run(acked: int, first: int, count: int) -> RunAnswer:
    """C2: the decision of one run against ``acked`` — the rule every store applies (the Redis
    script ACCEPT_RUN in Lua, the same steps)."""
    last = first + count - 1
    if last <= acked or first > acked + 1:
        return RunAnswer(acked, acked)
    return RunAnswer(acked, last)


class SessionListener(Protocol):
    """What a store tells the process that holds a session's attachment."""

    def frame(self, frame: str, seq: int) -> None:
        """A data frame of the session, in seq order (from this process or another)."""

    def superseded(self) -> None:
        """Another attachment, here or in another process, took the session over (S4)."""

    def ended(self) -> None:
        """The session was ended (logout, ban)."""


@dataclass(eq=False, slots=True)
class Subscription:
    """One binding of a session to a listener; compared by identity."""

    session_id: str
    #: S4.10: the id of this attachment, unique per attach (a poll answer hands it to the client,
    #: which names it in its next poll so that another process can continue the attachment).
    attachment_id: str = ""


@dataclass(frozen=True, slots=True)
class Continued:
    """S4.10: a poll attachment continued on this process: where the session stands. A store that
    several processes share has ``proceed(id, attachment_id, lease_ms, listener)`` answering one
    (or None when that attachment is not the live one any more) and ``renew(subscription,
    lease_ms)``; the memory store has neither (one process: the poll transport continues locally)."""

    subscription: Subscription
    latest_seq: int
    acked: int


@dataclass(frozen=True, slots=True)
class FrameParts:
    """A data frame split around its seq, so that a store can stamp it atomically (a Redis script
    concatenates prefix, seq and suffix). ``bytes`` counts everything but the seq's digits."""

    prefix: str
    suffix: str
    bytes: int


class SessionStore(Protocol):
    kind: str

    async def create(self, protocol_version: str, owner: str = "", principal: str = "") -> tuple[str, str]:
        """S1: a new session of ``owner`` (A2, "" anonymous; ``principal`` its JSON, kept with it);
        returns (id, token). The token is returned once, here."""

    async def authenticate(self, session_id: str, token: str, owner: str = "") -> SessionLookup:
        """S3: a wrong token answers exactly like an unknown id; compared in constant time. A2: so
        does the right token presented by another owner (the token is bound to its session's owner)."""

    async def sessions_of(self, owner: str | None) -> Sequence[str]:
        """Fan-out: the ids of the sessions of ``owner`` (an owner key; None: every session),
        wherever they are attached, in this store. A session that ended very recently may still be
        listed: appending to it raises UnknownSessionError."""
        ...

    def append(self, session_id: str, parts: FrameParts) -> int | Awaitable[int]:
        """Q2: assigns the next seq atomically, builds the frame around it, keeps it in the replay
        window (R3) and delivers it to the session's listener wherever it is. Raises (or the
        awaitable raises) when the frame could not be stored: then it was not sent."""

    async def replay(self, session_id: str, after_seq: int) -> ReplayAnswer:
        """R2/R3: exactly the frames after ``after_seq``, or why that cannot be done."""

    async def accept_run(self, session_id: str, first: int, count: int) -> RunAnswer:
        """C2: the hand-off of a run of consecutive client frames — cseqs ``first`` … ``first +
        count - 1``, the frames of one read — decided in one step, atomic wherever the store runs
        (one Lua script on Redis): those at or below acked are duplicates; if ``first`` is at most
        acked + 1 the rest are accepted and acked becomes the run's last cseq — the caller hands
        them to their handlers in order, and no process ever hands those cseqs again; otherwise the
        whole run is a gap. ``verdict_of`` reads one frame's verdict from the answer. Raises
        UnknownSessionError for a session that is gone."""
        ...

    async def release(self, session_id: str, seq: int) -> None:
        """Q5: the client processed everything up to ``seq``; release it early."""

    async def attach(self, session_id: str, protocol_version: str, listener: SessionListener) -> Subscription:
        """S4: binds the session to ``listener``; any earlier one is told it is superseded."""

    async def detach(self, subscription: Subscription) -> None:
        """The attachment went away: the TTL starts. No-op if superseded meanwhile."""

    async def end(self, session_id: str) -> None:
        """Ends a session now; a later resume gets session_expired."""

    async def sweep(self, now_ms: float) -> Sequence[str]:
        """Ids of sessions that expired since the last call (for on_session_end)."""

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class StoreBounds:
    ttl_ms: int
    id_bits: int
    token_bits: int
    max_messages: int
    max_bytes: int


class StoreUnavailableError(Exception):
    """A store could not do its job (a lost connection, a restart): the operation did not happen."""


class UnknownSessionError(Exception):
    """Raised by append for a session the store does not know (expired or never created)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"session {session_id} does not exist (it expired or was never created): nothing was sent")
        self.session_id = session_id


_PLAIN = re.compile(r"^[\w.-]*$", re.ASCII)


def frame_parts(type_: str, session_id: str, payload_json: str, cseq: int | None = None) -> FrameParts:
    """``{"type":…,"header":{"session_id":…,"seq":`` + seq + ``},"payload":…}``; with ``cseq``
    (C4: the reply to that client frame) the header names it before the seq."""
    suffix = '},"payload":' + payload_json + "}"
    reply_to = "" if cseq is None else f'"cseq":{cseq},'
    if _PLAIN.match(type_) and _PLAIN.match(session_id):
        prefix = '{"type":"' + type_ + '","header":{"session_id":"' + session_id + '",' + reply_to + '"seq":'
        return FrameParts(prefix, suffix, len(prefix) + utf8_length(suffix))
    prefix = '{"type":' + dumps(type_) + ',"header":{"session_id":' + dumps(session_id) + "," + reply_to + '"seq":'
    return FrameParts(prefix, suffix, utf8_length(prefix) + utf8_length(suffix))


def stamp(parts: FrameParts, seq: int) -> tuple[str, int]:
    """The frame for ``seq`` and its UTF-8 size."""
    digits = str(seq)
    return parts.prefix + digits + parts.suffix, parts.bytes + len(digits)
