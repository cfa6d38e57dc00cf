"""What every benchmark shares: the machine line, generated worlds, emulators in their own
process, an engine run in its own process, and the table printer.

Why separate processes: the emulators must not share the engine's GIL (they would slow it
down and make the throughput figures about the emulator), and each measured run must start
from a clean process so that its peak RSS (``ru_maxrss``) is the run's own, not the
benchmark's (the seed document alone of 100,000 users is larger than the run).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

ROLE_ID = "rol_BenchSalesforce01"
ROLE_NAME = "Salesforce"
GROUP_ID = "00gBenchSalesforce01"
GROUP_NAME = "Salesforce Users"
CLIENT_ID = "spokesync-bench"
ADMIN_CLIENT_ID = "bench-admin"
SOURCE = "partners"
ADMIN_SCOPES = [
    "read:users",
    "read:roles",
    "update:users",
    "create:users",
    "delete:users",
    "update:roles",
    "create:role_members",
    "delete:role_members",
]

console = Console()


# -- the machine ------------------------------------------------------------------------------


def machine() -> str:
    """``nproc``, the CPU model and the Python version, for the top of every table."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores (nproc), {model}, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- worlds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    """Per-benchmark credentials, generated fresh and never printed."""

    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    admin_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    okta_token: str = field(default_factory=lambda: "00" + secrets.token_urlsafe(30))


def user_id(i: int) -> str:
    return f"auth0|bench{i:07d}"


def email(i: int) -> str:
    return f"member{i:07d}@partner.example"


#: seeded profiles were last changed a day before the benchmark, as in a tenant in use
SEEDED_AT = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="milliseconds")[:23] + "Z"


def auth0_user(i: int, *, member: bool = True) -> dict[str, Any]:
    """A clean, provisionable role member (or, with ``member=False``, a user without the
    role yet): every member becomes exactly one Okta user."""
    return {
        "created_at": SEEDED_AT,
        "updated_at": SEEDED_AT,
        "user_id": user_id(i),
        "email": email(i),
        "email_verified": True,
        "name": f"Member{i} Partner",
        "given_name": f"Member{i}",
        "family_name": "Partner",
        "app_metadata": {},
        "blocked": False,
        "roles": [ROLE_ID] if member else [],
    }


def okta_twin(i: int) -> dict[str, Any]:
    """The Okta user a first sync would have made for member ``i``, already in the group."""
    return {
        "id": f"00uBench{i:012d}",
        "status": "ACTIVE",
        "profile": {
            "login": email(i),
            "email": email(i),
            "firstName": f"Member{i}",
            "lastName": "Partner",
        },
        "groups": [GROUP_ID],
    }


def write_seed(
    path: Path,
    users: int,
    keys: Secrets,
    *,
    okta_present: bool = False,
    outsiders: int = 0,
    scopes: tuple[str, ...] = (),
) -> None:
    """Write the seed document user by user, so that 100,000 users never sit in memory.

    ``okta_present`` puts every member's Okta twin in the bound group already: a first sync
    then only links (no Okta writes), which is how the rerun benchmarks reach large N fast.
    ``outsiders`` more users exist without the role; ``scopes`` are added to spokesync's app.
    """
    head = {
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": keys.client_secret,
                "scopes": ["read:users", "read:roles", "update:users", *scopes],
            },
            {
                "client_id": ADMIN_CLIENT_ID,
                "client_secret": keys.admin_secret,
                "scopes": ADMIN_SCOPES,
            },
        ],
        "roles": [{"id": ROLE_ID, "name": ROLE_NAME}],
    }
    with path.open("w", encoding="utf-8") as out:
        out.write('{"auth0": ')
        out.write(json.dumps(head)[:-1])
        out.write(', "users": [')
        _write_items(out, (auth0_user(i, member=i < users) for i in range(users + outsiders)))
        out.write("]}, ")
        out.write('"okta": {"api_tokens": ')
        out.write(json.dumps([keys.okta_token]))
        out.write(', "groups": ')
        out.write(json.dumps([{"id": GROUP_ID, "name": GROUP_NAME}]))
        out.write(', "users": [')
        if okta_present:
            _write_items(out, (okta_twin(i) for i in range(users)))
        out.write("]}}")


def _write_items(out: Any, items: Iterator[dict[str, Any]]) -> None:
    for n, item in enumerate(items):
        if n:
            out.write(",")
        out.write(json.dumps(item))


# -- emulators in their own process -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Limits:
    """The emulators' settings for one benchmark."""

    latency_ms: float = 50.0
    okta_per_minute: int = 1200
    auth0_per_second: float = 50.0

    def describe(self) -> str:
        return (
            f"latency {self.latency_ms:g} ms; Okta every bucket {self.okta_per_minute}/min; "
            f"Auth0 {self.auth0_per_second:g}/s (burst {int(self.auth0_per_second * 3)})"
        )


