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
    """``persistence``: AOF with fsync on every write, so that a killed server comes back with its data."""

    def __init__(self, persistence: bool = False) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: apt-get install -y --no-install-recommends redis-server (scripts/install-system-deps.sh)")
        self.dir = tempfile.mkdtemp(prefix="contractgen-redis-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", self.dir]
        self.args += ["--appendonly", "yes", "--appendfsync", "always"] if persistence else ["--appendonly", "no"]
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        """Starts it (again: on the same port, and with persistence the same data directory)."""
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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

    def stop(self) -> None:
        """Kills it (SIGKILL: a crash) and waits for it to exit."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
