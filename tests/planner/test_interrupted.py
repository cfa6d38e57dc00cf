"""What the planner makes of interrupted journal rows: an Okta user an interrupted create made
is taken over before its identity is planned; never where two candidates exist; and a row
is decided (``Plan.settled``) only when the plan looked at what it left."""

from __future__ import annotations

from spokesync.config import DEFAULT_MAPPING
from spokesync.domain import (
    ActionKind,
    Binding,
    Link,
    PendingAction,
    Settled,
    SourceUser,
    SourceView,
    TargetUser,
    TargetView,
)
from spokesync.planner import PlanInput, plan

BINDING = Binding("a", "rol_A", "00gA", "Sales", "Sales Users")


def _user(n: int, email: str) -> SourceUser:
    return SourceUser(
        source="a",
        user_id=f"auth0|{n}",
        email=email,
        email_verified=True,
        given_name="Ann",
        family_name="Lee",
        name="Ann Lee",
    )


def _okta(okta_id: str, login: str) -> TargetUser:
    return TargetUser(
        okta_id,
        "PROVISIONED",
        {"login": login, "email": login, "firstName": "Ann", "lastName": "Lee"},
    )


def _create_row(row: int, n: int, login: str) -> PendingAction:
    return PendingAction(row, "run1", f"a:auth0|{n}", ActionKind.CREATE_USER, None, login, "t0")


def _input(
    users: list[SourceUser],
    okta: list[TargetUser],
    pending: tuple[PendingAction, ...],
    links: dict[str, Link] | None = None,
) -> PlanInput:
    return PlanInput(
        bindings=(BINDING,),
        source=SourceView(
            members={BINDING.member_key: frozenset(u.user_id for u in users)},
            profiles={u.key: u for u in users},
        ),
        target=TargetView(
            users={u.id: u for u in okta}, group_members={"00gA": frozenset(u.id for u in okta)}
        ),
        links=links or {},
        rules=dict(DEFAULT_MAPPING),
        pending=pending,
    )


def test_an_interrupted_create_renamed_since_is_linked_then_renamed() -> None:
    made = _okta("00uMade", "ann@x.example")
    result = plan(
        _input([_user(1, "ann.new@x.example")], [made], (_create_row(7, 1, "ann@x.example"),))
    )
    kinds = [(a.kind, a.okta_id) for a in result.actions]
    assert kinds[:2] == [(ActionKind.LINK, "00uMade"), (ActionKind.UPDATE_PROFILE, "00uMade")]
    assert result.actions[0].group_ids == ("00gA",)  # the create body's membership is managed
    assert result.actions[1].profile is not None
    assert result.actions[1].profile["login"] == "ann.new@x.example"
    assert ActionKind.CREATE_USER not in {a.kind for a in result.actions}
    assert result.settled == {7: Settled("repaired", "00uMade")}


def test_one_okta_user_two_identities_interrupted_creates_may_have_made_is_linked_to_neither() -> (
    None
):
    made = _okta("00uMade", "ann@x.example")
    rows = (_create_row(7, 1, "ann@x.example"), _create_row(8, 2, "ann@x.example"))
    users = [_user(1, "ann@x.example"), _user(2, "ann@x.example")]
    result = plan(_input(users, [made], rows))
    assert result.actions == ()
    assert {n.kind for n in result.notices} == {"disputed"}
    assert {n.identity for n in result.notices} == {"a:auth0|1", "a:auth0|2"}
    assert result.settled == {}  # both rows stay open until the dispute is resolved


def test_two_okta_users_interrupted_creates_made_for_one_identity_are_reported_not_linked() -> None:
    first, second = _okta("00uFirst", "ann@x.example"), _okta("00uSecond", "ann.new@x.example")
    rows = (_create_row(7, 1, "ann@x.example"), _create_row(8, 1, "ann.new@x.example"))
    result = plan(_input([_user(1, "ann.new@x.example")], [first, second], rows))
    assert result.actions == ()  # no link, and no third user either
    [notice] = result.notices
    assert notice.kind == "disputed" and "00uFirst, 00uSecond" in notice.reason
    assert result.settled == {}


def test_rows_of_a_linked_identity_whose_okta_user_cannot_be_read_stay_open() -> None:
    link = Link("a:auth0|1", "00uLinked", "ann@x.example", managed_groups=frozenset())
    add = PendingAction(
        9, "run1", "a:auth0|1", ActionKind.ADD_TO_GROUP, "00uLinked", None, "t0", "00gA"
    )
    result = plan(_input([_user(1, "ann@x.example")], [], (add,), {"a:auth0|1": link}))
    assert [n.reason for n in result.notices] == ["Okta user 00uLinked could not be read"]
    assert result.settled == {}


def test_an_interrupted_create_that_never_reached_okta_is_closed_and_made_again() -> None:
    result = plan(_input([_user(1, "ann@x.example")], [], (_create_row(7, 1, "ann@x.example"),)))
    assert [a.kind for a in result.actions] == [ActionKind.CREATE_USER]
    assert result.settled == {7: Settled("interrupted")}


def test_an_interrupted_link_of_an_identity_out_of_scope_is_decided() -> None:
    """A killed run's link row whose identity left the role before the link was stored: no
    link, nothing of ours in Okta, so the row is closed "interrupted", not left open forever."""
    existing = _okta("00uLinkable", "bob@x.example")
    row = PendingAction(9, "run1", "a:auth0|2", ActionKind.LINK, "00uLinkable", None, "t0")
    result = plan(_input([_user(1, "ann@x.example")], [existing], (row,)))
    assert result.settled[9] == Settled("interrupted", None)
    assert not [a for a in result.actions if a.identity == "a:auth0|2"]
