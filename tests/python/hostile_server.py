"""The Python server the hostile-client suite attacks (tests/server/hostile/, run against it by
tests/python/hostile-*.test.ts): the generated agent-ui server on uvicorn, alone in its process,
answering its parent over Node's IPC channel (newline-delimited JSON on the descriptor
NODE_CHANNEL_FD names) exactly as tests/server/hostile/server-child.ts does:

- ``stats``    the server's stats() and the process's memory after a full collection (heapUsed is
               what tracemalloc traces: every Python allocation, started before the server);
- ``release``  lets every ``block``ed handler go on;
- ``handled``  the texts the chat.send handler saw for a session, in order;
- ``end``      ends every session but the ones named.

chat.send text: ``"<n>"`` produces n data messages, n - 1 agent.events and then its reply
chat.accepted (C4; every handled chat.send is answered by one); ``"emit:<n>:<chars>"`` likewise, its events of
that size; ``"block"`` waits for ``release``; ``"q:…"`` is only recorded; ``"throw"`` raises. Requests
count against the ``x-client`` header when they carry one, else against their address.
HOSTILE_CONFIG (JSON) is the suite's HostileConfig: a contract patch, limits and the resume
timeout, in the TypeScript spelling."""

from __future__ import annotations

import tracemalloc

tracemalloc.start(1)

import asyncio  # noqa: E402  (after tracemalloc, so that it sees everything)
import dataclasses  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from typing import Any, cast  # noqa: E402

import uvicorn  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(os.path.dirname(HERE)), "generated-py")]

import serve  # noqa: E402
from serve import listening_socket  # noqa: E402
from agent_ui import CONTRACT, AgentUiContext, AgentUiHandlers, models as m  # noqa: E402
from agent_ui.runtime.contract import ContractDescriptor  # noqa: E402
from agent_ui.runtime.limits import LimitOverrides  # noqa: E402
from agent_ui.runtime.server.session_limiter import address_key  # noqa: E402
from agent_ui.runtime.server.transports.http_util import header  # noqa: E402
from wiring import accepted, contract_server  # noqa: E402


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def patched(part: Any, patch: Mapping[str, Any]) -> Any:
    """A dataclass (the contract, or a part of it) with a ContractPatch of the TypeScript suites applied."""
    changes: dict[str, Any] = {}
    for key, value in patch.items():
        name = snake(key)
        current = getattr(part, name)
        changes[name] = patched(current, value) if dataclasses.is_dataclass(current) and isinstance(value, Mapping) else value
    return dataclasses.replace(part, **changes)


config: dict[str, Any] = json.loads(os.environ.get("HOSTILE_CONFIG", "{}"))
contract: ContractDescriptor = patched(CONTRACT, config.get("contract", {}))
limits = cast(LimitOverrides, {snake(k): v for k, v in config.get("limits", {}).items()})
handled: dict[str, list[str]] = {}
gate = asyncio.Event()


def agent_event(text: str) -> m.AgentEventPayload:
    return {"conversation_id": "c-1", "turn_id": "t-1", "kind": "text", "text": text}


class Handlers(AgentUiHandlers):
    async def chat_send(self, message: m.ChatSend, ctx: AgentUiContext) -> m.ChatAcceptedPayload:
        global gate
        text = message["payload"]["text"]
        handled.setdefault(ctx.session.id, []).append(text)
        if text == "throw":
            raise RuntimeError("handler exploded on purpose")
        if text == "block":
            await gate.wait()
            return accepted(message)
        if text.startswith("q:"):
            return accepted(message)
        big = re.fullmatch(r"emit:(\d+):(\d+)", text)
        if big:
            for _ in range(1, int(big.group(1))):
                _ignore(ctx.emit.agent_event(agent_event("x" * int(big.group(2)))))
            return accepted(message)
        n = int(text) if text.isdigit() and int(text) > 0 else 1
        for i in range(1, n):
            await ctx.emit.agent_event(agent_event(f"reply {i}"))
        return accepted(message)

    def ui_action(self, message: m.UiAction, ctx: AgentUiContext) -> None:
        return None


def _ignore(sent: Any) -> None:
    if isinstance(sent, asyncio.Future):
        sent.add_done_callback(lambda f: f.cancelled() or f.exception())


def client_key(scope: Mapping[str, Any]) -> str:
    return header(scope, b"x-client") or address_key(scope)


handlers = Handlers()
server = contract_server(
    handlers,
    contract,
    on_error=lambda error, session_id, type_: None,
    limits=limits,
    client_key=client_key,
    resume_timeout_ms=config.get("resumeTimeoutMs"),
)


def memory() -> dict[str, int]:
    gc.collect()
    with open("/proc/self/statm") as f:
        rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return {"rss": rss, "heapUsed": tracemalloc.get_traced_memory()[0], "arrayBuffers": 0, "external": 0}


async def command(message: Mapping[str, Any]) -> dict[str, Any]:
    global gate
    cmd = message.get("cmd")
    if cmd == "stats":
        s = server.stats()
        stats = {"sessions": s.sessions, "attached": s.attached, "clients": s.clients, "inboundBytes": s.inbound_bytes, "connections": dataclasses.asdict(s.connections)}
        return {"stats": stats, "memory": memory()}
    if cmd == "release":
        old, gate = gate, asyncio.Event()
        old.set()
        return {}
    if cmd == "handled":
        return {"texts": handled.get(str(message.get("sessionId")), [])}
    if cmd == "end":
        keep = set(message.get("keep", []))
        ids = [s.id for s in server.core.sessions() if s.id not in keep]
        await asyncio.gather(*(server.end_session(i) for i in ids))
        return {"ended": len(ids)}
    return {"error": f"unknown command {cmd!r}"}


async def main() -> None:
    channel = socket.socket(fileno=int(os.environ["NODE_CHANNEL_FD"]))
    reader, writer = await asyncio.open_unix_connection(sock=channel)

    def reply(data: Mapping[str, Any]) -> None:
        writer.write((json.dumps(data) + "\n").encode())

    sock = listening_socket()
    # A fixed receive buffer for every connection: what the server does not read then waits on the
    # client's side, where the suite looks for it, not in a kernel buffer autotuned up to tcp_rmem's
    # maximum (32 MiB on the project's machines).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)
    sock.bind(("127.0.0.1", 0))
    uv = uvicorn.Server(serve.config(server.app, contract.max_frame_bytes, log_level="critical"))
    serving = asyncio.ensure_future(uv.serve(sockets=[sock]))
    while not uv.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    reply({"id": 0, "ready": True, "port": sock.getsockname()[1]})
    tasks: set[asyncio.Task[None]] = set()

    async def answer(message: Mapping[str, Any]) -> None:
        reply({"id": message.get("id"), **(await command(message))})

    while True:
        line = await reader.readline()
        if not line:
            break  # the parent went away
        message = json.loads(line)
        if isinstance(message, dict) and "id" in message:
            task = asyncio.ensure_future(answer(message))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    uv.should_exit = True
    await serving


if __name__ == "__main__":
    asyncio.run(main())
