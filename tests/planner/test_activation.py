"""Activation in the plan: the create action says how Okta creates the user, and a change of
activation is told once per source for the users spokesync created another way."""

from __future__ import annotations

from spokesync.config import DEFAULT_MAPPING
from spokesync.domain import (
    ActionKind,
    Binding,
    Link,
    SourceUser,
    SourceView,
    TargetUser,
    TargetView,
    identity_key,
)
from spokesync.planner import PlanInput, plan

BINDING = Binding("a", "rol_A", "00gA", "Sales", "Sales Users")


def _world(statuses: dict[int, tuple[str, str]], new: int = 0, **inp: object) -> PlanInput:
    """Linked users ``n -> (Okta status, link origin)`` and ``new`` users without a link."""
    users, links, okta = {}, {}, {}
    for n in [*statuses, *range(100, 100 + new)]:
        user = SourceUser("a", f"auth0|{n}", f"u{n}@x.example", True, "Ann Lee", "Ann", "Lee")
        users[user.key] = user
        if n in statuses:
            status, origin = statuses[n]
            profile = {"login": user.email, "email": user.email, "firstName": "Ann"}
            profile["lastName"] = "Lee"
            links[user.key] = Link(user.key, f"00u{n}", str(user.email), origin, profile)
            okta[f"00u{n}"] = TargetUser(f"00u{n}", status, profile)
    members = frozenset(u.user_id for u in users.values())
    return PlanInput(
        bindings=(BINDING,),
        source=SourceView(members={("a", "rol_A"): members}, profiles=users),
        target=TargetView(users=okta, group_members={"00gA": frozenset(okta)}),
        links=links,
        rules=dict(DEFAULT_MAPPING),
        **inp,  # type: ignore[arg-type]
    )


def test_the_create_action_carries_the_activation_and_user_type() -> None:
    inp = _world({}, new=1, activations={"a": "federated"}, user_types={"a": "otyP"})
    (create,) = [a for a in plan(inp).actions if a.kind is ActionKind.CREATE_USER]
    assert create.detail == {
        "login": "u100@x.example",
        "activation": "federated",
        "user_type": "otyP",
    }
    bare = [a for a in plan(_world({}, new=1)).actions if a.kind is ActionKind.CREATE_USER]
    assert bare[0].detail == {"login": "u100@x.example", "activation": "email"}


def test_users_created_another_way_are_told_once_per_source_and_left_alone() -> None:
    created = {1: ("PROVISIONED", "created"), 2: ("PROVISIONED", "created")}
    statuses = {**created, 3: ("STAGED", "created"), 4: ("PROVISIONED", "linked")}
    statuses[5] = ("ACTIVE", "created")
    result = plan(_world(statuses, activations={"a": "federated"}))
    (notice,) = result.notices
    assert notice.identity == identity_key("a", "auth0|1")
    assert "sources.a.activation = federated applies to new users only" in notice.reason
    assert "2 PROVISIONED, created with activation = email" in notice.reason
    assert "1 STAGED, created with activation = staged" in notice.reason
    assert result.actions == ()


def test_no_notice_when_the_statuses_fit_or_the_activation_is_unknown() -> None:
    assert plan(_world({1: ("PROVISIONED", "created")}, activations={"a": "email"})).notices == ()
    assert plan(_world({1: ("STAGED", "created")})).notices == ()
