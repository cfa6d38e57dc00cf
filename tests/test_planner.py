"""The pure planner, property-tested: deterministic, convergent, and never touching foreign users.

A tiny model of apply (below) carries out a plan on the planner's own inputs; planning again
on the result must find nothing to do. Worlds are drawn with few emails so that clashes,
existing Okta users, blocked and unverified users come up often.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from spokesync.config import DEFAULT_MAPPING, PolicyConfig
from spokesync.domain import (
    ActionKind,
    Binding,
    Link,
    Plan,
    SourceUser,
    SourceView,
    TargetUser,
    TargetView,
    identity_key,
)
from spokesync.mapping import map_user
from spokesync.planner import PlanInput, plan

BINDINGS = (
    Binding("a", "rol_A", "00gA", "Sales", "Sales Users"),
    Binding("a", "rol_B", "00gB", "Tableau", "Tableau Users"),
    Binding("b", "rol_C", "00gA", "Sales", "Sales Users"),
)
EMAILS = ["ann@x.example", "bob@x.example", "cy@x.example", "Ann@X.example", "dee@x.example"]


@st.composite
def worlds(draw: st.DrawFn) -> PlanInput:
    users: dict[str, SourceUser] = {}
    members: dict[tuple[str, str], set[str]] = {b.member_key: set() for b in BINDINGS}
    for i in range(draw(st.integers(0, 6))):
        source = draw(st.sampled_from(["a", "b"]))
        user = SourceUser(
            source=source,
            user_id=f"auth0|{i}",
            email=draw(st.sampled_from([*EMAILS, None])),
            email_verified=draw(st.booleans()),
            given_name=draw(st.sampled_from(["Ann", "Bo", None])),
            family_name=draw(st.sampled_from(["Lee", "Ray"])),
            name="Ann Lee",
            blocked=draw(st.booleans()),
        )
        users[user.key] = user
        for binding in BINDINGS:
            if binding.source == source and draw(st.booleans()):
                members[binding.member_key].add(user.user_id)
    okta: dict[str, TargetUser] = {}
    group_members: dict[str, set[str]] = {"00gA": set(), "00gB": set()}
    for j, email in enumerate(draw(st.lists(st.sampled_from(EMAILS), max_size=3, unique=True))):
        uid = f"00uPre{j}"
        status = draw(st.sampled_from(["ACTIVE", "PROVISIONED", "SUSPENDED", "DEPROVISIONED"]))
        okta[uid] = TargetUser(
            uid, status, {"login": email, "email": email, "firstName": "P", "lastName": "Q"}
        )
        if draw(st.booleans()):
            group_members["00gA"].add(uid)
    policy = PolicyConfig(
        on_unlinked=draw(st.sampled_from(["link", "report"])),
        on_gone=draw(st.sampled_from(["none", "suspend", "deactivate", "delete"])),
        on_profile_drift=draw(st.sampled_from(["overwrite", "report"])),
        allow_unverified_email=draw(st.booleans()),
        max_deprovision="100%",
    )
    return PlanInput(
        bindings=BINDINGS,
        source=SourceView(
            members={k: frozenset(v) for k, v in members.items()},
            profiles=users,
        ),
        target=TargetView(
            users=okta, group_members={k: frozenset(v) for k, v in group_members.items()}
        ),
        links={},
        rules=dict(DEFAULT_MAPPING),
        policy=policy,
        shared_across_sources=draw(st.booleans()),
    )


def model_apply(inp: PlanInput, result: Plan) -> PlanInput:
    """What Okta and the store look like after the plan's actions all succeed."""
    users = dict(inp.target.users)
    groups = {g: set(m) for g, m in inp.target.group_members.items()}
    links = dict(inp.links)
    counter = itertools.count()
    for action in result.actions:
        key = action.identity
        link = links.get(key)
        kind = action.kind
        if kind is ActionKind.CREATE_USER:
            uid = f"00uNew{next(counter)}"
            profile: dict[str, Any] = dict(action.profile or {})
            users[uid] = TargetUser(uid, "PROVISIONED", profile)
            for group in action.group_ids:
                groups.setdefault(group, set()).add(uid)
            links[key] = Link(
                key,
                uid,
                str(profile["login"]),
                profile=profile,
                managed_groups=frozenset(action.group_ids),
            )
        elif kind is ActionKind.LINK:
            detail = dict(action.detail or {})
            uid = action.okta_id or links[str(detail["same_as"])].okta_id
            links[key] = Link(
                key,
                uid,
                str(detail["login"]),
                profile=dict(action.profile or {}),
                managed_groups=frozenset(action.group_ids),
            )
        elif link is None:
            raise AssertionError(f"{kind} planned for {key}, which has no link")
        elif kind is ActionKind.UPDATE_PROFILE:
            user = users[link.okta_id]
            users[link.okta_id] = dataclasses.replace(
                user, profile={**user.profile, **(action.profile or {})}
            )
            links[key] = dataclasses.replace(
                link, profile={**link.profile, **(action.profile or {})}
            )
        elif kind in (ActionKind.ADD_TO_GROUP, ActionKind.REMOVE_FROM_GROUP):
            assert action.group_id is not None
            adding = kind is ActionKind.ADD_TO_GROUP
            (groups[action.group_id].add if adding else groups[action.group_id].discard)(
                link.okta_id
            )
            managed = (
                link.managed_groups | {action.group_id}
                if adding
                else link.managed_groups - {action.group_id}
            )
            links[key] = dataclasses.replace(link, managed_groups=managed)
        elif kind in (
            ActionKind.SUSPEND,
            ActionKind.UNSUSPEND,
            ActionKind.DEACTIVATE,
            ActionKind.REACTIVATE,
        ):
            status, mark = {
                ActionKind.SUSPEND: ("SUSPENDED", "suspended"),
                ActionKind.UNSUSPEND: ("ACTIVE", ""),
                ActionKind.DEACTIVATE: ("DEPROVISIONED", "deactivated"),
                ActionKind.REACTIVATE: ("PROVISIONED", ""),
            }[kind]
            users[link.okta_id] = dataclasses.replace(users[link.okta_id], status=status)
            links[key] = dataclasses.replace(link, deprovisioned=mark)
        elif kind is ActionKind.DELETE:
            users.pop(link.okta_id)
            for members in groups.values():
                members.discard(link.okta_id)
            links.pop(key)
        elif kind is ActionKind.UNLINK:
            links.pop(key)
        elif kind is ActionKind.LINK_IDP:
            links[key] = dataclasses.replace(link, idp_linked=True)
        elif kind is ActionKind.WRITE_BACK:
            state = (action.detail or {})["app_metadata"]["hub_status"]
            links[key] = dataclasses.replace(link, hub_status=state)
    return dataclasses.replace(
        inp,
        target=TargetView(users=users, group_members={g: frozenset(m) for g, m in groups.items()}),
        links=links,
    )


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_plan_is_deterministic(inp: PlanInput) -> None:
    assert plan(inp) == plan(inp)


