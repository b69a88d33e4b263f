"""A session bound to one attachment through the store (S4, S4.10): the store's listener for the
attachment, which holds frames back until hello, resumed and the replay were sent (nothing
overtakes them, nothing is sent twice), and tells the attachment when another one took the
session over or the session ended. A port of runtime/server/session-binding.ts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .core_types import Attachment, CloseReason, Session
from .store import Continued, SessionStore

#: Runs background store work, reporting a failure: (work, session id, what).
Spawn = Callable[[Awaitable[object], str | None, str | None], None]


class Binding:
    """The store's listener for one attachment (see ``bind``)."""

    __slots__ = ("_session", "_attachment", "_held", "_sent_up_to")

    def __init__(self, session: Session, attachment: Attachment) -> None:
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


async def bind(store: SessionStore, spawn: Spawn, now: Callable[[], float], session: Session, attachment: Attachment, continuing: tuple[str, int] | None = None) -> Binding | None:
    """S4: binds ``attachment`` to the session through the store (superseding any other one).
    Frames the store delivers are held back until ``release`` — after hello, resumed and the
    replay were sent — so nothing overtakes them and nothing is sent twice. ``continuing``
    (S4.10: attachment id, lease): bound to that live attachment without a claim, or None
    when it is not the live one any more."""
    binding = Binding(session, attachment)
    session.attachment = attachment
    session.idle_since = None
    try:
        if continuing is None:
            subscription = await store.attach(session.id, session.protocol_version, binding)
        else:
            continued: Continued | None = await store.proceed(session.id, continuing[0], continuing[1], binding)  # type: ignore[attr-defined]
            if continued is None:
                if session.attachment is attachment:
                    session.attachment = None
                    session.idle_since = now()
                return None
            subscription = continued.subscription
            session.latest_seq = max(session.latest_seq, continued.latest_seq)
            session.acked = max(session.acked, continued.acked)
    except BaseException:
        # The store refused (e.g. Redis is down): the session is not bound here.
        if session.attachment is attachment:
            session.attachment = None
            session.idle_since = now()
        raise
    if session.attachment is attachment:
        session.subscription = subscription
    else:
        # The connection went away (or was superseded) while the store answered: let go of the
        # binding, or the store would hold the session attached and it would never expire.
        spawn(store.detach(subscription), session.id, "detach")
    return binding


def attachment_id_of(session: Session) -> str | None:
    """S4.10: the attachment's id in the store, which a poll answer hands to the client."""
    return session.subscription.attachment_id if session.subscription is not None else None
