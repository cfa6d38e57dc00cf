"""Benchmark (a): a first sync of N new role members against emulators with latency and
scaled rate limits. Prints users/s against the ceiling the binding limit allows (Okta's
create/list users bucket times our ``rate_limit_share``), the 429s received, and the API
calls by endpoint.

    .venv/bin/python -m bench.initial_load --users 2000 --okta-rate-limit 1200
"""

from __future__ import annotations

import argparse

from bench.common import (
    BenchWorld,
    Limits,
    RunReport,
    calls_table,
    console,
    figures_table,
    pct,
    phase_rows,
    report_auth0_rows,
)

SHARE = 0.5  # the config default: half of each Okta bucket is ours


def ceiling_per_second(limits: Limits) -> float:
    """Creates/s the binding limit allows: our share of Okta's create/list users bucket."""
    return limits.okta_per_minute * SHARE / 60


def figures(users: int, limits: Limits, report: RunReport) -> list[tuple[str, str]]:
    ceiling = ceiling_per_second(limits)
    created = int(report.summary.get("created", 0))
    overall = created / report.wall_seconds if report.wall_seconds else 0.0
    during_apply = report.applied / report.apply_seconds if report.apply_seconds else 0.0
    calls = report.total_calls
    return [
        ("role members (N)", f"{users:,}"),
        ("emulators", limits.describe()),
        ("exit code", str(report.exit_code)),
        ("created", f"{created:,}"),
        ("failed identities", str(report.summary.get("failed", "?"))),
        ("wall time, whole run", f"{report.wall_seconds:.1f} s"),
        ("apply phase", f"{report.apply_seconds:.1f} s"),
        ("ceiling (binding: Okta users bucket x share)", f"{ceiling:.2f} users/s"),
        ("users/s, whole run", f"{overall:.2f} ({pct(overall, ceiling)} of ceiling)"),
        ("users/s, apply phase", f"{during_apply:.2f} ({pct(during_apply, ceiling)} of ceiling)"),
        ("API calls", f"{calls:,}"),
        ("429 answers", f"{report.throttled:,} ({pct(report.throttled, calls)} of calls)"),
        *report_auth0_rows(report),
        ("peak RSS of the run", f"{report.peak_rss_mb:.0f} MB"),
        *phase_rows(report),
    ]


def run(users: int, limits: Limits, concurrency: int) -> RunReport:
    with BenchWorld(users, limits, concurrency=concurrency) as world:
        report = world.sync()
    console.print(figures_table(f"initial load, N = {users:,}", figures(users, limits, report)))
    console.print(calls_table("API calls by endpoint (initial load)", report))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--okta-rate-limit",
        type=int,
        default=None,
        help="per-minute limit of every Okta bucket (default: 1,200 per 2,000 users, so "
        "that the load spans about three and a third 60 s windows)",
    )
    parser.add_argument("--auth0-rate-limit", type=float, default=50.0)
    parser.add_argument("--concurrency", type=int, default=10, help="[okta] max_concurrency")
    args = parser.parse_args()
    okta = args.okta_rate_limit or max(120, round(args.users * 1200 / 2000))
    run(args.users, Limits(args.latency_ms, okta, args.auth0_rate_limit), args.concurrency)


if __name__ == "__main__":
    main()
