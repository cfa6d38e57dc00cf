"""Live mode when another tool shares spokesync's credentials, end to end: the poller
in-process against both emulators, the tool changing them through their APIs.

Teams re-use one Auth0 machine-to-machine application between tools, and one Okta service
app or API token. Live mode must not take the tool's changes for its own (they would wait for
the daily reconcile): its own writes are recognised as the echoes of its journaled actions,
never by the application that made them. Its own write-backs and Okta writes still cost no
targeted run: the poll after each change is idle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from spokesync.live.poller import LiveOutcome
from spokesync.okta.oauth import PrivateKeyJwtToken
from tests.key_kit import (
    OKTA_APP,
    key_pair,
    okta_oauth_table,
    with_oauth_clients,
    write_key,
    write_oauth_config,
)
from tests.live.test_poller import polls
from tests.world_kit import (
    ADMIN_SCOPES,
    CLIENT_SECRET,
    GROUP,
    Auth0Admin,
    OktaAdmin,
    World,
    auth0_user,
    okta_user,
    seed,
)

WorldFactory = Callable[..., World]
LIVE = '[policy]\nmax_deprovision = "100%"\n\n[live]\nenabled = true\npoll_seconds = 1\n'
SECRET_SOURCE = 'client_id = "spokesync"\nclient_secret = "${TEST_AUTH0_SECRET}"\n'
#: spokesync's application, which the admin tool uses too: it may change roles and users
SHARED_AUTH0_SCOPES = (*ADMIN_SCOPES, "read:logs")
#: Okta users that exist ACTIVE already (users spokesync creates stay PROVISIONED, which Okta
#: cannot suspend)
ACTIVE = okta_user("00uActive00000000005", "user5@partner.example")
ACTIVE4 = okta_user("00uActive00000000004", "user4@partner.example")
ACTIVE3 = okta_user("00uActive00000000003", "user3@partner.example")


def hub_status(admin: Auth0Admin, user_id: str) -> object:
    return admin.get(user_id).get("app_metadata", {}).get("hub_status")


def synced(outcome: LiveOutcome) -> bool:
    return outcome.run is not None and outcome.run.summary["outcome"] == "succeeded"


def test_an_admin_tool_sharing_the_auth0_application_is_seen(
    world_factory: WorldFactory,
) -> None:
    users = [auth0_user(n) for n in range(1, 6)] + [auth0_user(9, roles=())]
    world = world_factory(seed(users, [ACTIVE, ACTIVE4], client_scopes=SHARED_AUTH0_SCOPES))
    world.write_config(extra=LIVE)
    world.sync()
    tool = Auth0Admin(world.auth0_url, "spokesync", CLIENT_SECRET)  # spokesync's own app
    okta = world.okta()

    def change(i: int) -> None:
        if i == 1:
            tool.assign("auth0|u00009")
            tool.unassign("auth0|u00001")
            tool.patch("auth0|u00002", {"user_metadata": {"firstName": "Meta"}})
            tool.patch("auth0|u00005", {"blocked": True})
        if i == 3:
            okta.call("POST", f"/api/v1/users/{ACTIVE4['id']}/lifecycle/suspend")

    first, changed, echoes, suspended, write_back = polls(world, 5, change)
    assert first.run is None
    assert synced(changed), changed
    assert changed.touched == {
        "partners:auth0|u00009",
        "partners:auth0|u00001",
        "partners:auth0|u00002",
        "partners:auth0|u00005",
    }
    members = okta.members()
    assert "user9@partner.example" in members  # a join
    assert "user1@partner.example" not in members  # a leave
    assert members["user2@partner.example"]["profile"]["firstName"] == "Meta"  # an edit
    assert okta.user(ACTIVE["id"])["status"] == "SUSPENDED"  # type: ignore[index]  # a block
    # Our own Okta writes and Auth0 write-backs came back in the logs: no run for them.
    assert echoes.run is None and echoes.touched == frozenset(), echoes.touched
    assert echoes.read > 0
    # A suspension by hand in Okta is written back to Auth0, through the shared app ...
    assert synced(suspended) and suspended.touched == {"partners:auth0|u00004"}
    assert hub_status(tool, "auth0|u00004") == "suspended"
    # ... and that write-back, recognised in the tenant log, costs no targeted run.
    assert write_back.run is None and write_back.touched == frozenset(), write_back.touched
    assert write_back.read > 0
    live_runs = [r for r in world.cli("status", "--json").json()["runs"] if r["mode"] == "live"]
    assert len(live_runs) == 2


def okta_tool(world: World, key_pem: str, scopes: tuple[str, ...]) -> OktaAdmin:
    """An admin tool holding a token of spokesync's own Okta service app."""
    app = PrivateKeyJwtToken(world.okta_url, OKTA_APP, key_pem, scopes)
    answer = httpx.post(
        f"{world.okta_url}/oauth2/v1/token",
        data={
            "grant_type": "client_credentials",
            "scope": " ".join(scopes),
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": app.assertion(),
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return OktaAdmin(world.okta_url, f"Bearer {answer.json()['access_token']}")


def test_an_admin_tool_sharing_the_okta_service_app_is_seen(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    scopes = ("okta.users.manage", "okta.groups.manage", "okta.logs.read")
    key = key_pair("okta-shared")
    users = [auth0_user(n) for n in range(1, 5)] + [auth0_user(9, roles=())]
    document = seed(
        users, [ACTIVE3], client_scopes=("read:users", "read:roles", "update:users", "read:logs")
    )
    world = world_factory(with_oauth_clients(document, okta_key=key, granted=scopes))
    key_file = write_key(tmp_path, "okta-app.pem", key.private_pem)
    write_oauth_config(world, okta=okta_oauth_table(key_file), source=SECRET_SOURCE, extra=LIVE)
    world.sync()
    tool = okta_tool(world, key.private_pem, scopes)
    admin = world.auth0()
    ids = {login: u["id"] for login, u in world.okta().members().items()}

    def change(i: int) -> None:
        if i == 1:
            tool.call("DELETE", f"/api/v1/groups/{GROUP}/users/{ids['user1@partner.example']}")
            tool.call(
                "POST",
                f"/api/v1/users/{ids['user2@partner.example']}",
                {"profile": {"firstName": "ByTool"}},
            )
            tool.call("POST", f"/api/v1/users/{ids['user3@partner.example']}/lifecycle/suspend")
            admin.assign("auth0|u00009")  # and a join, through Auth0's own admin app

    first, changed, echoes, idle = polls(world, 4, change)
    assert first.run is None
    assert synced(changed), changed
    assert changed.touched == {
        "partners:auth0|u00001",
        "partners:auth0|u00002",
        "partners:auth0|u00003",
        "partners:auth0|u00009",
    }
    okta = world.okta()
    members = okta.members()
    assert "user1@partner.example" in members  # the membership the tool removed, restored
    assert members["user2@partner.example"]["profile"]["firstName"] == "User2"  # overwritten
    assert "user9@partner.example" in members  # the join
    assert hub_status(admin, "auth0|u00003") == "suspended"  # the suspension, written back
    # Our own writes (the restored membership, the profile, the create, the write-back) came
    # back in both logs: recognised as echoes, no run.
    assert echoes.run is None and echoes.touched == frozenset(), echoes.touched
    assert echoes.read > 0
    assert idle.run is None and idle.read == 0
