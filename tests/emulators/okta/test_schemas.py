"""A sample of emulator answers validated against the official spec's schemas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulators.okta.spec_schemas import SpecValidators, component_schemas
from tests.emulators.okta.support import profile

pytestmark = pytest.mark.anyio

IDP = "0oaauth0000000000001"
SALES = "00gsales0000000000001"


@pytest.fixture(scope="session")
def spec() -> SpecValidators:
    return SpecValidators(component_schemas())


def check(spec: SpecValidators, name: str, document: Any) -> None:
    assert spec.errors(name, document) == []


def test_validators_reject_what_the_spec_forbids(spec: SpecValidators) -> None:
    assert spec.errors("User", {"status": "HAPPY"})
    assert spec.errors("Error", {"errorCauses": "none"})
    assert spec.errors("Group", {"type": "CUSTOM"})


async def test_user_objects(api: httpx.AsyncClient, spec: SpecValidators) -> None:
    created = await api.post(
        "/api/v1/users?activate=true",
        json={
            "profile": profile("ann@partner.example") | {"nickName": "A"},
            "credentials": {"password": {"value": "Sup3r-secret!"}},
        },
    )
    check(spec, "User", created.json())
    user_id = created.json()["id"]
    await api.post(f"/api/v1/users/{user_id}/lifecycle/suspend")
    check(spec, "User", (await api.get(f"/api/v1/users/{user_id}")).json())
    for listed in (await api.get("/api/v1/users")).json():
        check(spec, "User", listed)
    for member in (await api.get(f"/api/v1/groups/{SALES}/users")).json():
        check(spec, "User", member)
    staged = await api.post(
        "/api/v1/users?activate=false", json={"profile": profile("carl@partner.example")}
    )
    check(spec, "User", staged.json())
    token = await api.post(
        f"/api/v1/users/{staged.json()['id']}/lifecycle/activate?sendEmail=false"
    )
    check(spec, "UserActivationToken", token.json())


async def test_group_objects(api: httpx.AsyncClient, spec: SpecValidators) -> None:
    created = await api.post("/api/v1/groups", json={"profile": {"name": "Partners"}})
    check(spec, "Group", created.json())
    for group in (await api.get("/api/v1/groups?expand=stats")).json():
        check(spec, "Group", group)


async def test_idp_link_objects(api: httpx.AsyncClient, spec: SpecValidators) -> None:
    users = (await api.get("/api/v1/users")).json()
    linked = await api.post(
        f"/api/v1/idps/{IDP}/users/{users[0]['id']}", json={"externalId": "auth0|1"}
    )
    check(spec, "IdentityProviderApplicationUser", linked.json())
    for link in (await api.get(f"/api/v1/idps/{IDP}/users")).json():
        check(spec, "IdentityProviderApplicationUser", link)


async def test_error_objects(api: httpx.AsyncClient, spec: SpecValidators) -> None:
    answers = [
        await api.get("/api/v1/users/nobody@example.com"),
        await api.post("/api/v1/users", json={"profile": {"login": "x"}}),
        await api.post("/api/v1/users", content=b"{", headers={"content-type": "application/json"}),
        await api.get("/api/v1/users", headers={"Authorization": "SSWS wrong"}),
        await api.get("/api/v1/users", params={"filter": "nonsense"}),
    ]
    for answer in answers:
        assert answer.status_code >= 400
        check(spec, "Error", answer.json())
