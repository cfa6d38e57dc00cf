"""Benchmark (f): the service's pages and metrics on a year of state for 100,000 identities.

Fills a SQLite state database directly (100,000 links, a failure streak for 1 %, 365 daily
runs, and one audit row per identity per ~3 weeks: about 1.7 million journal rows), then times
each page the dashboard serves, through the real app (in-process ASGI, no network), warm.

    .venv/bin/python -m bench.dashboard --identities 100000 --days 365
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.common import console, figures_table, machine
from spokesync import config as config_module
from spokesync.run_queue import RunQueue, SoleLeader
from spokesync.store import open_store
from spokesync.store.schema import failures, journal, links, runs
from spokesync.web.app import build_app
from spokesync.web.context import WebContext
from spokesync.web.metrics import Metrics

CONFIG = {
    "okta": {"org_url": "https://hub.okta.com", "token": "bench-token"},
    "sources": {
        "partners": {"domain": "partners.auth0.com", "client_id": "c", "client_secret": "s"}
    },
    "bindings": [{"source": "partners", "role": "R", "group": "G"}],
}


def fill(url: str, identities: int, days: int) -> int:
    """Write the state; returns the journal rows written."""
    engine = sa.create_engine(url)
    profile = json.dumps({"login": "x", "firstName": "A", "lastName": "B", "email": "x"})
    rows = 0
    with engine.begin() as db:
        db.execute(
            sa.insert(links),
            [
                {
                    "identity": f"partners:auth0|{n:06d}",
                    "okta_id": f"00u{n:06d}",
                    "login": f"user{n}@partner.example",
                    "origin": "created",
                    "profile": profile,
                    "managed_groups": '["00gG"]' if n % 50 else "[]",
                    "created_at": "2026-01-01T00:00:00.000Z",
                    "updated_at": "2026-01-01T00:00:00.000Z",
                    "deprovisioned": "",
                    "idp_linked": False,
                    "hub_status": "",
                    "source_blocked_by_us": False,
                }
                for n in range(identities)
            ],
        )
        db.execute(
            sa.insert(failures),
            [
                {"identity": f"partners:auth0|{n:06d}", "streak": n % 7 + 1,
                 "last_reason": "okta 400: E0000001", "last_run": "r"}
                for n in range(0, identities, 100)
            ],
        )  # fmt: skip
        per_day = max(1, identities // 21)
        for day in range(days):
            started = f"2025-{1 + day // 31 % 12:02d}-{1 + day % 28:02d}T03:00:00.000Z"
            run_id = f"run{day:04d}"
            summary = {
                "outcome": "succeeded",
                "updated": per_day,
                "duration_seconds": 42.0,
                "api_calls": {"auth0": 900, "okta": per_day + 200},
                "failed": 0,
            }
            db.execute(sa.insert(runs), [{"id": run_id, "mode": "sync", "started_at": started,
                       "finished_at": started, "outcome": "succeeded",
                       "summary": json.dumps(summary)}])  # fmt: skip
            first = day * per_day % identities
            db.execute(
                sa.insert(journal),
                [
                    {"run_id": run_id, "identity": f"partners:auth0|{(first + i) % identities:06d}",
                     "action": "update_profile", "okta_id": "00u", "login": None,
                     "status": "succeeded", "started_at": started, "finished_at": started,
                     "before": profile, "after": profile, "error": None}
                    for i in range(per_day)
                ],
            )  # fmt: skip
            rows += per_day
    engine.dispose()
    return rows


async def measure(url: str, paths: list[str], repeat: int) -> list[tuple[str, float, int]]:
    store = open_store(url)
    config = config_module.parse({**CONFIG, "state": {"url": url}})
    leadership = SoleLeader("bench")

    async def never(_request: Any) -> None:
        return None

    metrics = Metrics(leadership)
    t0 = time.perf_counter()
    metrics.seed(store, config.policy.quarantine_after)
    seeded = time.perf_counter() - t0
    app = build_app(WebContext(config, store, metrics, RunQueue(never, leadership)))
    results = [("metrics seed at start", seeded * 1000, 0)]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for path in paths:
            times, size = [], 0
            for _ in range(repeat + 1):
                t0 = time.perf_counter()
                answer = await client.get(path)
                times.append(time.perf_counter() - t0)
                assert answer.status_code == 200, (path, answer.status_code)
                size = len(answer.content)
            results.append((f"GET {path}", statistics.median(times[1:]) * 1000, size))
    store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--identities", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'state.db'}"
        open_store(url).close()  # the schema, by the migrations
        t0 = time.perf_counter()
        rows = fill(url, args.identities, args.days)
        console.print(f"{machine()}\nfilled {args.identities} links, {args.days} runs, "
                      f"{rows} journal rows in {time.perf_counter() - t0:.0f} s")  # fmt: skip
        paths = [
            "/",
            "/?runs_before=run0200",
            "/?failures_after=partners:auth0%7C050000",
            "/audit?identity=partners:auth0%7C012345",
            "/audit?identity=user77777@partner.example",
            "/metrics",
            "/readyz",
        ]
        results = asyncio.run(measure(url, paths, args.repeat))
    console.print(
        figures_table(
            f"dashboard: {args.identities} identities, {rows} audit rows, median of {args.repeat}",
            [
                (what, f"{ms:.1f} ms" + (f", {size // 1024} KiB" if size else ""))
                for what, ms, size in results
            ],
        )
    )


if __name__ == "__main__":
    main()
