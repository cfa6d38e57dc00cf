"""Benchmark (d): planning time and peak memory for 100,000 identities (pure planner, no I/O).

Two inputs are built directly, as observe would hand them over: everyone already in sync
(the daily case: zero actions), and a first run (everyone new: one create each). Each
scenario runs in a fresh process so that its peak RSS is its own. The whole unchanged run at
100,000 over HTTP is ``bench.unchanged_rerun --users 100000``.

    .venv/bin/python -m bench.planning --users 100000
"""

from __future__ import annotations

import argparse
import gc
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from bench.common import (
    GROUP_ID,
    ROLE_ID,
    SOURCE,
    console,
    email,
    figures_table,
    peak_rss_mb,
    user_id,
)


def _scenario(users: int, in_sync: bool) -> tuple[float, float, float, int]:
    """(build seconds, plan seconds, peak RSS MB, actions) for one scenario, in this process."""
    from spokesync import planner
    from spokesync.config import DEFAULT_MAPPING
    from spokesync.domain import (
        Binding,
        Link,
        SourceUser,
        SourceView,
        TargetUser,
        TargetView,
        identity_key,
    )

    t0 = time.perf_counter()
    binding = Binding(SOURCE, ROLE_ID, GROUP_ID, "Salesforce", "Salesforce Users")
    profiles: dict[str, SourceUser] = {}
    target: dict[str, TargetUser] = {}
    links: dict[str, Link] = {}
    for i in range(users):
        key = identity_key(SOURCE, user_id(i))
        profiles[key] = SourceUser(
            source=SOURCE,
            user_id=user_id(i),
            email=email(i),
            email_verified=True,
            name=f"Member{i} Partner",
            given_name=f"Member{i}",
            family_name="Partner",
            updated_at="2026-11-26T05:00:00.000Z",
        )
        if in_sync:
            okta_id = f"00uBench{i:012d}"
            profile = {
                "login": email(i),
                "email": email(i),
                "firstName": f"Member{i}",
                "lastName": "Partner",
            }
            target[okta_id] = TargetUser(okta_id, "ACTIVE", profile)
            links[key] = Link(
                identity=key,
                okta_id=okta_id,
                login=email(i),
                profile=dict(profile),
                managed_groups=frozenset({GROUP_ID}),
            )
    members = frozenset(u.user_id for u in profiles.values())
    inp = planner.PlanInput(
        bindings=(binding,),
        source=SourceView(members={binding.member_key: members}, profiles=profiles),
        target=TargetView(
            users=target, group_members={GROUP_ID: frozenset(target) if in_sync else frozenset()}
        ),
        links=links,
        rules={k: list(v) for k, v in DEFAULT_MAPPING.items()},
    )
    built = time.perf_counter() - t0
    gc.collect()
    t1 = time.perf_counter()
    plan = planner.plan(inp)
    planned = time.perf_counter() - t1
    return built, planned, peak_rss_mb(), len(plan.actions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = [("identities (N)", f"{args.users:,}")]
    for name, in_sync in (("unchanged (all linked)", True), ("first run (all new)", False)):
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            built, planned, rss, actions = pool.submit(_scenario, args.users, in_sync).result()
        rows += [
            (f"{name}: build PlanInput", f"{built:.2f} s"),
            (f"{name}: planner.plan()", f"{planned:.2f} s, {actions:,} actions"),
            (f"{name}: peak RSS (input + plan)", f"{rss:.0f} MB"),
        ]
    console.print(figures_table(f"planning, N = {args.users:,}", rows))


if __name__ == "__main__":
    main()
