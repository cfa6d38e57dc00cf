"""OktaClient against the Okta emulator through httpx.ASGITransport (no sockets)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spokesync.emulators.okta import create_app
from spokesync.http.errors import AuthError, LoginTaken, StateConflict
from spokesync.okta.client import OktaClient

ORG = "http://127.0.0.1:8802"
SEED: dict[str, Any] = {
    "api_tokens": ["t1"],
    "groups": [{"id": "00gA1", "name": "Salesforce Users"}],
    "users": [
        {
            "id": "00uB2",
            "status": "ACTIVE",
            "profile": {
                "login": "bob@hub.example",
                "email": "bob@hub.example",
                "firstName": "Bob",
                "lastName": "Ray",
            },
            "groups": ["00gA1"],
        }
    ],
}


def client(token: str = "t1") -> OktaClient:
    return OktaClient(ORG, token, transport=httpx.ASGITransport(app=create_app(SEED)))


async def members(c: OktaClient, group_id: str) -> dict[str, str]:
    out: dict[str, str] = {}
    async for page in c.group_members(group_id):
        out.update({u.login: u.id for u in page})
    return out


@pytest.mark.anyio
async def test_create_with_group_then_member_then_lifecycle() -> None:
    async with client() as c:
        group = await c.find_group("Salesforce Users")
        profile = {
            "login": "ann@partner.example",
            "email": "ann@partner.example",
            "firstName": "Ann",
            "lastName": "Lee",
        }
        ann = await c.create_user(profile, [group.id], provider="FEDERATION")
        assert (ann.login, ann.status) == ("ann@partner.example", "ACTIVE")
        assert (await members(c, group.id)) == {
            "bob@hub.example": "00uB2",
            "ann@partner.example": ann.id,
        }
        found = await c.find_users_by_login(
            ["ANN@partner.example", "bob@hub.example", "nobody@x.example"]
        )
        assert {u.id for u in found} == {ann.id, "00uB2"}
        updated = await c.update_profile(ann.id, {"firstName": "Anne"})
        assert updated.profile["firstName"] == "Anne" and updated.profile["lastName"] == "Lee"
        await c.remove_from_group(group.id, ann.id)
        assert "ann@partner.example" not in await members(c, group.id)
        await c.suspend(ann.id)
        fetched = await c.get_user("ann@partner.example")
        assert fetched is not None and fetched.status == "SUSPENDED"
        await c.unsuspend(ann.id)
        await c.deactivate(ann.id)
        await c.delete_user(ann.id)
        assert await c.get_user(ann.id) is None


@pytest.mark.anyio
async def test_suspend_in_wrong_status_is_state_conflict() -> None:
    async with client() as c:
        profile = {
            "login": "cy@partner.example",
            "email": "cy@partner.example",
            "firstName": "C",
            "lastName": "Y",
        }
        cy = await c.create_user(profile, [], activate=False)
        assert cy.status == "STAGED"
        with pytest.raises(StateConflict):
            await c.suspend(cy.id)


@pytest.mark.anyio
async def test_duplicate_login_other_case_is_login_taken() -> None:
    async with client() as c:
        profile = {
            "login": "BOB@hub.example",
            "email": "bob2@hub.example",
            "firstName": "B",
            "lastName": "R",
        }
        with pytest.raises(LoginTaken):
            await c.create_user(profile, ["00gA1"])


@pytest.mark.anyio
async def test_bad_token() -> None:
    async with client("wrong-token") as c:
        with pytest.raises(AuthError) as info:
            await c.find_group("00gA1")
    assert "wrong-token" not in str(info.value)
