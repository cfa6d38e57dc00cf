"""Serve an ASGI app with uvicorn on a loopback port, in a background thread.

Used by ``spokesync emulate``, the demo, the tests and the benchmarks, so all of them talk
to the emulators over real HTTP exactly as they would to Auth0 and Okta.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp


@dataclass
class RunningServer:
    """A server running in a daemon thread; ``url`` is its base URL (no trailing slash)."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start ``app`` on ``host:port`` (0 picks a free port) and wait until it accepts."""
    chosen = port or free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=chosen,
        log_level="warning",
        access_log=False,
        lifespan="off",
        limit_concurrency=None,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"emulator-{chosen}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"emulator could not start on {host}:{chosen}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"emulator on {host}:{chosen} did not start within 10 s")
        time.sleep(0.01)
    return RunningServer(url=f"http://{host}:{chosen}", server=server, thread=thread)
