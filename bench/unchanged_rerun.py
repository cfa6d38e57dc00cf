"""Benchmark (b): a sync with nothing changed upstream, at N = 20,000 (and 100,000).

The world starts in sync: every role member's Okta twin is already in the bound group, and a
first sync (at zero latency, not measured) links them all and records the profiles. The
measured sync then runs at the benchmark latency: it should spend ceil(N/100) Auth0
role-member pages, ceil(N/200) Okta group-member pages and a handful of calls, and no
per-user call at all.

    .venv/bin/python -m bench.unchanged_rerun --users 20000 --users 100000
"""

from __future__ import annotations

import argparse

from bench.common import (
    BenchWorld,
    Limits,
    RunReport,
    calls_table,
    ceil_div,
    console,
    figures_table,
    report_auth0_rows,
)

#: endpoints whose count grows with N one call per user (none may appear in an unchanged run)
PER_USER = (
    "GET /api/v2/users/{id}",
    "GET /api/v1/users/{id}",
    "POST /api/v1/users",
    "POST /api/v1/users/{id}",
    "PUT /api/v1/groups/{groupId}/users/{userId}",
)


def per_user_calls(report: RunReport) -> int:
    requests = report.requests("auth0") + report.requests("okta")
    return sum(n for endpoint, n in requests.items() if endpoint in PER_USER)


def expected_pages(users: int) -> tuple[int, int]:
    """(Auth0 role-member pages of 100, Okta group-member pages of 200)."""
    return ceil_div(users, 100), ceil_div(users, 200)


def setup(world: BenchWorld, latency_ms: float) -> RunReport:
    """Bring the world to "in sync": one linking sync at zero latency."""
    world.emu.set_latency(0)
    first = world.sync()
    if first.exit_code != 0 or first.summary.get("linked") != world.users:
        raise SystemExit(f"setup sync did not link every member: {first.summary}")
    world.emu.set_latency(latency_ms)
    return first


def figures(
    users: int, limits: Limits, first: RunReport, report: RunReport
) -> list[tuple[str, str]]:
    auth0_pages, okta_pages = expected_pages(users)
    role_pages = report.requests("auth0").get("GET /api/v2/roles/{id}/users", 0)
    group_pages = report.requests("okta").get("GET /api/v1/groups/{groupId}/users", 0)
    return [
        ("identities (N)", f"{users:,}"),
        ("emulators", limits.describe()),
        (
            "setup sync (links all, latency 0)",
            f"{first.wall_seconds:.1f} s, {first.peak_rss_mb:.0f} MB",
        ),
        ("exit code", str(report.exit_code)),
        ("planned actions", str(report.summary.get("planned_actions"))),
        ("wall time", f"{report.wall_seconds:.1f} s"),
        ("API calls, total", f"{report.total_calls:,}"),
        (
            "Auth0 role-member pages (ideal ceil(N/100))",
            f"{role_pages:,} ({auth0_pages:,})",
        ),
        (
            "Okta group-member pages (ideal ceil(N/200))",
            f"{group_pages:,} ({okta_pages:,})",
        ),
        ("other calls", f"{report.total_calls - role_pages - group_pages:,}"),
        ("per-user calls", f"{per_user_calls(report):,}"),
        ("429 answers", f"{report.throttled:,}"),
        *report_auth0_rows(report),
        ("peak RSS of the run", f"{report.peak_rss_mb:.0f} MB"),
    ]


def run(users: int, limits: Limits) -> RunReport:
    with BenchWorld(users, limits, okta_present=True) as world:
        first = setup(world, limits.latency_ms)
        report = world.sync()
    console.print(
        figures_table(f"unchanged rerun, N = {users:,}", figures(users, limits, first, report))
    )
    console.print(calls_table(f"API calls by endpoint (unchanged rerun, N = {users:,})", report))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, action="append", help="repeatable; default 20000")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--okta-rate-limit", type=int, default=1200)
    parser.add_argument("--auth0-rate-limit", type=float, default=50.0)
    args = parser.parse_args()
    limits = Limits(args.latency_ms, args.okta_rate_limit, args.auth0_rate_limit)
    for users in args.users or [20000]:
        run(users, limits)


if __name__ == "__main__":
    main()
