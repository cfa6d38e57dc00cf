"""The planner's group actions for template bindings (pure): create first, memberships in
the planned group after it; rename in place; adopt only when allowed; report the rest."""

from __future__ import annotations

from spokesync.config import DEFAULT_MAPPING, PolicyConfig
from spokesync.domain import (
    ActionKind,
    Binding,
    GroupState,
    GroupStatus,
    Link,
    PendingAction,
    SourceUser,
    SourceView,
    TargetUser,
    TargetView,
    planned_group_id,
)
from spokesync.guard import check
from spokesync.planner import PlanInput, plan

PLANNED = planned_group_id("p", "org_1")


def user(n: int) -> SourceUser:
    return SourceUser(
        "p",
        f"auth0|{n}",
        email=f"u{n}@x.example",
        email_verified=True,
        given_name="U",
        family_name="N",
    )


def org_binding(group_id: str, org: str = "org_1", gone: bool = False) -> Binding:
    return Binding(
        "p",
        "",
        group_id,
        "",
        "Partner Acme",
        organization_id=org,
        organization_name="acme",
        organization_gone=gone,
    )


def state(status: GroupStatus, group_id: str, current: str = "", detail: str = "") -> GroupState:
    return GroupState("p", "org_1", "acme", "", "Partner Acme", group_id, status, current, detail)


def inputs(
    bindings: tuple[Binding, ...],
    groups: tuple[GroupState, ...],
    members: dict[tuple[str, str], frozenset[str]],
    *,
    links: dict[str, Link] | None = None,
    target: TargetView | None = None,
    pending: tuple[PendingAction, ...] = (),
) -> PlanInput:
    users = {u.key: u for u in (user(1), user(2))}
    return PlanInput(
        bindings=bindings,
        source=SourceView(members=members, profiles=users),
        target=target or TargetView(),
        links=links or {},
        rules=DEFAULT_MAPPING,  # type: ignore[arg-type]
        policy=PolicyConfig(),
        groups=groups,
        pending=pending,
    )


def test_a_missing_group_is_created_before_the_memberships_that_name_it() -> None:
    b = org_binding(PLANNED)
    result = plan(
        inputs((b,), (state(GroupStatus.MISSING, PLANNED),), {b.member_key: frozenset({"auth0|1"})})
    )
    first, second = result.actions
    assert first.kind is ActionKind.CREATE_GROUP and first.group_id == PLANNED
    assert first.detail and first.detail["description"] == (
        "Managed by spokesync: organization org_1 of source p"
    )
    assert second.kind is ActionKind.CREATE_USER and second.group_ids == (PLANNED,)
    assert "member of organization acme" in second.reason
    # the guard does not count group actions as deprovisioning
    assert (
        check(result, {}, (b,), SourceView(members={b.member_key: frozenset({"auth0|1"})}), "0")
        is None
    )


def test_rename_in_place_and_nothing_when_the_name_matches() -> None:
    b = org_binding("00gAcme")
    members = {b.member_key: frozenset()}
    renamed = plan(inputs((b,), (state(GroupStatus.OURS, "00gAcme", "Partner Old"),), members))
    assert [(a.kind, a.group_id, a.before) for a in renamed.actions] == [
        (ActionKind.RENAME_GROUP, "00gAcme", {"name": "Partner Old"})
    ]
    same = plan(inputs((b,), (state(GroupStatus.OURS, "00gAcme", "Partner Acme"),), members))
    assert same.actions == ()


def test_foreign_group_is_reported_and_adoptable_one_adopted() -> None:
    foreign = plan(inputs((), (state(GroupStatus.FOREIGN, "", detail="not ours"),), {}))
    assert foreign.actions == ()
    assert [(n.identity, n.kind) for n in foreign.notices] == [("p:org_1", "reported")]
    b = org_binding("00gThere")
    adopted = plan(
        inputs(
            (b,),
            (state(GroupStatus.ADOPTABLE, "00gThere", "Partner Acme"),),
            {b.member_key: frozenset()},
        )
    )
    assert [a.kind for a in adopted.actions] == [ActionKind.ADOPT_GROUP]


def test_members_of_a_deleted_organization_leave_its_group_unguarded() -> None:
    b = org_binding("00gAcme", gone=True)
    links = {
        f"p:auth0|{n}": Link(
            f"p:auth0|{n}", f"00u{n}", f"u{n}@x.example", managed_groups=frozenset({"00gAcme"})
        )
        for n in (1, 2)
    }
    okta = {
        f"00u{n}": TargetUser(f"00u{n}", "ACTIVE", {"login": f"u{n}@x.example"}) for n in (1, 2)
    }
    target = TargetView(users=okta, group_members={"00gAcme": frozenset(okta)})
    inp = inputs(
        (b,),
        (
            state(
                GroupStatus.GONE,
                "00gAcme",
                "Partner Acme",
                "organization org_1 was deleted in Auth0",
            ),
        ),
        {b.member_key: frozenset()},
        links=links,
        target=target,
    )
    result = plan(inp)
    removals = [a for a in result.actions if a.kind is ActionKind.REMOVE_FROM_GROUP]
    assert len(removals) == 2
    assert all("no bound role or organization membership" in a.reason for a in removals)
    assert any("2 managed members" in n.reason for n in result.notices)
    # all of a group's members leave, yet the guard lets it through: the deletion is explicit
    assert check(result, links, (b,), inp.source, "10%") is None


def test_interrupted_group_rows_are_settled() -> None:
    entry = PendingAction(7, "r0", "p:org_1", ActionKind.CREATE_GROUP, None, None, "t")
    b = org_binding("00gMade")
    result = plan(
        inputs(
            (b,),
            (state(GroupStatus.CLAIMABLE, "00gMade", "Partner Acme"),),
            {b.member_key: frozenset()},
            pending=(entry,),
        )
    )
    assert result.settled[7].status == "repaired"
    assert [a.kind for a in result.actions] == [ActionKind.ADOPT_GROUP]
