"""Roles and role members: the three answer modes, paging limits and assignments."""

from __future__ import annotations

import base64

import pytest

from tests.emulators.auth0.conftest import Emulator, MakeEmulator, bulk_users, seed_with

pytestmark = pytest.mark.anyio


async def test_roles_list_modes_and_name_filter(emulator: Emulator) -> None:
    client = emulator.client
    await client.post("/api/v2/roles", json={"name": "Marketing"})
    bare = (await client.get("/api/v2/roles")).json()
    assert [role["name"] for role in bare] == ["Marketing", "Salesforce"]
    # name_filter: case-insensitive substring (the emulator's choice; the recordings only
    # show full names, roles-list.json #1)
    found = (
        await client.get("/api/v2/roles", params={"name_filter": "SALES", "include_totals": "true"})
    ).json()
    assert found == {
        "roles": [{"id": "rol_A1", "name": "Salesforce", "description": "Salesforce users"}],
        "start": 0,
        "limit": 50,
        "total": 1,
    }
    # a filter that matches nothing (role-users-take-per-page.json #0)
    none = await client.get(
        "/api/v2/roles",
        params={"name_filter": "nope", "include_totals": "true", "page": "0", "per_page": "100"},
    )
    assert none.json() == {"roles": [], "start": 0, "limit": 100, "total": 0}


async def test_role_get_create_update_delete(emulator: Emulator) -> None:
    client = emulator.client
    created = await client.post("/api/v2/roles", json={"name": "Ops", "description": "d"})
    assert created.status_code == 200  # not 201 (roles-create.json #0)
    role_id = created.json()["id"]
    assert role_id.startswith("rol_") and len(role_id) == 20
    patched = await client.patch(f"/api/v2/roles/{role_id}", json={"description": "new"})
    assert patched.json() == {"id": role_id, "name": "Ops", "description": "new"}
    assert (await client.request("DELETE", f"/api/v2/roles/{role_id}", json={})).json() == {}
    missing = await client.get(f"/api/v2/roles/{role_id}")
    assert missing.status_code == 404
    assert missing.json() == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "The role does not exist.",
    }
    assert (await client.delete(f"/api/v2/roles/{role_id}")).status_code == 404
    duplicate = await client.post("/api/v2/roles", json={"name": "Salesforce"})
    assert duplicate.status_code == 409


async def test_role_users_three_modes(emulator: Emulator) -> None:
    client = emulator.client
    path = "/api/v2/roles/rol_A1/users"
    bare = (await client.get(path)).json()
    assert [user["user_id"] for user in bare] == ["auth0|ann", "auth0|bob"]
    assert set(bare[0]) == {"user_id", "email", "picture", "name"}
    offset = (await client.get(path, params={"include_totals": "true", "per_page": "1"})).json()
    assert set(offset) == {"users", "start", "limit", "total"}
    assert (offset["start"], offset["limit"], offset["total"]) == (0, 1, 2)
    # take switches to checkpoint mode even with include_totals/per_page
    # (role-users-checkpoint.json #5)
    first = (
        await client.get(path, params={"include_totals": "true", "per_page": "50", "take": "1"})
    ).json()
    assert set(first) == {"users", "next"}
    decoded = base64.b64decode(first["next"]).decode()
    assert decoded.endswith("UTC,auth0|ann")
    last = (await client.get(path, params={"from": first["next"], "take": "1"})).json()
    assert last == {"users": [bare[1]]}  # no `next` key on the last page (#6)


async def test_role_users_unknown_role_is_404(emulator: Emulator) -> None:
    response = await emulator.client.get("/api/v2/roles/rol_nope/users")
    assert response.status_code == 404
    assert "errorCode" not in response.json()


async def test_checkpoint_paging_reads_2500_members_exactly_once(
    make_emulator: MakeEmulator,
) -> None:
    emulator = await make_emulator(seed_with(bulk_users(2500)))
    seen: list[str] = []
    cursor: str | None = None
    calls = 0
    while True:
        params = {"take": "100", **({"from": cursor} if cursor else {})}
        body = (await emulator.client.get("/api/v2/roles/rol_A1/users", params=params)).json()
        calls += 1
        seen += [user["user_id"] for user in body["users"]]
        if "next" not in body:
            break
        cursor = body["next"]
    assert calls == 25
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 2500


