"""Groups, members and membership changes (reference §6, recordings)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spokesync.emulators.okta import create_app
from tests.emulators.okta.support import FakeClock, client, next_url, profile, rels, seed

pytestmark = pytest.mark.anyio

SALES = "00gsales0000000000001"
BOB = "00ubob00000000000001"


async def group_id_named(api: httpx.AsyncClient, name: str) -> str:
    groups = (await api.get("/api/v1/groups", params={"q": name})).json()
    return str(next(g["id"] for g in groups if g["profile"]["name"] == name))


async def test_members_of_2500_read_each_exactly_once_over_link_pages() -> None:
    users = [
        {"profile": profile(f"user{index:04d}@partner.example"), "groups": ["Sales"]}
        for index in range(2500)
    ]
    app = create_app(seed(users=users), clock=FakeClock())
    async with client(app) as api:
        seen: list[str] = []
        url: str | None = f"/api/v1/groups/{SALES}/users?limit=200"
        pages = 0
        while url is not None:
            response = await api.get(url)
            assert response.status_code == 200
            assert rels(response)[0] == "self"
            page = response.json()
            assert all(set(u["_links"]) == {"self"} for u in page)
            seen += [u["id"] for u in page]
            url = next_url(response)
            pages += 1
    assert pages == 13
    assert len(seen) == len(set(seen)) == 2500


async def test_default_member_page_is_1000_and_named_in_self_link(api: httpx.AsyncClient) -> None:
    response = await api.get(f"/api/v1/groups/{SALES}/users")
    assert response.headers.get_list("link") == [
        f'<http://127.0.0.1:8802/api/v1/groups/{SALES}/users?limit=1000>; rel="self"'
    ]
    assert [u["id"] for u in response.json()] == [BOB]


async def test_put_and_delete_membership_are_204_and_idempotent(api: httpx.AsyncClient) -> None:
    user = (
        await api.post("/api/v1/users", json={"profile": profile("ann@partner.example")})
    ).json()
    path = f"/api/v1/groups/{SALES}/users/{user['id']}"
    for _ in range(2):
        response = await api.put(path)
        assert (response.status_code, response.content) == (204, b"")
    members = [u["id"] for u in (await api.get(f"/api/v1/groups/{SALES}/users")).json()]
    assert members.count(user["id"]) == 1
    for _ in range(2):  # removing a non-member is 204 too
        assert (await api.delete(path)).status_code == 204
    members = [u["id"] for u in (await api.get(f"/api/v1/groups/{SALES}/users")).json()]
    assert user["id"] not in members


@pytest.mark.parametrize("name", ["Everyone", "AD Imported"])
async def test_membership_of_builtin_and_app_groups_is_forbidden(
    api: httpx.AsyncClient, name: str
) -> None:
    group_id = await group_id_named(api, name)
    response = await api.put(f"/api/v1/groups/{group_id}/users/{BOB}")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "E0000006"


async def test_membership_misses_name_the_missing_object(api: httpx.AsyncClient) -> None:
    no_group = await api.put(f"/api/v1/groups/00gmissing0000000000/users/{BOB}")
    no_user = await api.put(f"/api/v1/groups/{SALES}/users/00umissing0000000000")
    assert no_group.json()["errorSummary"].endswith("(UserGroup)")
    assert no_user.json()["errorSummary"].endswith("(User)")


async def test_every_user_is_in_everyone(api: httpx.AsyncClient) -> None:
    groups = (await api.get(f"/api/v1/users/{BOB}/groups")).json()
    assert {(g["profile"]["name"], g["type"]) for g in groups} == {
        ("Everyone", "BUILT_IN"),
        ("Sales", "OKTA_GROUP"),
    }


async def test_create_get_update_delete_group(api: httpx.AsyncClient) -> None:
    created = await api.post("/api/v1/groups", json={"profile": {"name": "Partners"}})
    assert created.status_code == 200
    group = created.json()
    assert group["type"] == "OKTA_GROUP" and group["objectClass"] == ["okta:user_group"]
    assert group["profile"] == {"name": "Partners", "description": None}
    duplicate = await api.post("/api/v1/groups", json={"profile": {"name": "partners"}})
    assert duplicate.status_code == 400
    renamed = await api.put(
        f"/api/v1/groups/{group['id']}",
        json={"profile": {"name": "Partners EU", "description": "d"}},
    )
    assert renamed.json()["profile"] == {"name": "Partners EU", "description": "d"}
    await api.put(f"/api/v1/groups/{group['id']}/users/{BOB}")
    assert (await api.delete(f"/api/v1/groups/{group['id']}")).status_code == 204
    missing = await api.get(f"/api/v1/groups/{group['id']}")
    assert missing.status_code == 404
    assert missing.json()["errorSummary"] == (
        f"Not found: Resource not found: {group['id']} (UserGroup)"
    )
    groups = (await api.get(f"/api/v1/users/{BOB}/groups")).json()
    assert group["id"] not in [g["id"] for g in groups]


async def test_list_groups_self_link_and_q_without_link(api: httpx.AsyncClient) -> None:
    listed = await api.get("/api/v1/groups")
    assert listed.headers["link"].endswith('/api/v1/groups?limit=10000>; rel="self"')
    assert len(listed.json()) == 3
    found = await api.get("/api/v1/groups/", params={"q": "sal"})  # trailing slash as recorded
    assert [g["profile"]["name"] for g in found.json()] == ["Sales"]
    assert "link" not in found.headers


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"search": 'profile.name eq "sales"'}, ["Sales"]),
        ({"search": 'profile.name co "import"'}, ["AD Imported"]),
        ({"search": 'type eq "BUILT_IN"'}, ["Everyone"]),
        ({"filter": 'type eq "APP_GROUP"'}, ["AD Imported"]),
        ({"filter": f'id eq "{SALES}"'}, ["Sales"]),
    ],
)
async def test_group_search_and_filter(
    api: httpx.AsyncClient, params: dict[str, str], names: list[str]
) -> None:
    response = await api.get("/api/v1/groups", params=params)
    assert sorted(g["profile"]["name"] for g in response.json()) == names


async def test_q_with_filter_applies_both_and_answers_no_link(api: httpx.AsyncClient) -> None:
    """okta/terraform/groups-data-source-read.json #11: ``filter`` and ``q`` together, no Link;
    groups-everyone.json #0: ``q=Everyone`` finds the BUILT_IN group."""
    both = await api.get("/api/v1/groups", params={"filter": 'type eq "APP_GROUP"', "q": "AD"})
    assert [g["profile"]["name"] for g in both.json()] == ["AD Imported"]
    assert "link" not in both.headers
    none = await api.get("/api/v1/groups", params={"filter": 'type eq "APP_GROUP"', "q": "Sal"})
    assert none.json() == [] and "link" not in none.headers
    everyone = (await api.get("/api/v1/groups", params={"q": "Everyone"})).json()
    assert [(g["profile"]["name"], g["type"]) for g in everyone] == [("Everyone", "BUILT_IN")]


async def test_group_filter_rejects_profile_attributes(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/groups", params={"filter": 'profile.name eq "Sales"'})
    assert response.json()["errorCode"] == "E0000031"


async def test_expand_stats_counts_members(api: httpx.AsyncClient) -> None:
    group: dict[str, Any] = (await api.get(f"/api/v1/groups/{SALES}?expand=stats")).json()
    assert group["_embedded"]["stats"]["usersCount"] == 1


async def test_builtin_group_cannot_be_deleted(api: httpx.AsyncClient) -> None:
    everyone = await group_id_named(api, "Everyone")
    assert (await api.delete(f"/api/v1/groups/{everyone}")).status_code == 403
