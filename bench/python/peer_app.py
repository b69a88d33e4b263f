"""The benchmark's peer: a plain FastAPI WebSocket send loop, no protocol runtime. On connect it
sends a hello-like frame; each text message ``<n>`` it receives is answered by n agent.event
frames of the same shape the generated servers send, built with json.dumps and sent one
``send_text`` at a time — what a hand-written FastAPI service does."""

from __future__ import annotations

import json
import secrets

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.websocket("/ws")
async def send_loop(websocket: WebSocket) -> None:
    await websocket.accept()
    session_id = secrets.token_urlsafe(16)
    await websocket.send_text(json.dumps({"type": "protocol.hello", "header": {"session_id": session_id}, "payload": {"session_id": session_id}}, separators=(",", ":")))
    seq = 0
    try:
        while True:
            n = int(await websocket.receive_text())
            for i in range(n):
                seq += 1
                frame = {"type": "agent.event", "header": {"session_id": session_id, "seq": seq}, "payload": {"conversation_id": "c-1", "turn_id": "t-1", "kind": "text", "text": f"bench message {i}"}}
                await websocket.send_text(json.dumps(frame, separators=(",", ":"), ensure_ascii=False))
    except WebSocketDisconnect:
        return
