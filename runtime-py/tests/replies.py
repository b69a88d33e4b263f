"""The chat.accepted payload the test handlers of chat.send return (C4): one builder for every suite."""

from __future__ import annotations

from agent_ui import models as m


def accepted(message: m.ChatSend) -> m.ChatAcceptedPayload:
    """C4: the chat.accepted payload a chat.send handler returns (the ids the server assigned),
    derived from the frame's cseq so that a test can tell which reply answers which send."""
    cseq = message["header"].get("cseq", 0)
    return {"conversation_id": message["payload"]["conversation_id"], "message_id": f"m-{cseq}", "turn_id": f"t-{cseq}"}