class EmulatorProcess:
    """``spokesync emulate`` in a child process, on free loopback ports."""

    def __init__(self, seed_path: Path, limits: Limits, log_path: Path) -> None:
        self.auth0_port = _free_port()
        self.okta_port = _free_port()
        self.auth0_url = f"http://127.0.0.1:{self.auth0_port}"
        self.okta_url = f"http://127.0.0.1:{self.okta_port}"
        args = [
            sys.executable,
            "-m",
            "spokesync",
            "emulate",
            "--seed",
            str(seed_path),
            "--auth0-port",
            str(self.auth0_port),
            "--okta-port",
            str(self.okta_port),
            "--latency-ms",
            str(limits.latency_ms),
            "--okta-rate-limit",
            str(limits.okta_per_minute),
            "--auth0-rate-limit",
            str(limits.auth0_per_second),
        ]
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the emulators exited with {self.process.returncode}")
            try:
                for url in (self.auth0_url, self.okta_url):
                    httpx.get(f"{url}/_emulator/stats", timeout=2).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the emulators did not start in time")

    def stats(self, service: str) -> dict[str, Any]:
        url = self.auth0_url if service == "auth0" else self.okta_url
        return dict(httpx.get(f"{url}/_emulator/stats", timeout=30).json())

    def reset_stats(self) -> None:
        for url in (self.auth0_url, self.okta_url):
            httpx.post(f"{url}/_emulator/stats/reset", timeout=30).raise_for_status()

    def set_latency(self, latency_ms: float) -> None:
        for url in (self.auth0_url, self.okta_url):
            httpx.put(
                f"{url}/_emulator/faults",
                json={"rate": 0.0, "seed": 0, "latency_ms": latency_ms},
                timeout=30,
            ).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


# -- a bench world: emulators + config + state ------------------------------------------------


@dataclass
class BenchWorld:
    """Emulators serving a generated world, a config file and a state database for it."""

    users: int
    limits: Limits
    okta_present: bool = False
    concurrency: int = 10
    #: users without the role, besides ``users`` members
    outsiders: int = 0
    #: scopes added to spokesync's Auth0 app, and text appended to the config
    scopes: tuple[str, ...] = ()
    extra_config: str = ""
    keys: Secrets = field(default_factory=Secrets)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="spokesync-b-")))
    emulators: EmulatorProcess | None = None

    def __enter__(self) -> BenchWorld:
        seed = self.workdir / "seed.json"
        write_seed(
            seed,
            self.users,
            self.keys,
            okta_present=self.okta_present,
            outsiders=self.outsiders,
            scopes=self.scopes,
        )
        self.emulators = EmulatorProcess(seed, self.limits, self.workdir / "emulators.log")
        self.config_path.write_text(self._config(), encoding="utf-8")
        return self

    def __exit__(self, *_: object) -> None:
        if self.emulators is not None:
            self.emulators.stop()

    @property
    def emu(self) -> EmulatorProcess:
        assert self.emulators is not None, "use the world as a context manager"
        return self.emulators

    @property
    def config_path(self) -> Path:
        return self.workdir / "spokesync.toml"

    @property
    def env(self) -> dict[str, str]:
        return {
            "BENCH_OKTA_TOKEN": self.keys.okta_token,
            "BENCH_AUTH0_SECRET": self.keys.client_secret,
        }

    def _config(self) -> str:
        return f"""[state]
url = "sqlite:///{self.workdir / "state.db"}"

[okta]
org_url = "{self.emu.okta_url}"
token = "${{BENCH_OKTA_TOKEN}}"
max_concurrency = {self.concurrency}

[sources.{SOURCE}]
domain = "{self.emu.auth0_url}"
client_id = "{CLIENT_ID}"
client_secret = "${{BENCH_AUTH0_SECRET}}"

[[bindings]]
source = "{SOURCE}"
role = "{ROLE_NAME}"
group = "{GROUP_NAME}"
{self.extra_config}"""

    def sync(self) -> RunReport:
        """One ``sync`` in a fresh process, with the emulators' stats of exactly that run."""
        self.emu.reset_stats()
        report = run_in_child(self.config_path, self.env)
        report.auth0_stats = self.emu.stats("auth0")
        report.okta_stats = self.emu.stats("okta")
        return report

    def admin(self) -> Auth0Admin:
        return Auth0Admin(self.emu.auth0_url, self.keys.admin_secret)


