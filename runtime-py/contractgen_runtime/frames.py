"""Kernel frames and their codes. The spec defines these frames (the checker makes sure their
fields exist); this module builds and reads them, exactly as the TypeScript runtime does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

ErrorCode = Literal[
    "malformed_frame",
    "unknown_type",
    "invalid_message",
    "frame_too_large",
    "session_required",
    "unknown_session",
    "session_expired",
    "unsupported_version",
    "superseded",
    "handler_failed",
    "overloaded",
    # C2: a client frame's cseq is above the acknowledged one + 1: the frames between never arrived.
    "cseq_gap",
    # A3: the application refused the request (HTTP 401 / 403, WebSocket 4401 / 4403).
    "unauthorized",
    "forbidden",
]

#: R3/S3/S4: why a resume was refused. A wrong token is reported as unknown_session (no oracle).
ResumeFailure = Literal["window_exceeded", "invalid_cursor", "session_expired", "unknown_session"]

#: A frame as a plain JSON object: ``{"type", "header", "payload"}``.
Frame = dict[str, object]


class CloseCodes:
    """WebSocket close codes used by the runtime (4000-4999 is the application range)."""

    normal: Final = 1000
    going_away: Final = 1001
    too_big: Final = 1009
    protocol_error: Final = 4000
    superseded: Final = 4001
    session_expired: Final = 4002
    resume_failed: Final = 4003
    unsupported_version: Final = 4004
    slow_consumer: Final = 4005
    resume_timeout: Final = 4006
    #: RFC 6455 1013: the server cannot serve now (overloaded, L2, or its session store is unavailable).
    try_again_later: Final = 1013
    #: RFC 6455 1011: the server failed (the application's authenticate hook raised).
    internal_error: Final = 1011
    #: A3: 4000 + the HTTP status, so a client reads one meaning from either.
    unauthorized: Final = 4401
    forbidden: Final = 4403


class Kernel:
    hello: Final = "protocol.hello"
    resume: Final = "protocol.resume"
    resumed: Final = "protocol.resumed"
    resume_failed: Final = "protocol.resume_failed"
    error: Final = "protocol.error"
    heartbeat: Final = "protocol.heartbeat"
    ack: Final = "protocol.ack"
    received: Final = "protocol.received"


@dataclass(frozen=True, slots=True)
class HelloFields:
    protocol_version: str
    session_id: str
    resume_token: str
    latest_seq: int
    max_messages: int
    max_bytes: int
    heartbeat_ms: int
    session_ttl_ms: int
    max_frame_bytes: int
    transports: Sequence[str]
    capabilities: Sequence[str]


def hello_frame(f: HelloFields) -> Frame:
    """H1: the first frame of every attachment."""
    return {
        "type": Kernel.hello,
        "header": {"session_id": f.session_id},
        "payload": {
            "protocol_version": f.protocol_version,
            "session_id": f.session_id,
            "resume_token": f.resume_token,
            "latest_seq": f.latest_seq,
            "replay_window": {"max_messages": f.max_messages, "max_bytes": f.max_bytes},
            "heartbeat_ms": f.heartbeat_ms,
            "session_ttl_ms": f.session_ttl_ms,
            "max_frame_bytes": f.max_frame_bytes,
            "transports": list(f.transports),
            "capabilities": list(f.capabilities),
        },
    }


def resumed_frame(session_id: str, from_seq: int, latest_seq: int, acked: int) -> Frame:
    """R2: the resume succeeded; data with from_seq <= seq <= latest_seq follows. C2: ``acked``
    is the highest cseq accepted."""
    return {
        "type": Kernel.resumed,
        "header": {"session_id": session_id, "latest_seq": latest_seq},
        "payload": {"from_seq": from_seq, "latest_seq": latest_seq, "acked": acked},
    }


def received_frame(session_id: str, acked: int) -> Frame:
    """C2: every cseq up to ``acked`` was accepted (handed to its handler once)."""
    return {"type": Kernel.received, "header": {"session_id": session_id}, "payload": {"acked": acked}}


def resume_failed_frame(reason: ResumeFailure, message: str, earliest_seq: int | None = None, latest_seq: int | None = None) -> Frame:
    payload: dict[str, object] = {"reason": reason, "message": message}
    if earliest_seq is not None:
        payload["earliest_seq"] = earliest_seq
    if latest_seq is not None:
        payload["latest_seq"] = latest_seq
    return {"type": Kernel.resume_failed, "header": {}, "payload": payload}


def error_frame(
    code: ErrorCode,
    message: str,
    *,
    session_id: str | None = None,
    path: str | None = None,
    request_id: str | None = None,
    cseq: int | None = None,
    supported_versions: Sequence[str] | None = None,
) -> Frame:
    payload: dict[str, object] = {"code": code, "message": message}
    if path is not None:
        payload["path"] = path
    if request_id is not None:
        payload["request_id"] = request_id
    if cseq is not None:
        payload["cseq"] = cseq
    if supported_versions is not None:
        payload["supported_versions"] = list(supported_versions)
    return {"type": Kernel.error, "header": {"session_id": session_id} if session_id else {}, "payload": payload}


def heartbeat_frame(session_id: str, latest_seq: int, acked: int) -> Frame:
    """Q4/C2: a keepalive with the session's newest seq and the highest cseq accepted."""
    return {"type": Kernel.heartbeat, "header": {"session_id": session_id}, "payload": {"latest_seq": latest_seq, "acked": acked}}


def clip(text: str, limit: int = 64) -> str:
    """Client text cut short for an answer (L2: an answer never grows with the request)."""
    return text if len(text) <= limit else text[:limit] + "\u2026"


def _version_key(version: str) -> tuple[float, float]:
    parts = version.split(".")

    def number(i: int) -> float:
        try:
            return float(parts[i]) if i < len(parts) else 0.0
        except ValueError:
            return float("nan")

    return (number(0), number(1))


def compare_versions(a: str, b: str) -> int:
    """Compares ``major.minor`` versions numerically."""
    ka, kb = _version_key(a), _version_key(b)
    return (ka > kb) - (ka < kb)


def negotiate_version(offered: Sequence[str] | None, supported: Sequence[str]) -> str | None:
    """H2: the highest version both sides speak. ``offered`` None means the client named none,
    which is read as "whatever the server speaks best"."""
    ordered = sorted(supported, key=_version_key)
    if offered is None:
        return ordered[-1] if ordered else None
    for version in reversed(ordered):
        if version in offered:
            return version
    return None


def parse_version_list(value: str | None) -> list[str] | None:
    """Parses a ``versions=1.0,1.1`` query value; None when absent or empty."""
    if value is None or value.strip() == "":
        return None
    return [v.strip() for v in value.split(",") if v.strip()]
