"""The generated agent-ui package wired to a handlers object, as the test apps of tests/python
build their servers (the generated factory takes a fixed set of options; the tests need the
runtime's ContractServer with a patched contract)."""

from __future__ import annotations

from typing import Any

from agent_ui import AgentUiHandlers, models as m
from agent_ui import validators as v
from agent_ui.runtime.contract import ContractDescriptor
from agent_ui.server import AgentUiEmitter, AgentUiServer


def contract_server(handlers: AgentUiHandlers, contract: ContractDescriptor, **options: Any) -> AgentUiServer:
    return AgentUiServer(
        contract=contract,
        validate_client=v.validate_client_message,
        server_validators=v.SERVER_VALIDATORS,
        payload_validators=v.PAYLOAD_VALIDATORS,
        emitter=AgentUiEmitter,
        dispatch={
            "chat.send": lambda frame, ctx: handlers.chat_send(frame, ctx),  # type: ignore[arg-type]
            "ui.action": lambda frame, ctx: handlers.ui_action(frame, ctx),  # type: ignore[arg-type]
        },
        **options,
    )


def accepted(message: m.ChatSend) -> m.ChatAcceptedPayload:
    """C4: the chat.accepted payload a chat.send handler returns (the ids the server assigned),
    derived from the frame's cseq so that a test can tell which reply answers which send."""
    cseq = message["header"].get("cseq", 0)
    return {"conversation_id": message["payload"]["conversation_id"], "message_id": f"m-{cseq}", "turn_id": f"t-{cseq}"}
