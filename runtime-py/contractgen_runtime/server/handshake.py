"""What a session's opening says (H1, H2, R1-R3, S3, L2): the hello frame, and each refusal of an
open, a resume or a POST's session with its HTTP status. A port of runtime/server/handshake.ts."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from ..contract import ContractDescriptor, TransportKind
from ..frames import Frame, HelloFields, clip, error_frame, hello_frame, resume_failed_frame
from .core_types import Refused, Session
from .frame_parser import ERROR_STATUS
from .session_limiter import Refusal
from .store import ReplayRefused

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


#: L4: a POST without the session token.
NO_TOKEN = Refused(401, error_frame("unknown_session", "a POSTed frame needs the session token: send Resume-Token: <resume_token>"))


def resume_refused(reason: Literal["unknown_session", "session_expired"]) -> Refused:
    """R1/S3: a resume that names no session this token opens."""
    return Refused(ERROR_STATUS[reason], resume_failed_frame(reason, RESUME_MESSAGES[reason]))


def unknown_session() -> Refused:
    """S3/L4: a POST's session id or token names no session."""
    return Refused(ERROR_STATUS["unknown_session"], error_frame("unknown_session", RESUME_MESSAGES["unknown_session"], path="/header/session_id"))


def window_failure(answer: ReplayRefused, last_seen: int) -> Refused:
    """R3: never a silent partial replay — the refusal says where the window starts."""
    if answer.reason == "window_exceeded":
        message = f"last_seen_seq {last_seen} is older than the replay window, which starts at seq {answer.earliest_seq}; re-sync from history"
    else:
        message = f"last_seen_seq {last_seen} is ahead of the newest seq {answer.latest_seq}"
    return Refused(ERROR_STATUS[answer.reason], resume_failed_frame(answer.reason, message, answer.earliest_seq, answer.latest_seq))


def unsupported(contract: ContractDescriptor, versions: Sequence[str] | None) -> Refused:
    """H2: no protocol version in common."""
    offered = clip(", ".join(versions) if versions else "none", 120)
    supported = contract.protocol_versions
    message = f"no common protocol version: the client offered {offered}, the server speaks {', '.join(supported)}"
    return Refused(ERROR_STATUS["unsupported_version"], error_frame("unsupported_version", message, supported_versions=supported))


def hello(contract: ContractDescriptor, transports: Sequence[TransportKind], session: Session, token: str) -> Frame:
    """H1: what the server tells a client on open and on resume."""
    c = contract
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
            transports=transports,
            capabilities=c.capabilities,
        )
    )
