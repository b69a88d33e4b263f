"""The shape of a generated ``CONTRACT`` constant: every protocol parameter the runtime needs,
taken from the spec's x-contract block. The runtime reads only this, never the spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .limits import ContractLimits

Direction = Literal["server-to-client", "client-to-server"]
Role = Literal["data", "control"]
TransportKind = Literal["websocket", "sse", "poll"]
TRANSPORT_ORDER: tuple[TransportKind, ...] = ("websocket", "sse", "poll")


@dataclass(frozen=True, slots=True)
class MessageDescriptor:
    type: str
    type_name: str
    member: str
    direction: Direction
    role: Role
    #: Q1: stamped with header.seq by the outbox.
    sequenced: bool
    #: C4: on a client application message, the type of the data message that answers it.
    reply: str | None = None


@dataclass(frozen=True, slots=True)
class PathParam:
    name: str
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryDescriptor:
    name: str
    #: Path template, e.g. ``/conversations/{conversationId}``.
    path: str
    path_params: tuple[PathParam, ...]
    max_limit: int | None = None


@dataclass(frozen=True, slots=True)
class ConformanceSample:
    type: str
    payload: object


@dataclass(frozen=True, slots=True)
class ConformanceHistory:
    endpoint: str
    params: Mapping[str, str]
    min_items: int


@dataclass(frozen=True, slots=True)
class ConformanceDescriptor:
    """x-contract.conformance: how ``contractgen probe`` makes a server produce data. A server
    created with ``conformance=True`` answers a frame equal to ``trigger`` by emitting
    ``produces`` data messages, taking the payloads from ``samples`` in turn (the last is the
    trigger's reply when it declares one, C4)."""

    trigger_type: str
    trigger_payload: object
    produces: int
    samples: tuple[ConformanceSample, ...]
    history: tuple[ConformanceHistory, ...] = ()
    #: C4: the trigger's declared reply, sent last of the ``produces`` messages, naming its cseq.
    reply: ConformanceSample | None = None


@dataclass(frozen=True, slots=True)
class Session:
    ttl_ms: int
    id_bits: int
    token_bits: int


@dataclass(frozen=True, slots=True)
class ReplayWindow:
    max_messages: int
    max_bytes: int


@dataclass(frozen=True, slots=True)
class WebSocketTransport:
    path: str


@dataclass(frozen=True, slots=True)
class SseTransport:
    path: str
    messages_path: str


@dataclass(frozen=True, slots=True)
class PollTransport:
    path: str
    messages_path: str
    hold_ms: int


@dataclass(frozen=True, slots=True)
class Transports:
    websocket: WebSocketTransport | None = None
    sse: SseTransport | None = None
    poll: PollTransport | None = None

    def kinds(self) -> tuple[TransportKind, ...]:
        """The declared transports in the order websocket, sse, poll."""
        return tuple(k for k in TRANSPORT_ORDER if getattr(self, k) is not None)


@dataclass(frozen=True, slots=True)
class ContractDescriptor:
    name: str
    version: str
    spec_hash: str
    #: Ascending. H2: the server picks the highest version it shares with the client.
    protocol_versions: tuple[str, ...]
    seq_origin: int
    session: Session
    replay_window: ReplayWindow
    heartbeat_ms: int
    max_frame_bytes: int
    capabilities: tuple[str, ...]
    transports: Transports
    history: Mapping[str, HistoryDescriptor] = field(default_factory=dict)
    messages: Mapping[str, MessageDescriptor] = field(default_factory=dict)
    #: Only when the spec declares x-contract.conformance.
    conformance: ConformanceDescriptor | None = None
    #: L2: x-contract.limits over the defaults, resolved (None: the defaults; a server may override any).
    limits: ContractLimits | None = None
