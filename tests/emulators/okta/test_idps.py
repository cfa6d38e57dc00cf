"""IdP links (reference §7; no recording of link calls exists)."""

from __future__ import annotations

import httpx
import pytest

from tests.emulators.okta.support import next_url, profile, rels

pytestmark = pytest.mark.anyio

IDP = "0oaauth0000000000001"
BOB = "00ubob00000000000001"


async def test_link_then_list_get_and_unlink(api: httpx.AsyncClient) -> None:
    linked = await api.post(f"/api/v1/idps/{IDP}/users/{BOB}", json={"externalId": "auth0|1"})
    assert linked.status_code == 200
    body = linked.json()
    assert (body["id"], body["externalId"]) == (BOB, "auth0|1")
    assert set(body["_links"]) == {"self", "idp", "user"}
    listed = await api.get(f"/api/v1/idps/{IDP}/users")
    assert [link["id"] for link in listed.json()] == [BOB]
    assert rels(listed) == ["self"]
    assert "limit=20" in listed.headers["link"]
    assert (await api.get(f"/api/v1/idps/{IDP}/users/{BOB}")).json()["externalId"] == "auth0|1"
    idps = (await api.get(f"/api/v1/users/{BOB}/idps")).json()
    assert [idp["id"] for idp in idps] == [IDP]
    assert (await api.delete(f"/api/v1/idps/{IDP}/users/{BOB}")).status_code == 204
    assert (await api.get(f"/api/v1/idps/{IDP}/users/{BOB}")).status_code == 404
    assert (await api.get(f"/api/v1/users/{BOB}/idps")).json() == []


async def test_same_external_id_for_a_second_user_is_refused(api: httpx.AsyncClient) -> None:
    ann = (await api.post("/api/v1/users", json={"profile": profile("ann@partner.example")})).json()
    await api.post(f"/api/v1/idps/{IDP}/users/{BOB}", json={"externalId": "auth0|1"})
    clash = await api.post(f"/api/v1/idps/{IDP}/users/{ann['id']}", json={"externalId": "auth0|1"})
    assert clash.status_code == 400
    assert clash.json()["errorCode"] == "E0000001"
    again = await api.post(f"/api/v1/idps/{IDP}/users/{BOB}", json={"externalId": "auth0|1"})
    assert again.status_code == 200  # relinking the same pair answers the link


async def test_unknown_idp_and_user(api: httpx.AsyncClient) -> None:
    response = await api.post(
        f"/api/v1/idps/0oamissing0000000000/users/{BOB}", json={"externalId": "x"}
    )
    assert response.status_code == 404
    assert response.json()["errorSummary"].endswith("(IdpAppInstance)")
    no_user = await api.post(
        f"/api/v1/idps/{IDP}/users/00umissing0000000000", json={"externalId": "x"}
    )
    assert no_user.json()["errorSummary"].endswith("(User)")
    # recorded (idps-delete-404.json #4): GET of a missing IdP names IdpTrust
    assert (
        (await api.get("/api/v1/idps/0oamissing0000000000"))
        .json()["errorSummary"]
        .endswith("(IdpTrust)")
    )


@pytest.mark.parametrize("body", [{}, {"externalId": ""}, {"externalId": "x" * 513}])
async def test_external_id_is_validated(api: httpx.AsyncClient, body: dict[str, str]) -> None:
    response = await api.post(f"/api/v1/idps/{IDP}/users/{BOB}", json=body)
    assert (response.status_code, response.json()["errorCode"]) == (400, "E0000001")


async def test_link_list_pages(api: httpx.AsyncClient) -> None:
    for index in range(25):
        user = (
            await api.post("/api/v1/users", json={"profile": profile(f"u{index}@partner.example")})
        ).json()
        await api.post(
            f"/api/v1/idps/{IDP}/users/{user['id']}", json={"externalId": f"auth0|{index}"}
        )
    first = await api.get(f"/api/v1/idps/{IDP}/users")
    assert len(first.json()) == 20 and rels(first) == ["self", "next"]
    url = next_url(first)
    assert url is not None
    second = await api.get(url)
    assert len(second.json()) == 5 and rels(second) == ["self"]


async def test_permanent_delete_removes_the_link(api: httpx.AsyncClient) -> None:
    await api.post(f"/api/v1/idps/{IDP}/users/{BOB}", json={"externalId": "auth0|1"})
    await api.delete(f"/api/v1/users/{BOB}")
    await api.delete(f"/api/v1/users/{BOB}")
    assert (await api.get(f"/api/v1/idps/{IDP}/users")).json() == []
