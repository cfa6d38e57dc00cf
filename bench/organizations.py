"""Benchmark (i): partners as Auth0 Organizations, one template binding, a group per partner.

200 organizations with 20,000 members between them (100 each; every 10th member of an
organization is also a member of the next one), bound with
``organizations = "*"`` / ``group = "Partner {organization.display_name}"`` and an
``organization_role`` binding on the same template (members holding "Admin" in their
organization, 1 in 10), so member roles must be read too. Measured: a first sync (creates
200 + 200 groups and 20,000 users) and an unchanged rerun, each in a fresh process: Auth0
calls by endpoint (the goal: no per-member call, about members/100 + organizations/100
reads), wall time and peak RSS.

    .venv/bin/python -m bench.organizations --organizations 200 --members 20000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import (
    ADMIN_CLIENT_ID,
    ADMIN_SCOPES,
    CLIENT_ID,
    SOURCE,
    EmulatorProcess,
    Limits,
    RunReport,
    Secrets,
    auth0_user,
    calls_table,
    ceil_div,
    console,
    figures_table,
    run_in_child,
    user_id,
)
from spokesync.world import SYNC_SCOPES

ADMIN_ROLE = "rol_BenchOrgAdmin001"
#: endpoints called once per member (none may appear in an unchanged rerun)
PER_MEMBER = (
    "GET /api/v2/organizations/{id}/members/{user_id}/roles",
    "GET /api/v2/users/{id}",
    "GET /api/v2/users/{id}/organizations",
)


def organizations_seed(organizations: int, members: int) -> list[dict[str, object]]:
    size = ceil_div(members, organizations)
    out: list[dict[str, object]] = []
    for n in range(organizations):
        mine = list(range(n * size, min((n + 1) * size, members)))
        shared = [i for i in range(((n + 1) % organizations) * size, members)][::10][: size // 10]
        out.append(
            {
                "id": f"org_Bench{n:011d}",
                "name": f"partner-{n:04d}",
                "display_name": f"Partner Company {n:04d}",
                "metadata": {"tier": "gold" if n % 3 == 0 else "silver"},
                "members": [
                    {"user_id": user_id(i), "roles": [ADMIN_ROLE] if i % 10 == 0 else []}
                    for i in dict.fromkeys([*mine, *shared])
                ],
            }
        )
    return out


def write_seed(path: Path, organizations: int, members: int, keys: Secrets) -> None:
    document = {
        "auth0": {
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": keys.client_secret,
                    "scopes": list(SYNC_SCOPES),
                },
                {
                    "client_id": ADMIN_CLIENT_ID,
                    "client_secret": keys.admin_secret,
                    "scopes": ADMIN_SCOPES,
                },
            ],
            "roles": [{"id": ADMIN_ROLE, "name": "Admin"}],
            "users": [auth0_user(i, member=False) for i in range(members)],
            "organizations": organizations_seed(organizations, members),
        },
        "okta": {"api_tokens": [keys.okta_token], "groups": [], "users": []},
    }
    path.write_text(json.dumps(document), encoding="utf-8")


def config(workdir: Path, emulators: EmulatorProcess) -> str:
    return f"""[state]
url = "sqlite:///{workdir / "state.db"}"

[okta]
org_url = "{emulators.okta_url}"
token = "${{BENCH_OKTA_TOKEN}}"

[sources.{SOURCE}]
domain = "{emulators.auth0_url}"
client_id = "{CLIENT_ID}"
client_secret = "${{BENCH_AUTH0_SECRET}}"

[[bindings]]
source = "{SOURCE}"
organizations = "*"
group = "Partner {{organization.display_name}}"

[[bindings]]
source = "{SOURCE}"
organizations = "*"
organization_role = "Admin"
group = "Partner {{organization.display_name}} Admins"
"""


def figures(
    organizations: int, members: int, limits: Limits, label: str, report: RunReport
) -> list[tuple[str, str]]:
    auth0 = report.requests("auth0")
    member_pages = auth0.get("GET /api/v2/organizations/{id}/members", 0)
    listing = auth0.get("GET /api/v2/organizations", 0)
    per_member = sum(n for endpoint, n in auth0.items() if endpoint in PER_MEMBER)
    summary = report.summary
    return [
        ("run", label),
        ("organizations / members", f"{organizations:,} / {members:,}"),
        ("emulators", limits.describe()),
        ("exit code", str(report.exit_code)),
        (
            "groups created / users created / added to group",
            f"{summary.get('groups_created')} / {summary.get('created'):,} / "
            f"{summary.get('added_to_group'):,}",
        ),
        ("planned actions", f"{summary.get('planned_actions'):,}"),
        ("wall time", f"{report.wall_seconds:.1f} s"),
        ("Auth0 calls, total", f"{auth0.total():,}"),
        (
            "organizations listing pages (ideal ceil(orgs/100))",
            f"{listing:,} ({ceil_div(organizations, 100):,})",
        ),
        (
            "members pages (ceil(members/100) + 1 closing page per organization)",
            f"{member_pages:,}",
        ),
        ("per-member Auth0 calls", f"{per_member:,}"),
        ("Okta calls, total", f"{report.requests('okta').total():,}"),
        ("429 answers", f"{report.throttled:,}"),
        ("peak RSS of the run", f"{report.peak_rss_mb:.0f} MB"),
    ]


def run(organizations: int, members: int, limits: Limits) -> None:
    keys = Secrets()
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="spokesync-b-orgs-"))
    seed = workdir / "seed.json"
    write_seed(seed, organizations, members, keys)
    env = {"BENCH_OKTA_TOKEN": keys.okta_token, "BENCH_AUTH0_SECRET": keys.client_secret}
    with EmulatorProcess(seed, limits, workdir / "emulators.log") as emulators:
        path = workdir / "spokesync.toml"
        path.write_text(config(workdir, emulators), encoding="utf-8")
        for label in ("first run", "unchanged rerun"):
            emulators.reset_stats()
            report = run_in_child(path, env)
            report.auth0_stats = emulators.stats("auth0")
            report.okta_stats = emulators.stats("okta")
            title = f"organizations, {label}"
            console.print(
                figures_table(title, figures(organizations, members, limits, label, report))
            )
            console.print(calls_table(f"API calls by endpoint ({label})", report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organizations", type=int, default=200)
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--okta-rate-limit", type=int, default=60000)
    parser.add_argument("--auth0-rate-limit", type=float, default=50.0)
    args = parser.parse_args()
    limits = Limits(args.latency_ms, args.okta_rate_limit, args.auth0_rate_limit)
    run(args.organizations, args.members, limits)


if __name__ == "__main__":
    main()