class Auth0Admin:
    """A tenant admin changing the Auth0 emulator through its API (waits out its 429s)."""

    def __init__(self, base_url: str, admin_secret: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        token = self.request(
            "POST",
            "/oauth/token",
            {
                "grant_type": "client_credentials",
                "client_id": ADMIN_CLIENT_ID,
                "client_secret": admin_secret,
                "audience": f"{base_url}/api/v2/",
            },
        )["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, body: Any = None) -> Any:
        while True:
            response = self.http.request(method, path, json=body)
            if response.status_code != 429:
                break
            time.sleep(0.05)
        response.raise_for_status()
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()


# -- one engine run in a fresh process --------------------------------------------------------


@dataclass
class RunReport:
    """What one sync did, as measured inside its own process."""

    exit_code: int
    summary: dict[str, Any]
    wall_seconds: float
    apply_seconds: float
    applied: int
    peak_rss_mb: float
    #: progress phase -> (first, last) report, in seconds since the run started
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    auth0_stats: dict[str, Any] = field(default_factory=dict)
    okta_stats: dict[str, Any] = field(default_factory=dict)

    def requests(self, service: str) -> Counter[str]:
        stats = self.auth0_stats if service == "auth0" else self.okta_stats
        return Counter({k: int(v) for k, v in stats.get("requests", {}).items()})

    def statuses(self, service: str) -> Counter[str]:
        stats = self.auth0_stats if service == "auth0" else self.okta_stats
        return Counter({k: int(v) for k, v in stats.get("statuses", {}).items()})

    @property
    def total_calls(self) -> int:
        return self.requests("auth0").total() + self.requests("okta").total()

    @property
    def throttled(self) -> int:
        return self.statuses("auth0").get("429", 0) + self.statuses("okta").get("429", 0)


def _child_run(config_path: str, env: Mapping[str, str]) -> RunReport:
    """Runs in the child: load the config, open the store, one ``Engine.run(apply=True)``."""
    os.environ.update(env)
    import logging

    import structlog

    from spokesync import config as config_module
    from spokesync.engine import Engine
    from spokesync.redact import register_secret
    from spokesync.store import open_store

    for value in env.values():
        register_secret(value)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    cfg = config_module.load(Path(config_path))
    store = open_store(cfg.state.url)
    marks: list[float] = []
    phases: dict[str, list[float]] = {}
    applied = 0

    def progress(phase: str, n: int, total: int | None = None) -> None:
        nonlocal applied
        now = time.perf_counter()
        span = phases.setdefault(phase, [now, now])
        span[1] = now
        if phase == "apply" and n:  # (n 0: the phase starts, saying its total)
            marks.append(now)
            applied += n

    try:
        engine = Engine(cfg, store, progress=progress)
        t0 = time.perf_counter()
        result = asyncio.run(engine.run(apply=True))
        wall = time.perf_counter() - t0
    finally:
        store.close()
    apply_seconds = (marks[-1] - marks[0]) if len(marks) > 1 else 0.0
    timeline = {name: (a - t0, b - t0) for name, (a, b) in phases.items()}
    summary = dict(result.summary)
    summary.pop("failures", None)
    summary.pop("skipped_reasons", None)
    return RunReport(
        exit_code=result.exit_code,
        summary=summary,
        wall_seconds=wall,
        apply_seconds=apply_seconds,
        applied=applied,
        peak_rss_mb=peak_rss_mb(),
        phases=timeline,
    )


def run_in_child(config_path: Path, env: Mapping[str, str]) -> RunReport:
    """One sync in a freshly spawned interpreter (clean peak RSS, no shared GIL)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_child_run, str(config_path), dict(env)).result()


# -- output -----------------------------------------------------------------------------------


def calls_table(title: str, report: RunReport) -> Table:
    """API calls by service and endpoint, with the statuses seen."""
    table = Table(title=title)
    table.add_column("service")
    table.add_column("endpoint")
    table.add_column("calls", justify="right")
    for service in ("auth0", "okta"):
        for endpoint, count in sorted(report.requests(service).items()):
            table.add_row(service, endpoint, f"{count:,}")
        statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(report.statuses(service).items()))
        table.add_row(service, f"[dim]statuses {statuses}[/dim]", "")
    return table


def auth0_rows(requests: Mapping[str, Any], statuses: Mapping[str, Any]) -> list[tuple[str, str]]:
    """ "Auth0 calls" and "Auth0 429s" from the Auth0 emulator's stats (requests, statuses)."""
    calls = sum(int(v) for v in requests.values())
    refused = int(statuses.get("429", 0))
    return [
        ("Auth0 calls", f"{calls:,}"),
        ("Auth0 429s", f"{refused:,} ({pct(refused, calls)} of its calls)"),
    ]


def report_auth0_rows(report: RunReport) -> list[tuple[str, str]]:
    """:func:`auth0_rows` of one run."""
    return auth0_rows(report.requests("auth0"), report.statuses("auth0"))


def phase_rows(report: RunReport) -> list[tuple[str, str]]:
    """One row per progress phase: when it was first and last reported, from the run's start."""
    return [
        (f"phase {name!r} (first .. last report)", f"{a:.1f} s .. {b:.1f} s")
        for name, (a, b) in sorted(report.phases.items(), key=lambda item: item[1][0])
    ]


def figures_table(title: str, rows: list[tuple[str, str]]) -> Table:
    """A two-column table of named figures, with the machine on top."""
    table = Table(title=title, caption=machine())
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    return table


def pct(part: float, whole: float) -> str:
    return "n/a" if whole == 0 else f"{100 * part / whole:.1f} %"


def ceil_div(a: int, b: int) -> int:
    return math.ceil(a / b)
