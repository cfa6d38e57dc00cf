"""Benchmark (f): live mode (``serve --live``): change-to-Okta latency, idle cost, a burst.

The world starts in sync (a first run creates every member in Okta). Then
``spokesync serve --live`` runs in its own process with ``[live] poll_seconds`` (default 2)
at 50 ms API latency, and the benchmark, as an admin:

- makes one change at a time of each kind (join, leave, metadata edit, block, deletion in
  Auth0; a group membership removed by hand in Okta), at a random phase of the poll cycle,
  and times how long until Okta (read through its API) shows the result: p50 / p95 per kind
  against the target 2 x poll_seconds + 1 s;
- leaves it idle and counts API calls per poll (target: 1 per source + 1 for Okta);
- assigns the role to ``--burst`` users at once and times until all of them are in the Okta
  group: users/s against the rate-limit ceiling, and how many live runs it took.

    .venv/bin/python -m bench.live_latency --members 200 --samples 10 --burst 1000
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from bench.common import (
    GROUP_ID,
    ROLE_ID,
    BenchWorld,
    Limits,
    console,
    email,
    figures_table,
    machine,
    user_id,
)
from spokesync.live import cursors
from spokesync.store import open_store

KINDS = ("join", "leave", "metadata edit", "block", "deletion", "Okta hand edit")
ASSIGN_BATCH = 50


class Okta:
    """The Okta emulator read (and edited by hand) through its API, as an admin would."""

    def __init__(self, url: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=url, timeout=30, headers={"Authorization": f"SSWS {token}"}
        )

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        return response.json() if response.status_code == 200 else None

    def user(self, login: str) -> dict[str, Any]:
        return self.get(f"/api/v1/users/{quote(login, safe='@')}") or {}

    def remove(self, login: str) -> None:
        """Remove the user from the group by hand."""
        self.http.delete(f"/api/v1/groups/{GROUP_ID}/users/{self.user(login)['id']}")

    def in_group(self, id_or_login: str) -> bool:
        user = self.get(f"/api/v1/users/{quote(id_or_login, safe='@')}")
        if user is None:
            return False
        groups = self.get(f"/api/v1/users/{user['id']}/groups") or []
        return any(g["id"] == GROUP_ID for g in groups)

    def group_size(self) -> int:
        count = 0
        url: str | None = f"/api/v1/groups/{GROUP_ID}/users?limit=1000"
        while url:
            response = self.http.get(url)
            count += len(response.json())
            url = response.links.get("next", {}).get("url")
        return count


def wait_until(check: Callable[[], bool], timeout: float = 120.0) -> float:
    """Seconds until ``check()`` is true (polled every 20 ms)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise RuntimeError("the change did not reach Okta in time")
        time.sleep(0.02)
    return time.monotonic() - start


def start_serve(world: BenchWorld) -> subprocess.Popen[bytes]:
    log = (world.workdir / "serve.log").open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spokesync",
            "--config",
            str(world.config_path),
            "--log-format",
            "json",
            "serve",
            "--live",
            "--schedule",
            "0 3 1 1 *",
            "--http",
            "off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, **world.env},
    )


def live_runs(world: BenchWorld) -> int:
    store = open_store(f"sqlite:///{world.workdir / 'state.db'}")
    try:
        return sum(1 for run in store.recent_runs(10_000) if run.mode == "live")
    finally:
        store.close()


def wait_for_positions(world: BenchWorld) -> None:
    store = open_store(f"sqlite:///{world.workdir / 'state.db'}")
    try:
        wait_until(lambda: store.get_cursor(cursors.OKTA_LOGS) is not None, timeout=60)
    finally:
        store.close()


Change = tuple[str, Callable[[], object], Callable[[], bool]]


def changes(admin: Any, okta: Okta, n: int, samples: int, first_outsider: int) -> list[Change]:
    """Sample ``n`` of each kind of change: (kind, make it, has it reached Okta)."""
    joiner = first_outsider + n
    leaver, editor, blocked, deleted, handled = (n + samples * k for k in range(5))

    return [
        (
            "join",
            lambda: admin.request(
                "POST", f"/api/v2/roles/{ROLE_ID}/users", {"users": [user_id(joiner)]}
            ),
            lambda: okta.in_group(email(joiner)),
        ),
        (
            "leave",
            lambda: admin.request(
                "DELETE",
                f"/api/v2/users/{quote(user_id(leaver), safe='')}/roles",
                {"roles": [ROLE_ID]},
            ),
            lambda: not okta.in_group(email(leaver)),
        ),
        (
            "metadata edit",
            lambda: admin.request(
                "PATCH",
                f"/api/v2/users/{quote(user_id(editor), safe='')}",
                {"user_metadata": {"firstName": f"Edited{editor}"}},
            ),
            lambda: (
                okta.user(email(editor)).get("profile", {}).get("firstName") == f"Edited{editor}"
            ),
        ),
        (
            "block",
            lambda: admin.request(
                "PATCH", f"/api/v2/users/{quote(user_id(blocked), safe='')}", {"blocked": True}
            ),
            lambda: (
                # provisioned by email and never activated: deactivated, not suspended
                okta.user(email(blocked)).get("status") in ("SUSPENDED", "DEPROVISIONED")
            ),
        ),
        (
            "deletion",
            lambda: admin.request("DELETE", f"/api/v2/users/{quote(user_id(deleted), safe='')}"),
            lambda: not okta.in_group(email(deleted)),
        ),
        (
            "Okta hand edit",
            lambda: okta.remove(email(handled)),
            lambda: okta.in_group(email(handled)),
        ),
    ]


