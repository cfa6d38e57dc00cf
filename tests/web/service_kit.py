"""A running ``serve`` for tests: the real Service (scheduler, run queue, HTTP) in a thread,
listening on a free loopback port, against a world's emulators."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import httpx

from spokesync import config as config_module
from spokesync.config import Config
from spokesync.replica import Replica
from spokesync.run_queue import Leadership
from spokesync.service import Service, listen_socket
from spokesync.store import open_store
from spokesync.store.leadership import open_leadership
from tests.serve_process import metric_sample
from tests.world_kit import CLIENT_SECRET, OKTA_TOKEN, World

#: A [serve] token for the tests that need one.
SERVE_TOKEN = "serve-token-3c9d1e7f20a4b5c6a8e2f04d9b17"
#: The OIDC web app's client secret, for [serve.oidc] (tests/web/oidc_kit.py).
OIDC_SECRET = "oidc-client-secret-7b2e9c41d0a3"
ENV = {
    "TEST_OKTA_TOKEN": OKTA_TOKEN,
    "TEST_AUTH0_SECRET": CLIENT_SECRET,
    "TEST_OIDC_SECRET": OIDC_SECRET,
}


@dataclass
class Running:
    """A service being served; ``http`` is a client of its base URL."""

    url: str
    service: Service
    http: httpx.Client

    def wait_for_run(self, run_id: str, timeout: float = 60) -> dict[str, Any]:
        """The ``/api/status`` entry of ``run_id`` once it finished."""
        deadline = time.monotonic() + timeout
        while True:
            for run in self.http.get("/api/status").json()["runs"]:
                if run["run_id"] == run_id and run["finished_at"]:
                    return dict(run)
            assert time.monotonic() < deadline, f"run {run_id} did not finish"
            time.sleep(0.05)

    def sync(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Start a run through the API and wait for it."""
        answer = self.http.post("/api/runs", json=body or {})
        assert answer.status_code == 202, answer.text
        return self.wait_for_run(answer.json()["run_id"])

    def metric(self, name: str, **labels: str) -> float:
        """One sample of ``/metrics`` (0 when absent)."""
        return metric_sample(self.http.get("/metrics").text, name, **labels)


def load_config(world: World) -> Config:
    with mock.patch.dict(os.environ, ENV):
        return config_module.load(world.config_path)


@contextmanager
def serving(
    world: World,
    *,
    extra_config: str = "",
    leadership: Leadership | None = None,
    failover_seconds: float | None = None,
    headers: dict[str, str] | None = None,
    live: bool = False,
    sock: socket.socket | None = None,
) -> Iterator[Running]:
    """Run the service for ``world`` until the block ends, then stop it as SIGTERM would.

    With ``failover_seconds`` it leads through the state database, as ``serve`` does; ``sock``
    is a listening socket made beforehand (when the config must name the service's port).
    """
    world.write_config(extra_config)
    config = load_config(world)
    store = open_store(config.state.url)
    replica = None
    if failover_seconds is not None:
        lock = open_leadership(store, failover_seconds)
        leadership = replica = Replica(lock, store, failover_seconds)
    sock = sock or listen_socket("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = Service(
        config,
        store,
        schedule="0 3 * * *",
        sock=sock,
        leadership=leadership,
        handle_signals=False,
        live=live,
    )
    outcome: list[int] = []
    thread = threading.Thread(target=lambda: outcome.append(asyncio.run(service.run())))
    thread.start()
    http = httpx.Client(base_url=url, timeout=30, headers=headers)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if http.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
            time.sleep(0.05)
        yield Running(url, service, http)
    finally:
        service.stop()
        thread.join(60)
        http.close()
        if replica is not None:
            replica.close()
        store.close()
    assert outcome == [0]
