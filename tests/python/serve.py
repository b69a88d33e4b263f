"""Serves an ASGI app of tests/python with uvicorn on a free loopback port and prints
``LISTENING <port>`` once it accepts connections (the vitest suites read it). Usage:
``python serve.py <module>:<attribute>`` with generated-py/ and this folder on sys.path."""

from __future__ import annotations

import asyncio
import importlib
import os
import socket
import sys

import uvicorn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "generated-py")]


async def main(target: str) -> None:
    module, _, attribute = target.partition(":")
    app = getattr(importlib.import_module(module), attribute)
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP; without it
    # Nagle holds the second of two small writes for the peer's delayed ACK (40 ms per resume).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="on", ws="websockets-sansio", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
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
