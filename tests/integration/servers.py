"""Real servers for the integration tests, on loopback ports, started and stopped by
fixtures."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running(
    command: list[str], health: str, env: dict[str, str], timeout: float = 120
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, once ``health`` answers 200; stopped on exit."""
    log = Path(env.get("CRMAGENT_HOME", ".")) / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
                try:
                    if httpx.get(health, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"server not up in {timeout}s: {log.read_text()[-3000:]}")
                time.sleep(0.3)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
