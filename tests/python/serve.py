"""Serves an ASGI app of tests/python with uvicorn on a free loopback port and prints
``LISTENING <port>`` once it accepts connections (the vitest suites read it). Usage:
``python serve.py <module>:<attribute>`` with generated-py/ and this folder on sys.path."""

from __future__ import annotations

import asyncio
import importlib
import os
import socket
import sys
from typing import Any

import uvicorn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "generated-py")]

#: The contract's largest frame (agent-ui): uvicorn closes a message over four of them with 1009.
MAX_FRAME_BYTES = 65536


def listening_socket() -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without it
    # Nagle holds the second of two small writes for the peer's delayed ACK (40 ms per resume).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def config(app: Any, max_frame_bytes: int = MAX_FRAME_BYTES, **options: Any) -> uvicorn.Config:
    """uvicorn as the README serves the contract: the sans-I/O WebSocket implementation, a message
    over four frames of the contract's limit closed with 1009 (as ws's maxPayload), and no
    permessage-deflate (as the TypeScript server: a compressed stream would hide from the server
    what a client has not taken, and inflating costs memory per connection)."""
    settings: dict[str, Any] = {"log_level": "warning", "lifespan": "on", "ws": "websockets-sansio", "ws_max_size": 4 * max_frame_bytes, "ws_per_message_deflate": False, "timeout_graceful_shutdown": 1}
    return uvicorn.Config(app, **{**settings, **options})


async def main(target: str) -> None:
    module, _, attribute = target.partition(":")
    app = getattr(importlib.import_module(module), attribute)
    sock = listening_socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(config(app))
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            serving.result()
            return
        await asyncio.sleep(0.01)
    print(f"LISTENING {sock.getsockname()[1]}", flush=True)
    await serving


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
