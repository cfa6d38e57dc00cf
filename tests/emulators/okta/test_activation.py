"""Users of an IdP, the emails a real org would send, and user types.

Sources, in the order followed: the official spec (``createUser`` "User creation scenarios"
and ``create-user-with-authentication-provider-*`` examples, ``AuthenticationProviderType``,
``resetPassword`` responses, tag UserType and ``ListsAllUserTypes``), then the legacy users
reference quoted in reference/okta-api.md §1 and §5 ("The user is emailed a one-time
activation token if activated without a password"; ``sendEmail`` of each lifecycle call).
No recording shows a federated user or an email count.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spokesync.emulators.okta import create_app
from tests.emulators.okta.support import FakeClock, client, profile, seed

pytestmark = pytest.mark.anyio

FEDERATED = {"provider": {"type": "FEDERATION", "name": "FEDERATION"}}
PARTNER_TYPE = "otyPartner0000000001"


async def create(
    api: httpx.AsyncClient, query: str, login: str = "ann@partner.example", **body: Any
) -> dict[str, Any]:
    response = await api.post(f"/api/v1/users?{query}", json={"profile": profile(login), **body})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def emails(api: httpx.AsyncClient) -> dict[str, int]:
    return dict((await api.get("/_emulator/stats")).json()["emails"])


async def test_a_user_created_with_the_federation_provider_is_active_without_email(
    api: httpx.AsyncClient,
) -> None:
    user = await create(api, "activate=true&provider=true", credentials=FEDERATED)
    assert user["status"] == "ACTIVE" and user["activated"] is not None
    assert user["credentials"]["provider"] == {"type": "FEDERATION", "name": "FEDERATION"}
    assert "password" not in user["credentials"]
    assert await emails(api) == {"activation": 0, "password_reset": 0, "deactivation": 0}


async def test_a_user_created_without_credentials_is_mailed_an_activation_link(
    api: httpx.AsyncClient,
) -> None:
    provisioned = await create(api, "activate=true")
    staged = await create(api, "activate=false", "cy@partner.example")
    assert (provisioned["status"], staged["status"]) == ("PROVISIONED", "STAGED")
    assert (await emails(api))["activation"] == 1


async def test_a_federated_user_cannot_be_sent_a_reset_or_activation_email(
    api: httpx.AsyncClient,
) -> None:
    user_id = (await create(api, "activate=true&provider=true", credentials=FEDERATED))["id"]
    reset = await api.post(f"/api/v1/users/{user_id}/lifecycle/reset_password?sendEmail=true")
    assert reset.status_code == 403 and reset.json()["errorCode"] == "E0000006"
    activate = await api.post(f"/api/v1/users/{user_id}/lifecycle/activate?sendEmail=true")
    assert activate.status_code == 403 and activate.json()["errorCode"] == "E0000016"
    reactivate = await api.post(f"/api/v1/users/{user_id}/lifecycle/reactivate?sendEmail=true")
    assert reactivate.status_code == 403 and reactivate.json()["errorCode"] == "E0000038"
    assert (await emails(api))["activation"] == 0 and (await emails(api))["password_reset"] == 0
    assert (await api.get(f"/api/v1/users/{user_id}")).json()["status"] == "ACTIVE"


async def test_a_staged_federated_user_activates_to_active_without_email(
    api: httpx.AsyncClient,
) -> None:
    user = await create(api, "activate=false&provider=true", credentials=FEDERATED)
    assert user["status"] == "STAGED"
    response = await api.post(f"/api/v1/users/{user['id']}/lifecycle/activate?sendEmail=true")
    assert response.status_code == 200
    assert (await api.get(f"/api/v1/users/{user['id']}")).json()["status"] == "ACTIVE"
    assert (await emails(api))["activation"] == 0


async def test_lifecycle_emails_follow_send_email(api: httpx.AsyncClient) -> None:
    user_id = (await create(api, "activate=false"))["id"]
    await api.post(f"/api/v1/users/{user_id}/lifecycle/activate?sendEmail=false")
    await api.post(f"/api/v1/users/{user_id}/lifecycle/reactivate?sendEmail=true")
    reset = await api.post(f"/api/v1/users/{user_id}/lifecycle/reset_password?sendEmail=true")
    assert reset.status_code == 200 and reset.json() == {}
    assert (await api.get(f"/api/v1/users/{user_id}")).json()["status"] == "RECOVERY"
    link = await api.post(f"/api/v1/users/{user_id}/lifecycle/reset_password?sendEmail=false")
    assert set(link.json()) == {"resetPasswordUrl"}
    await api.post(f"/api/v1/users/{user_id}/lifecycle/deactivate?sendEmail=true")
    assert await emails(api) == {"activation": 1, "password_reset": 1, "deactivation": 1}


async def test_reset_password_with_provider_converts_to_federated(api: httpx.AsyncClient) -> None:
    user_id = (await create(api, "activate=true", credentials={"password": {"value": "x-Y-1"}}))[
        "id"
    ]
    path = f"/api/v1/users/{user_id}/lifecycle/reset_password"
    response = await api.post(f"{path}?provider=FEDERATION&sendEmail=false")
    assert response.status_code == 200 and response.json() == {}
    user = (await api.get(f"/api/v1/users/{user_id}")).json()
    assert user["credentials"]["provider"]["type"] == "FEDERATION"
    assert "password" not in user["credentials"]


async def test_the_stats_reset_zeroes_the_emails(api: httpx.AsyncClient) -> None:
    await create(api, "activate=true")
    await api.post("/_emulator/stats/reset")
    assert await emails(api) == {"activation": 0, "password_reset": 0, "deactivation": 0}


async def test_user_types_are_listed_with_the_default_and_recorded_on_create() -> None:
    app = create_app(
        seed(user_types=[{"id": PARTNER_TYPE, "name": "Partner", "displayName": "Partners"}]),
        clock=FakeClock(),
    )
    async with client(app) as api:
        types = (await api.get("/api/v1/meta/types/user")).json()
        assert [(t["name"], t["default"]) for t in types] == [("user", True), ("Partner", False)]
        default = (await api.get("/api/v1/meta/types/user/default")).json()
        assert default["name"] == "user"
        user = await create(api, "activate=false", type={"id": PARTNER_TYPE})
        assert user["type"] == {"id": PARTNER_TYPE}
        assert user["_links"]["type"]["href"].endswith(f"/api/v1/meta/types/user/{PARTNER_TYPE}")
        found = (await api.get(f'/api/v1/users?search=type.id eq "{PARTNER_TYPE}"')).json()
        assert [u["id"] for u in found] == [user["id"]]
        body = {"profile": profile("cy@partner.example"), "type": {"id": "otyNoSuchType0000001"}}
        unknown = await api.post("/api/v1/users", json=body)
        assert unknown.status_code == 404 and unknown.json()["errorCode"] == "E0000007"


def test_a_seeded_user_type_needs_a_valid_unique_name() -> None:
    with pytest.raises(ValueError, match=r"user_types\[0\]\.name"):
        create_app(seed(user_types=[{"name": "has space"}]), clock=FakeClock())
    with pytest.raises(ValueError, match="duplicate user type name"):
        create_app(seed(user_types=[{"name": "User"}]), clock=FakeClock())
