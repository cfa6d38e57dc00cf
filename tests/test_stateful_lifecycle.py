"""Random sequences of admin changes on both sides, interleaved with syncs (hypothesis stateful).

After each sync the Okta state must be exactly what the config and the default policies say
(computed here from the Auth0 state read through its API, independently of the planner), no
Okta user may be duplicated, nothing outside spokesync's managed set may change, and a second
sync right away must have nothing to do.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from spokesync.domain import login_key
from tests.world_kit import GROUP, ROLE, World, auth0_user, make_world, okta_user, seed

USERS = 6
FOREIGN_ID = "00uForeign0000000001"  # an Okta user spokesync must never touch
FOREIGN_MEMBER = "00uForeignMember0001"  # a group member spokesync did not add
LINKABLE_ID = "00uLinkable000000001"  # already has Auth0 user 1's login: gets linked


def _initial_seed() -> dict[str, Any]:
    users = [auth0_user(i, roles=(ROLE,) if i % 2 else ()) for i in range(1, USERS + 1)]
    okta = [
        okta_user(FOREIGN_ID, "outsider@hub.example"),
        okta_user(FOREIGN_MEMBER, "manual@hub.example", groups=(GROUP,)),
        okta_user(LINKABLE_ID, "USER1@partner.example"),
    ]
    return seed(users, okta)


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="spokesync-stateful-"))
        self.world: World = make_world(self.tmp, _initial_seed())
        self.world.write_config(extra='[policy]\nmax_deprovision = "100%"\n')
        self.auth0 = self.world.auth0()
        self.okta = self.world.okta()
        self.deleted: set[str] = set()
        #: Okta id -> Auth0 user id of managed users an Okta admin deactivated
        self.hub_deactivated: dict[str, str] = {}
        self.version = 0
        self.foreign_before = self._foreign_state()
        self.syncs = 0
        #: Auth0 users that were in scope at some sync, so spokesync created or linked them
        self.ever_in_scope: set[str] = set()

    def teardown(self) -> None:
        self.world.emulators.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- Auth0 admin changes ------------------------------------------------------------------

    users = st.integers(min_value=1, max_value=USERS)

    def _alive(self, n: int) -> bool:
        return f"auth0|u{n:05d}" not in self.deleted

    @rule(n=users)
    def assign_role(self, n: int) -> None:
        if self._alive(n):
            self.auth0.assign(f"auth0|u{n:05d}")

    @rule(n=users)
    def remove_role(self, n: int) -> None:
        if self._alive(n):
            self.auth0.unassign(f"auth0|u{n:05d}")

    @rule(n=users, name=st.sampled_from(["Okafor", "Núñez", "Sørensen", "Li"]))
    def edit_metadata(self, n: int, name: str) -> None:
        if self._alive(n):
            self.auth0.patch(f"auth0|u{n:05d}", {"user_metadata": {"lastName": name}})

    @rule(n=users)
    def change_email(self, n: int) -> None:
        if self._alive(n):
            self.version += 1
            email = f"user{n}.v{self.version}@partner.example"
            self.auth0.patch(f"auth0|u{n:05d}", {"email": email, "email_verified": True})

    @rule(n=users, blocked=st.booleans())
    def block(self, n: int, blocked: bool) -> None:
        if self._alive(n):
            self.auth0.patch(f"auth0|u{n:05d}", {"blocked": blocked})

    @rule(n=users)
    def delete_user(self, n: int) -> None:
        if self._alive(n):
            self.auth0.delete(f"auth0|u{n:05d}")
            self.deleted.add(f"auth0|u{n:05d}")

    # -- Okta admin changes (on users spokesync manages) ----------------------------------------

    def _managed(self) -> list[dict[str, Any]]:
        return [
            u
            for u in self.okta.users()
            if u["id"] not in (FOREIGN_ID, FOREIGN_MEMBER)
            and (u["id"] != LINKABLE_ID or self.syncs > 0)
        ]

    @precondition(lambda self: self.syncs > 0)
    @rule(pick=st.integers(min_value=0, max_value=50))
    def okta_deactivate(self, pick: int) -> None:
        owners = {login_key(u["email"]): u["user_id"] for u in self._auth0_users()}
        managed = [
            u
            for u in self._managed()
            if u["status"] != "DEPROVISIONED"
            and u["id"] != LINKABLE_ID
            and login_key(u["profile"]["login"]) in owners
        ]
        if managed:
            user = managed[pick % len(managed)]
            self.okta.call("POST", f"/api/v1/users/{user['id']}/lifecycle/deactivate")
            self.hub_deactivated[user["id"]] = owners[login_key(user["profile"]["login"])]

    @precondition(lambda self: self.syncs > 0)
    @rule(pick=st.integers(min_value=0, max_value=50))
    def okta_remove_membership(self, pick: int) -> None:
        members = [
            u for u in self.okta.members().values() if u["id"] not in (FOREIGN_MEMBER, FOREIGN_ID)
        ]
        if members:
            user = members[pick % len(members)]
            self.okta.call("DELETE", f"/api/v1/groups/{GROUP}/users/{user['id']}")

    @precondition(lambda self: self.syncs > 0)
    @rule(pick=st.integers(min_value=0, max_value=50))
    def okta_edit_profile(self, pick: int) -> None:
        managed = [u for u in self._managed() if u["status"] != "DEPROVISIONED"]
        if managed:
            user = managed[pick % len(managed)]
            self.okta.call(
                "POST", f"/api/v1/users/{user['id']}", {"profile": {"firstName": "Edited"}}
            )

    # -- sync and the checks ---------------------------------------------------------------------

    @rule()
    def sync(self) -> None:
        out = self.world.sync("--force")  # the guard has its own tests
        assert out["summary"]["failed"] == 0, out["summary"]["failures"]
        self.syncs += 1
        self._check_okta_matches_policy()
        again = self.world.plan()
        assert again["actions"] == [], again["actions"]

    @invariant()
    def no_duplicate_okta_users(self) -> None:
        logins = [login_key(u["profile"]["login"]) for u in self.okta.users()]
        assert len(logins) == len(set(logins)), logins

    @invariant()
    def foreign_users_untouched(self) -> None:
        assert self._foreign_state() == self.foreign_before

    def _foreign_state(self) -> dict[str, Any]:
        members = {u["id"] for u in self.okta.members().values()}
        state = {}
        for uid in (FOREIGN_ID, FOREIGN_MEMBER):
            user = self.okta.user(uid)
            assert user is not None
            state[uid] = (user["status"], user["profile"], uid in members)
        return state

    def _auth0_users(self) -> list[dict[str, Any]]:
        members = {
            u["user_id"] for u in self.auth0.call("GET", f"/api/v2/roles/{ROLE}/users?per_page=100")
        }
        out = []
        for n in range(1, USERS + 1):
            uid = f"auth0|u{n:05d}"
            if uid in self.deleted:
                continue
            user = self.auth0.get(uid)
            user["has_role"] = uid in members
            out.append(user)
        return out

    def _check_okta_matches_policy(self) -> None:
        by_login = {login_key(u["profile"]["login"]): u for u in self.okta.users()}
        members = {u["id"] for u in self.okta.members().values()}
        decided = {auth0_id: okta_id for okta_id, auth0_id in self.hub_deactivated.items()}
        for user in self._auth0_users():
            if user["has_role"] and not user.get("blocked"):
                self.ever_in_scope.add(user["user_id"])
            if user["user_id"] in decided:
                # The hub's decision wins: left deactivated, and Auth0 is told.
                okta = self.okta.user(decided[user["user_id"]])
                assert okta is not None and okta["status"] == "DEPROVISIONED", okta
                assert user.get("app_metadata", {}).get("hub_status") == "deactivated", user
                continue
            okta = by_login.get(login_key(user["email"]))
            if okta is None:
                # Never provisioned: then it must not be in scope now.
                assert not user["has_role"] or user.get("blocked"), user
                continue
            if user["user_id"] not in self.ever_in_scope:
                # Never in scope, so never linked: an Okta user with its login is not ours.
                assert okta["id"] not in members, (user, okta)
                continue
            if user["has_role"] and not user.get("blocked"):
                assert okta["id"] in members, (user, okta)
                assert okta["status"] in ("ACTIVE", "PROVISIONED"), okta
                expected_last = user.get("user_metadata", {}).get("lastName") or user["family_name"]
                assert okta["profile"]["lastName"] == expected_last
                assert okta["profile"]["firstName"] == user["given_name"]
            elif user["has_role"]:  # blocked: suspended (or deactivated if never activated)
                assert okta["status"] in ("SUSPENDED", "DEPROVISIONED"), (user, okta)
            else:
                assert okta["id"] not in members, (user, okta)  # left the role
        for uid in self.deleted:
            for okta in by_login.values():
                assert uid not in str(okta["profile"])


Lifecycle.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=14,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.slow
class TestLifecycle(Lifecycle.TestCase):  # type: ignore[misc,valid-type]
    pass
