"""Fixtures of the runtime suites: the generated agent-ui package (generated-py/) on sys.path, and
a server of it on a free loopback port, served by uvicorn inside the test's event loop."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
import uvicorn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "generated-py"))


@dataclass
class Served:
    url: str
    ws_url: str
    port: int


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[object], "asyncio.Future[Served]"]]:
    """``await serve(app)`` serves an ASGI app on 127.0.0.1 until the test ends."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(app: object) -> Served:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY (see tests/python/serve.py)
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="websockets-sansio")  # type: ignore[arg-type]
        server = uvicorn.Server(config)
        task = asyncio.ensure_future(server.serve(sockets=[sock]))
        servers.append((server, task))
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        port = sock.getsockname()[1]
        return Served(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", port)

    yield start  # type: ignore[misc]
    for server, task in servers:
        server.should_exit = True
        server.force_exit = True
    for _, task in servers:
        try:
            await asyncio.wait_for(task, 5)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            task.cancel()
