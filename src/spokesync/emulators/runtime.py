"""Start both emulators from one seed document, as ``spokesync emulate`` and the demo do."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spokesync.emulators import auth0 as auth0_emulator
from spokesync.emulators import okta as okta_emulator
from spokesync.emulators.control import Control
from spokesync.emulators.server import RunningServer, serve_in_thread


class SeedError(ValueError):
    """The seed file cannot be read or does not describe a valid world."""


@dataclass
class Emulators:
    """Both emulators, serving on loopback."""

    auth0: RunningServer
    okta: RunningServer
    auth0_control: Control
    okta_control: Control

    def stop(self) -> None:
        # Ask both to exit first, then wait: the two shutdowns overlap.
        for server in (self.auth0, self.okta):
            server.server.should_exit = True
        self.auth0.stop()
        self.okta.stop()

    def __enter__(self) -> Emulators:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def load_seed(path: Path) -> dict[str, Any]:
    """Read a seed file (JSON, see DESIGN.md "Emulator seed file")."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedError(f"{path}: no such seed file") from None
    except json.JSONDecodeError as exc:
        raise SeedError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("auth0", {}), dict):
        raise SeedError(f'{path}: the seed must be an object with "auth0" and "okta" objects')
    return data


def start(
    seed: Mapping[str, Any],
    *,
    host: str = "127.0.0.1",
    auth0_port: int = 0,
    okta_port: int = 0,
    latency_ms: float = 0.0,
    okta_rate_limit: int | None = None,
    auth0_rate_limit: float | None = None,
    auth0_burst: int | None = None,
    auth0_search_index_delay: float = 0.0,
    auth0_endpoint_rate_limits: bool = True,
    fault_rate: float = 0.0,
    fault_seed: int = 0,
    log_delay_ms: float = 0.0,
) -> Emulators:
    """Serve both emulators; ports 0 pick free ones. Raises SeedError on a bad seed.

    ``log_delay_ms``: how long after its write a tenant-log entry (Auth0) or System Log
    event (Okta) becomes visible. ``auth0_endpoint_rate_limits`` False leaves only the
    global Auth0 bucket (no per-endpoint limits on organizations, members and member roles).
    """
    auth0_control = Control(latency_ms=latency_ms)
    okta_control = Control(latency_ms=latency_ms)
    auth0_control.faults.configure(fault_rate, fault_seed)
    okta_control.faults.configure(fault_rate, fault_seed + 1)
    rate = 16.0 if auth0_rate_limit is None else auth0_rate_limit
    burst = (
        auth0_burst
        if auth0_burst is not None
        else (50 if auth0_rate_limit is None else max(1, int(rate * 3)))
    )
    try:
        auth0_app = auth0_emulator.create_app(
            seed.get("auth0", {}),
            control=auth0_control,
            rate_per_second=rate,
            burst=burst,
            log_delay_ms=log_delay_ms,
            search_index_delay=auth0_search_index_delay,
            endpoint_rate_limits=auth0_endpoint_rate_limits,
        )
        okta_app = okta_emulator.create_app(
            seed.get("okta", {}),
            control=okta_control,
            rate_limit_per_minute=okta_rate_limit,
            log_delay_ms=log_delay_ms,
        )
    except ValueError as exc:
        raise SeedError(str(exc)) from exc
    auth0_server = serve_in_thread(auth0_app, host, auth0_port)
    try:
        okta_server = serve_in_thread(okta_app, host, okta_port)
    except Exception:
        auth0_server.stop()
        raise
    return Emulators(auth0_server, okta_server, auth0_control, okta_control)
