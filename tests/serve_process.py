"""A ``spokesync serve`` in a process of its own, as an operator runs it: started, watched
through its ``/metrics``, stopped or killed. Used by the failover tests and bench.failover."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

from spokesync.emulators.server import free_port


def metric_sample(exposition: str, name: str, **labels: str) -> float:
    """One sample of a Prometheus text exposition (0 when absent)."""
    wanted = name + (
        "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else ""
    )
    for line in exposition.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample == wanted:
            return float(value)
    return 0.0


class ServeProcess:
    """``serve --http 127.0.0.1:PORT`` started from ``command`` (a ``spokesync`` command line
    without the ``serve`` arguments), its stderr in ``log``."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str], log: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [*command, "serve", "--schedule", "0 3 * * *", "--http", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
            env={**os.environ, **env},
        )
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def wait_up(self, timeout: float = 60) -> None:
        """Until it answers ``/healthz`` (it has competed for the lead once by then)."""
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if self.http.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"serve did not start: {self.log.read_text()}"
            time.sleep(0.05)

    def metric(self, name: str, **labels: str) -> float:
        return metric_sample(self.http.get("/metrics").text, name, **labels)

    def leads(self) -> bool:
        return self.metric("spokesync_leader") == 1.0

    def kill(self) -> None:
        """SIGKILL: as a crash or a lost host, nothing runs after it."""
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> int:
        """SIGTERM (unless already ended), then its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        finally:
            self.http.close()
            self._log_file.close()


def wait_until(
    what: str, condition: Callable[[], bool], timeout: float, step: float = 0.02
) -> float:
    """Poll ``condition()`` until true; the seconds it took. Fails naming ``what``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"{what}: not within {timeout} s"
        time.sleep(step)
    return time.monotonic() - start
