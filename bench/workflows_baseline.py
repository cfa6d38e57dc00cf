"""Benchmark (e): the same initial load done the Okta Workflows sample's way, as the baseline.

Sequential, one user at a time: read the role members from Auth0 (pages of 100), then per
user look the login up in Okta (``GET /api/v1/users/{login}``, a 404), create the user
(``POST /api/v1/users``) and add it to the group (``PUT /api/v1/groups/{gid}/users/{uid}``).
A 429 waits until the bucket's reset. Same emulators, latency and limits as the initial load.

    .venv/bin/python -m bench.workflows_baseline --users 500
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from urllib.parse import quote

import httpx

from bench.common import (
    CLIENT_ID,
    GROUP_ID,
    ROLE_ID,
    BenchWorld,
    Limits,
    auth0_rows,
    console,
    figures_table,
    pct,
)
from bench.initial_load import ceiling_per_second


def _send(
    http: httpx.Client, method: str, url: str, seen: Counter[int], **kw: object
) -> httpx.Response:
    while True:
        response = http.request(method, url, **kw)  # type: ignore[arg-type]
        seen[response.status_code] += 1
        if response.status_code != 429:
            return response
        reset = response.headers.get("x-rate-limit-reset") or response.headers.get(
            "x-ratelimit-reset"
        )
        time.sleep(max(0.05, float(reset) - time.time()) if reset else 1.0)


def load(world: BenchWorld) -> tuple[int, float, Counter[int]]:
    """Provision every role member the sequential way; returns (created, seconds, statuses)."""
    seen: Counter[int] = Counter()
    emu = world.emu
    t0 = time.perf_counter()
    with httpx.Client(base_url=emu.auth0_url, timeout=30) as auth0:
        token = _send(
            auth0,
            "POST",
            "/oauth/token",
            seen,
            json={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": world.keys.client_secret,
                "audience": f"{emu.auth0_url}/api/v2/",
            },
        ).json()["access_token"]
        auth0.headers["Authorization"] = f"Bearer {token}"
        members: list[dict[str, object]] = []
        page = 0
        while True:
            batch = _send(
                auth0,
                "GET",
                f"/api/v2/roles/{ROLE_ID}/users",
                seen,
                params={"page": page, "per_page": 100},
            ).json()
            members.extend(batch)
            if len(batch) < 100:
                break
            page += 1
    created = 0
    headers = {"Authorization": f"SSWS {world.keys.okta_token}"}
    with httpx.Client(base_url=emu.okta_url, timeout=30, headers=headers) as okta:
        for member in members:
            login = str(member["email"])
            found = _send(okta, "GET", f"/api/v1/users/{quote(login, safe='@')}", seen)
            if found.status_code == 200:
                continue
            name = str(member.get("name", "")).split(" ", 1)
            user = _send(
                okta,
                "POST",
                "/api/v1/users",
                seen,
                params={"activate": "true"},
                json={
                    "profile": {
                        "login": login,
                        "email": login,
                        "firstName": name[0],
                        "lastName": name[-1],
                    }
                },
            ).json()
            _send(okta, "PUT", f"/api/v1/groups/{GROUP_ID}/users/{user['id']}", seen)
            created += 1
    return created, time.perf_counter() - t0, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--okta-rate-limit", type=int, default=1200)
    parser.add_argument("--auth0-rate-limit", type=float, default=50.0)
    args = parser.parse_args()
    limits = Limits(args.latency_ms, args.okta_rate_limit, args.auth0_rate_limit)
    with BenchWorld(args.users, limits) as world:
        created, seconds, seen = load(world)
        okta_requests = world.emu.stats("okta")["requests"]
        auth0_stats = world.emu.stats("auth0")
    rate = created / seconds
    ceiling = ceiling_per_second(limits)
    calls = sum(seen.values())
    rows = [
        ("role members (N)", f"{args.users:,}"),
        ("emulators", limits.describe()),
        ("created", f"{created:,}"),
        ("wall time", f"{seconds:.1f} s"),
        ("users/s", f"{rate:.2f} ({pct(rate, ceiling)} of spokesync's ceiling {ceiling:.2f}/s)"),
        ("API calls", f"{calls:,} ({calls / max(1, created):.2f} per user)"),
        ("429 answers", f"{seen.get(429, 0):,}"),
        *auth0_rows(auth0_stats["requests"], auth0_stats["statuses"]),
        (
            "Okta calls by endpoint",
            ", ".join(f"{k}: {v}" for k, v in sorted(okta_requests.items())),
        ),
        ("time for 20,000 at this pace", f"{20000 / rate / 60:.0f} min"),
    ]
    console.print(figures_table(f"Workflows-style sequential baseline, N = {args.users:,}", rows))


if __name__ == "__main__":
    main()
