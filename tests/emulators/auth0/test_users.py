"""Users: get, create, patch merge rules, delete, users-by-email and blocks."""

from __future__ import annotations

import re

import pytest

from tests.emulators.auth0.conftest import Emulator

pytestmark = pytest.mark.anyio

ISO_MILLIS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


async def test_get_user_with_percent_encoded_id(emulator: Emulator) -> None:
    response = await emulator.client.get("/api/v2/users/auth0%7Cann")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    user = response.json()
    assert user["user_id"] == "auth0|ann"
    assert user["identities"] == [
        {
            "connection": "Username-Password-Authentication",
            "user_id": "ann",
            "provider": "auth0",
            "isSocial": False,
        }
    ]
    assert "blocked" not in user  # absent fields are omitted, not null
    assert None not in user.values()


async def test_get_user_fields_selection(emulator: Emulator) -> None:
    client = emulator.client
    chosen = (
        await client.get("/api/v2/users/auth0%7Cann", params={"fields": "user_id,email"})
    ).json()
    assert chosen == {"user_id": "auth0|ann", "email": "Ann@Partner.example"}
    without = (
        await client.get(
            "/api/v2/users/auth0%7Cann", params={"fields": "identities", "include_fields": "false"}
        )
    ).json()
    assert "identities" not in without and "email" in without


async def test_unknown_user_is_404_inexistent_user(emulator: Emulator) -> None:
    response = await emulator.client.get("/api/v2/users/auth0%7Cnope")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "The user does not exist.",
        "errorCode": "inexistent_user",
    }


async def test_create_user_defaults(emulator: Emulator) -> None:
    response = await emulator.client.post(
        "/api/v2/users",
        json={
            "connection": "Username-Password-Authentication",
            "email": "dan@x.example",
            "username": "dan",
            "password": "pw",
        },
    )
    assert response.status_code == 201
    user = response.json()
    assert re.fullmatch(r"auth0\|[0-9a-f]{24}", user["user_id"])
    assert user["name"] == "dan@x.example" and user["nickname"] == "dan"
    assert user["email_verified"] is False
    assert user["picture"].startswith("https://s.gravatar.com/avatar/")
    assert ISO_MILLIS.match(user["created_at"]) and user["updated_at"] == user["created_at"]
    assert "password" not in user and "blocked" not in user
    chosen = await emulator.client.post(
        "/api/v2/users",
        json={
            "connection": "Username-Password-Authentication",
            "email": "eve@x.example",
            "user_id": "eve",
        },
    )
    assert chosen.json()["user_id"] == "auth0|eve"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "f@x.example"}, 400),
        ({"connection": "Nope", "email": "f@x.example"}, 400),
        (
            {"connection": "Username-Password-Authentication", "email": "f@x.example", "roles": []},
            400,
        ),
        ({"connection": "Username-Password-Authentication", "email": 5}, 400),
        ({"connection": "Username-Password-Authentication", "email": "bob@partner.example"}, 409),
    ],
)
async def test_create_user_errors(emulator: Emulator, body: dict[str, object], status: int) -> None:
    response = await emulator.client.post("/api/v2/users", json=body)
    assert response.status_code == status
    assert response.json()["statusCode"] == status


async def test_patch_merges_metadata_and_bumps_updated_at(emulator: Emulator) -> None:
    client = emulator.client
    path = "/api/v2/users/auth0%7Cann"
    emulator.clock.advance(5)
    patched = (
        await client.patch(
            path,
            json={
                "user_metadata": {"team": None, "lastName": "Lee"},
                "app_metadata": {"region": "eu"},
            },
        )
    ).json()
    # key by key; null removes (users-patch-metadata.json #6)
    assert patched["user_metadata"] == {"firstName": "Ann", "lastName": "Lee"}
    assert patched["app_metadata"] == {"tier": "gold", "region": "eu"}
    assert (
        ISO_MILLIS.match(patched["updated_at"])
        and patched["updated_at"] > "2023-01-10T10:00:00.000Z"
    )
    cleared = (await client.patch(path, json={"user_metadata": {}, "app_metadata": {}})).json()
    # app_metadata {} disappears, user_metadata {} stays (users-patch-metadata.json #8)
    assert cleared["user_metadata"] == {} and "app_metadata" not in cleared
    assert (await client.get(path)).json() == cleared


async def test_patch_profile_fields_block_and_password(emulator: Emulator) -> None:
    client = emulator.client
    path = "/api/v2/users/auth0%7Cann"
    patched = (
        await client.patch(
            path,
            json={
                "blocked": True,
                "email": "ann@new.example",
                "given_name": None,
                "password": "x",
                "connection": "c",
            },
        )
    ).json()
    assert patched["blocked"] is True and patched["email"] == "ann@new.example"
    assert "given_name" not in patched and "password" not in patched
    assert ISO_MILLIS.match(patched["last_password_reset"])
    assert (
        await client.get("/api/v2/users-by-email", params={"email": "ANN@new.example"})
    ).json() == [patched]
    assert (
        await client.get("/api/v2/users-by-email", params={"email": "Ann@Partner.example"})
    ).json() == []
    taken = await client.patch(path, json={"email": "bob@partner.example"})
    assert taken.status_code == 409
    bad = await client.patch(path, json={"blocked": "yes"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "invalid_body"
    malformed = await client.patch(
        path, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["errorCode"] == "invalid_body"
    assert (await client.patch("/api/v2/users/auth0%7Cnope", json={})).status_code == 404


async def test_delete_twice_is_204_and_removes_role_assignments(emulator: Emulator) -> None:
    client = emulator.client
    for _ in range(2):
        response = await client.delete("/api/v2/users/auth0%7Cann")
        assert response.status_code == 204 and response.content == b""
        assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert (await client.get("/api/v2/users/auth0%7Cann")).status_code == 404
    members = (await client.get("/api/v2/roles/rol_A1/users")).json()
    assert [m["user_id"] for m in members] == ["auth0|bob"]


async def test_users_by_email_is_a_bare_array_ignoring_case(emulator: Emulator) -> None:
    found = (
        await emulator.client.get("/api/v2/users-by-email", params={"email": "ann@partner.EXAMPLE"})
    ).json()
    assert [user["user_id"] for user in found] == ["auth0|ann"]
    assert (await emulator.client.get("/api/v2/users-by-email")).status_code == 400


async def test_user_blocks(emulator: Emulator) -> None:
    client = emulator.client
    assert (await client.get("/api/v2/user-blocks/auth0%7Cbob")).json() == {"blocked_for": []}
    assert (await client.delete("/api/v2/user-blocks/auth0%7Cbob")).status_code == 204
    assert (await client.get("/api/v2/user-blocks/auth0%7Cnope")).status_code == 404
