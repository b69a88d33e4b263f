"""A1-A4 on the generated Python server over real sockets: ``authenticate`` refuses before any
protocol work (401 / 403 with the typed frame, WebSocket close 4401), a session belongs to the
principal that created it (another principal's resume, poll or POST with the right token reads as
an unknown session), handlers see ``ctx.principal``, history reads ask ``authorize``, and the
resume token travels in ``Resume-Token`` beside the application's own ``Authorization``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets

from agent_ui import AgentUiContext, create_agent_ui_server
from agent_ui import models as m
from agent_ui.runtime.server.auth import Authenticated, AuthRequest, Refuse

from .test_server import Handlers, chat, next_frame, seeded_history
from .replies import accepted


class Seen(Handlers):
    def __init__(self) -> None:
        super().__init__()
        self.principals: list[object] = []

    async def chat_send(self, message: m.ChatSend, ctx: AgentUiContext) -> m.ChatAcceptedPayload:
        self.principals.append(ctx.principal)
        return accepted(message)


def bearer(request: AuthRequest) -> Authenticated | Refuse:
    user = re.fullmatch(r"Bearer (\w+)", request.headers.get("authorization", ""))
    if user is None:
        return Refuse("unauthorized")
    return Refuse("forbidden", "mallory is banned") if user.group(1) == "mallory" else Authenticated(user.group(1))


def as_(user: str, token: str | None = None) -> dict[str, str]:
    return {"authorization": f"Bearer {user}", **({"resume-token": token} if token else {})}


@pytest.fixture
def seen() -> Seen:
    return Seen()


async def test_refusals_and_owner_binding(serve: Callable[..., Any], seen: Seen) -> None:
    history = {"conversationHistory": lambda user, params: params["conversationId"] == "c-1" and user == "alice"}
    served = await serve(create_agent_ui_server(seen, conversation_history=seeded_history(), authenticate=bearer, authorize=history).app)
    async with httpx.AsyncClient(base_url=served.url, timeout=10) as http:
        refused = await http.get("/poll")
        assert refused.status_code == 401 and refused.json()["frames"][0]["payload"]["code"] == "unauthorized"
        banned = await http.get("/poll", headers=as_("mallory"))
        assert banned.status_code == 403 and banned.json()["frames"][0]["payload"]["message"] == "mallory is banned"
        assert (await http.get("/conversations/c-1")).status_code == 401

        opened = (await http.get("/poll", headers=as_("alice"))).json()["frames"][0]["payload"]
        sid, token = opened["session_id"], opened["resume_token"]
        # Another principal with the right token: like an unknown session.
        theirs = await http.get("/poll", params={"session_id": sid, "cursor": 0, "resume": 1}, headers=as_("bob", token))
        assert theirs.status_code == 404 and theirs.json()["frames"][0]["payload"]["reason"] == "unknown_session"
        posted = await http.post("/messages", params={"session_id": sid}, content=chat(sid, "hi"), headers=as_("bob", token))
        assert posted.status_code == 404 and posted.json()["frames"][0]["payload"]["code"] == "unknown_session"
        assert seen.principals == []
        # The owner: Authorization is hers, the token in Resume-Token (A4).
        mine = await http.post("/messages", params={"session_id": sid}, content=chat(sid, "hi"), headers=as_("alice", token))
        assert mine.status_code == 202 and seen.principals == ["alice"]

        assert (await http.get("/conversations/c-1", headers=as_("alice"))).status_code == 200
        other = await http.get("/conversations/c-1", headers=as_("bob"))
        assert other.status_code == 404 and other.json() == {"error": 'conversation "c-1" does not exist'}

    async with websockets.connect(f"{served.ws_url}/ws") as ws:
        frame = await next_frame(ws)
        assert frame["payload"]["code"] == "unauthorized"
        await ws.wait_closed()
        assert ws.close_code == 4401
    async with websockets.connect(f"{served.ws_url}/ws?session_id={sid}", additional_headers=as_("bob")) as ws:
        await ws.send(json.dumps({"type": "protocol.resume", "header": {"session_id": sid}, "payload": {"resume_token": token, "last_seen_seq": 0}}))
        assert (await next_frame(ws))["payload"]["reason"] == "unknown_session"
