"""A real redis-server for the Redis suites: a child process on a free loopback port, in a
temporary directory, stopped when done. Never skipped: without redis-server the suites fail and
say how to install it (scripts/install-system-deps.sh does it for CI)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: apt-get install -y --no-install-recommends redis-server (scripts/install-system-deps.sh)")
        self.dir = tempfile.mkdtemp(prefix="contractgen-redis-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def client(self) -> Redis:
        """A client as the store wants it: no retries (a command in flight is never sent twice)."""
        return Redis.from_url(self.url, retry=Retry(NoBackoff(), 0))

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