@settings(max_examples=200, deadline=None)
@given(worlds())
def test_planning_from_mapped_results_and_only_the_flags_is_planning_from_whole_profiles(
    inp: PlanInput,
) -> None:
    """What observe hands over for cached profiles (the flags, and the result mapped under
    the same rules) plans exactly as the whole profiles do."""
    mapped = {k: map_user(u, inp.rules) for k, u in inp.source.profiles.items()}
    flags = {k: u.flags_only() for k, u in inp.source.profiles.items()}
    compact = dataclasses.replace(
        inp, source=dataclasses.replace(inp.source, profiles=flags), mapped=mapped
    )
    assert plan(compact) == plan(inp)


@settings(max_examples=400, deadline=None)
@given(worlds())
def test_applying_the_plan_converges(inp: PlanInput) -> None:
    first = plan(inp)
    after = model_apply(inp, first)
    assert plan(after).actions == ()


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_foreign_okta_users_are_never_touched(inp: PlanInput) -> None:
    result = plan(inp)
    linked_now = {a.okta_id for a in result.actions if a.kind is ActionKind.LINK}
    for action in result.actions:
        if action.okta_id and action.kind is not ActionKind.LINK:
            assert action.okta_id in linked_now, action
        if action.kind is ActionKind.LINK:
            target = inp.target.users.get(action.okta_id or "")
            assert target is None or target.status != "DEPROVISIONED"


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_unverified_or_blocked_users_are_never_provisioned(inp: PlanInput) -> None:
    result = plan(inp)
    for action in result.actions:
        if action.kind in (ActionKind.CREATE_USER, ActionKind.LINK):
            user = inp.source.profiles[action.identity]
            assert not user.blocked
            assert user.email_verified or inp.policy.allow_unverified_email


def test_leaving_and_rejoining_is_undone_in_order() -> None:
    user = SourceUser("a", "auth0|1", "ann@x.example", True, "Ann Lee", "Ann", "Lee")
    key = identity_key("a", "auth0|1")
    link = Link(
        key,
        "00u1",
        "ann@x.example",
        deprovisioned="deactivated",
        profile={
            "login": "ann@x.example",
            "email": "ann@x.example",
            "firstName": "Ann",
            "lastName": "Lee",
        },
    )
    inp = PlanInput(
        bindings=BINDINGS[:1],
        source=SourceView(members={("a", "rol_A"): frozenset({"auth0|1"})}, profiles={key: user}),
        target=TargetView(
            users={"00u1": TargetUser("00u1", "DEPROVISIONED", dict(link.profile))},
            group_members={"00gA": frozenset()},
        ),
        links={key: link},
        rules=dict(DEFAULT_MAPPING),
        policy=PolicyConfig(on_gone="deactivate"),
    )
    assert [a.kind for a in plan(inp).actions] == [ActionKind.REACTIVATE, ActionKind.ADD_TO_GROUP]