@pytest.mark.parametrize("name", ["per_page", "take"])
async def test_page_size_over_100_is_400(emulator: Emulator, name: str) -> None:
    response = await emulator.client.get("/api/v2/roles/rol_A1/users", params={name: "101"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Query validation error: 'Value 101 is greater than maximum 100' on property {name} "
        "(Number of results per page. Defaults to 50.)."
    )


async def test_offset_paging_past_1000_is_400_invalid_paging(emulator: Emulator) -> None:
    path = "/api/v2/roles/rol_A1/users"
    assert (
        await emulator.client.get(path, params={"page": "9", "per_page": "100"})
    ).status_code == 200
    response = await emulator.client.get(path, params={"page": "10", "per_page": "100"})
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "Requesting page 10 exceeds the allowed maximum of 1000 records. "
        "To fetch results beyond 1000, use the checkpoint pagination method.",
        "errorCode": "invalid_paging",
    }


async def test_bad_checkpoint_is_400(emulator: Emulator) -> None:
    response = await emulator.client.get(
        "/api/v2/roles/rol_A1/users", params={"from": "xyz", "take": "5"}
    )
    assert response.status_code == 400


async def test_assignments_through_both_endpoints(emulator: Emulator) -> None:
    client = emulator.client
    carl = "google-oauth2%7Ccarl"
    assert (
        await client.post("/api/v2/roles/rol_A1/users", json={"users": ["google-oauth2|carl"]})
    ).json() == {}
    roles = (
        await client.get(f"/api/v2/users/{carl}/roles", params={"include_totals": "true"})
    ).json()
    assert roles == {
        "roles": [{"id": "rol_A1", "name": "Salesforce", "description": "Salesforce users"}],
        "start": 0,
        "limit": 50,
        "total": 1,
    }
    removed = await client.request(
        "DELETE", f"/api/v2/users/{carl}/roles", json={"roles": ["rol_A1"]}
    )
    assert removed.status_code == 204 and removed.content == b""
    assert (await client.get(f"/api/v2/users/{carl}/roles")).json() == []
    added = await client.post(f"/api/v2/users/{carl}/roles", json={"roles": ["rol_A1"]})
    assert added.status_code == 204
    members = (await client.get("/api/v2/roles/rol_A1/users")).json()
    assert [m["user_id"] for m in members] == ["auth0|ann", "auth0|bob", "google-oauth2|carl"]


async def test_assignment_errors(emulator: Emulator) -> None:
    client = emulator.client
    assert (
        await client.post("/api/v2/roles/rol_A1/users", json={"users": ["auth0|ghost"]})
    ).status_code == 404
    assert (await client.post("/api/v2/roles/rol_A1/users", json={"users": []})).status_code == 400
    assert (
        await client.post("/api/v2/users/auth0%7Cann/roles", json={"roles": ["rol_x"]})
    ).status_code == 404
    assert (
        await client.post("/api/v2/users/auth0%7Cghost/roles", json={"roles": ["rol_A1"]})
    ).status_code == 404
    malformed = await client.post(
        "/api/v2/roles/rol_A1/users", content=b"{", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["errorCode"] == "invalid_body"


async def test_a_100k_member_role_pages_from_a_deep_checkpoint(
    make_emulator: MakeEmulator,
) -> None:
    # Load and page times are the benchmarks' business (bench/), not timed assertions here.
    emulator = await make_emulator(seed_with(bulk_users(100_000)))
    path = "/api/v2/roles/rol_A1/users"
    offset = (
        await emulator.client.get(path, params={"include_totals": "true", "per_page": "100"})
    ).json()
    assert offset["total"] == 100_000
    # a checkpoint deep in the list is a bisect: jump to the page after user 99,899
    cursor = base64.b64encode(b"2023-03-14 13:41:28.961000UTC,auth0|099899").decode()
    last = (await emulator.client.get(path, params={"from": cursor, "take": "100"})).json()
    assert last["users"][0]["user_id"] == "auth0|099900"
    assert len(last["users"]) == 100 and "next" not in last
