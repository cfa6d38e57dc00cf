"""Benchmark (d): planning time and peak memory for 100,000 identities (pure core, no I/O).

Inputs are built directly, as observe hands them over, and each scenario runs in a fresh
process so that its peak RSS is its own:

- unchanged: everyone linked and in sync, their mapped profiles known from the profile cache
  (the daily case: observe maps nobody, the planner finds zero actions);
- rules changed: the same world, but every profile must be mapped again (after an edit of the
  ``[mapping]`` rules, or a first run over users already in Okta);
- first run: everyone new, every profile mapped, one create each.

The timed part is what the run spends in the pure core: mapping the profiles observe does
not know mapped (``map_user``) plus ``planner.plan()``. The whole unchanged run at 100,000
over HTTP is ``bench.unchanged_rerun --users 100000``.

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

SCENARIOS = {
    "unchanged (all linked, mapped results cached)": "unchanged",
    "rules changed (all linked, all mapped again)": "remap",
    "first run (all new)": "new",
}


def _scenario(users: int, kind: str) -> tuple[float, float, float, float, int]:
    """(build s, mapping s, plan s, peak RSS MB, actions) for one scenario, in this process."""
    from spokesync import planner
    from spokesync.domain import (
        Binding,
        Link,
        SourceUser,
        SourceView,
        TargetUser,
        TargetView,
        identity_key,
    )
    from spokesync.mapping import DEFAULT_MAPPING, MappedProfile, Unmappable, map_user

    t0 = time.perf_counter()
    rules = {k: list(v) for k, v in DEFAULT_MAPPING.items()}
    binding = Binding(SOURCE, ROLE_ID, GROUP_ID, "Salesforce", "Salesforce Users")
    linked = kind != "new"
    profiles: dict[str, SourceUser] = {}
    known: dict[str, MappedProfile | Unmappable] = {}
    target: dict[str, TargetUser] = {}
    links: dict[str, Link] = {}
    for i in range(users):
        # One string per value, as observe holds them (its parsers intern what repeats).
        uid, address, first = user_id(i), email(i), f"Member{i}"
        key = identity_key(SOURCE, uid)
        if kind == "unchanged":
            # What the profile cache hands over: the flags, and the mapped result.
            profiles[key] = SourceUser(SOURCE, uid, email_verified=True)
        else:
            profiles[key] = SourceUser(
                source=SOURCE,
                user_id=uid,
                email=address,
                email_verified=True,
                name=f"{first} Partner",
                given_name=first,
                family_name="Partner",
                updated_at="2026-11-26T05:00:00.000Z",
            )
        if linked:
            okta_id = f"00uBench{i:012d}"
            profile = {
                "login": address,
                "email": address,
                "firstName": first,
                "lastName": "Partner",
            }
            # One profile object shared by link, Okta user and mapped result, as observe does.
            target[okta_id] = TargetUser(okta_id, "ACTIVE", profile)
            links[key] = Link(
                identity=key,
                okta_id=okta_id,
                login=address,
                profile=profile,
                managed_groups=frozenset({GROUP_ID}),
            )
            if kind == "unchanged":
                known[key] = MappedProfile(profile)
    members = frozenset(u.user_id for u in profiles.values())
    built = time.perf_counter() - t0
    gc.collect()
    t1 = time.perf_counter()
    mapped = dict(known)
    for key, user in profiles.items():
        if key not in mapped:
            mapped[key] = map_user(user, rules)
    t2 = time.perf_counter()
    inp = planner.PlanInput(
        bindings=(binding,),
        source=SourceView(members={binding.member_key: members}, profiles=profiles),
        target=TargetView(
            users=target, group_members={GROUP_ID: frozenset(target) if linked else frozenset()}
        ),
        links=links,
        rules=rules,
        mapped=mapped,
        activations={SOURCE: "federated"},  # as observe gives it: every source has one
    )
    plan = planner.plan(inp)
    t3 = time.perf_counter()
    return built, t2 - t1, t3 - t2, peak_rss_mb(), len(plan.actions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = [("identities (N)", f"{args.users:,}")]
    for name, kind in SCENARIOS.items():
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            built, mapping, planned, rss, actions = pool.submit(
                _scenario, args.users, kind
            ).result()
        rows += [
            (f"{name}: build the input", f"{built:.2f} s"),
            (f"{name}: map_user (profiles not known mapped)", f"{mapping:.2f} s"),
            (f"{name}: planner.plan()", f"{planned:.2f} s, {actions:,} actions"),
            (f"{name}: mapping + planning", f"{mapping + planned:.2f} s"),
            (f"{name}: peak RSS (input + plan)", f"{rss:.0f} MB"),
        ]
    console.print(figures_table(f"planning, N = {args.users:,}", rows))


if __name__ == "__main__":
    main()