def measure_latencies(
    world: BenchWorld, okta: Okta, samples: int, poll: float
) -> dict[str, list[float]]:
    admin = world.admin()
    rng = random.Random(7)
    out: dict[str, list[float]] = {k: [] for k in KINDS}
    first_outsider = world.users
    for n in range(samples):
        for kind, change, done in changes(admin, okta, n, samples, first_outsider):
            time.sleep(rng.uniform(0, poll))  # a random phase of the poll cycle
            change()
            out[kind].append(wait_until(done))
    admin.close()
    return out


def measure_idle(world: BenchWorld, poll: float, polls: int) -> tuple[int, float]:
    """(polls seen, API calls per poll) over ``polls`` idle poll intervals."""
    time.sleep(2 * poll)  # let the last run's echoes be read
    world.emu.reset_stats()
    time.sleep(polls * poll)
    auth0 = world.emu.stats("auth0")["requests"]
    okta = world.emu.stats("okta")["requests"]
    seen = int(okta.get("GET /api/v1/logs", 0))
    total = sum(int(v) for v in auth0.values()) + sum(int(v) for v in okta.values())
    return seen, total / max(1, seen)


def measure_burst(world: BenchWorld, okta: Okta, first: int, count: int) -> tuple[float, int]:
    """(seconds from the first assignment until all ``count`` are in the group, live runs)."""
    admin = world.admin()
    runs_before = live_runs(world)
    members_before = okta.group_size()
    start = time.monotonic()
    ids = [user_id(first + i) for i in range(count)]
    for chunk in range(0, count, ASSIGN_BATCH):
        admin.request(
            "POST", f"/api/v2/roles/{ROLE_ID}/users", {"users": ids[chunk : chunk + ASSIGN_BATCH]}
        )
    admin.close()
    while okta.group_size() < members_before + count:
        time.sleep(1.0)
    return time.monotonic() - start, live_runs(world) - runs_before


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--samples", type=int, default=10, help="changes of each kind")
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--poll-seconds", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--okta-rate-limit", type=int, default=6000)
    parser.add_argument("--auth0-rate-limit", type=float, default=200.0)
    args = parser.parse_args(argv)
    if args.members < 5 * args.samples:
        parser.error("--members must be at least 5 x --samples")
    poll = float(args.poll_seconds)
    limits = Limits(args.latency_ms, args.okta_rate_limit, args.auth0_rate_limit)
    config = f'[policy]\nmax_deprovision = "100%"\n\n[live]\npoll_seconds = {args.poll_seconds}\n'
    world = BenchWorld(
        users=args.members,
        limits=limits,
        outsiders=args.samples + args.burst,
        scopes=("read:logs",),
        extra_config=config,
    )
    console.print(machine())
    console.print(limits.describe())
    with world:
        world.emu.set_latency(0)
        world.sync()  # creates every member in Okta (not measured)
        world.emu.set_latency(args.latency_ms)
        serve = start_serve(world)
        try:
            wait_for_positions(world)
            okta = Okta(world.emu.okta_url, world.keys.okta_token)
            latencies = measure_latencies(world, okta, args.samples, poll)
            polls, per_poll = measure_idle(world, poll, 10)
            first_burst = world.users + args.samples
            burst_seconds, burst_runs = measure_burst(world, okta, first_burst, args.burst)
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=60)
    target = 2 * poll + 1
    rows = [
        (
            f"{kind}: p50 / p95 (n = {len(values)})",
            f"{statistics.median(values):.2f} s / {percentile(values, 0.95):.2f} s"
            f" ({'within' if percentile(values, 0.95) < target else 'OVER'} {target:g} s)",
        )
        for kind, values in latencies.items()
    ]
    okta_ceiling = args.okta_rate_limit * 0.5 / 60  # creates/s at rate_limit_share 0.5
    auth0_ceiling = args.auth0_rate_limit / 2  # a user's roles and profile
    ceiling = min(okta_ceiling, auth0_ceiling)
    rate = args.burst / burst_seconds
    rows += [
        (
            "idle: API calls per poll",
            f"{per_poll:.2f} over {polls} polls (target 2: 1 source + Okta)",
        ),
        (
            f"burst of {args.burst:,} role assignments",
            f"{burst_seconds:.1f} s = {rate:.1f} users/s = {100 * rate / ceiling:.0f} % of the "
            f"{ceiling:.1f}/s ceiling (Okta creates {okta_ceiling:.1f}/s, Auth0 reads "
            f"{auth0_ceiling:.1f} users/s), in {burst_runs} live runs",
        ),
    ]
    console.print(figures_table(f"live mode, poll_seconds = {args.poll_seconds}", rows))


if __name__ == "__main__":
    main()
