"""Benchmark (c): a sync after 1 % churn upstream, at N = 20,000 by default.

The world starts in sync (as in the unchanged-rerun benchmark). Then, through the Auth0 API,
an admin changes 1 % of N: half of them get a new last name in ``user_metadata``, a quarter
are new users given the role, a quarter leave the role. The measured sync should spend the
page calls of an unchanged run, one users search, and one Okta write per change.

    .venv/bin/python -m bench.churn --users 20000 --churn 0.01
"""

from __future__ import annotations

import argparse
import secrets
from urllib.parse import quote

from bench.common import (
    ROLE_ID,
    BenchWorld,
    Limits,
    RunReport,
    calls_table,
    console,
    figures_table,
    report_auth0_rows,
    user_id,
)
from bench.unchanged_rerun import expected_pages, setup


def churn(world: BenchWorld, changes: int) -> tuple[int, int, int]:
    """Edit, add and remove role members; returns (edited, added, removed)."""
    edited, added = changes // 2, changes // 4
    removed = changes - edited - added
    admin = world.admin()
    try:
        step = max(1, world.users // max(1, edited + removed))
        picked = [user_id(i) for i in range(0, world.users, step)][: edited + removed]
        for uid in picked[:edited]:
            admin.request(
                "PATCH",
                f"/api/v2/users/{quote(uid, safe='')}",
                {"user_metadata": {"lastName": "Okonkwo-Partner"}},
            )
        new_ids = []
        for n in range(added):
            created = admin.request(
                "POST",
                "/api/v2/users",
                {
                    "connection": "Username-Password-Authentication",
                    "email": f"newcomer{n:06d}@partner.example",
                    "email_verified": True,
                    "given_name": f"Newcomer{n}",
                    "family_name": "Partner",
                    "password": secrets.token_urlsafe(16) + "aA1!",
                },
            )
            new_ids.append(created["user_id"])
        if new_ids:
            admin.request("POST", f"/api/v2/roles/{ROLE_ID}/users", {"users": new_ids})
        for uid in picked[edited:]:
            admin.request(
                "DELETE", f"/api/v2/users/{quote(uid, safe='')}/roles", {"roles": [ROLE_ID]}
            )
    finally:
        admin.close()
    return edited, added, removed


def figures(
    users: int, limits: Limits, done: tuple[int, int, int], report: RunReport
) -> list[tuple[str, str]]:
    edited, added, removed = done
    auth0_pages, okta_pages = expected_pages(users)
    s = report.summary
    return [
        ("identities (N)", f"{users:,}"),
        ("emulators", limits.describe()),
        ("churn: edited / added / removed", f"{edited} / {added} / {removed}"),
        ("exit code", str(report.exit_code)),
        (
            "updated / created / removed from group",
            f"{s.get('updated')} / {s.get('created')} / {s.get('removed_from_group')}",
        ),
        ("failed identities", str(s.get("failed"))),
        ("wall time", f"{report.wall_seconds:.1f} s"),
        ("API calls, total", f"{report.total_calls:,}"),
        (
            "ideal: pages + searches + 1 write per edit or newcomer",
            f"~{auth0_pages + okta_pages + 2 + edited + added:,} + a handful",
        ),
        (
            "note",
            "leavers stay in the group: their Okta twins were members before spokesync "
            "linked them, and it removes only memberships it added",
        ),
        ("429 answers", f"{report.throttled:,}"),
        *report_auth0_rows(report),
        ("peak RSS of the run", f"{report.peak_rss_mb:.0f} MB"),
    ]


def run(users: int, share: float, limits: Limits) -> RunReport:
    with BenchWorld(users, limits, okta_present=True) as world:
        setup(world, 0)
        done = churn(world, max(4, round(users * share)))
        world.emu.set_latency(limits.latency_ms)
        report = world.sync()
    console.print(
        figures_table(
            f"rerun after {share:.0%} churn, N = {users:,}", figures(users, limits, done, report)
        )
    )
    console.print(calls_table("API calls by endpoint (rerun after churn)", report))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--churn", type=float, default=0.01, help="share of N that changes")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--okta-rate-limit", type=int, default=1200)
    parser.add_argument("--auth0-rate-limit", type=float, default=50.0)
    args = parser.parse_args()
    run(
        args.users, args.churn, Limits(args.latency_ms, args.okta_rate_limit, args.auth0_rate_limit)
    )


if __name__ == "__main__":
    main()
