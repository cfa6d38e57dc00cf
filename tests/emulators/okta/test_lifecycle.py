"""Lifecycle transitions and the errors for illegal ones (reference §5, recordings)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulators.okta.support import profile

pytestmark = pytest.mark.anyio

PASSWORD = {"password": {"value": "Sup3r-secret!"}}


async def new_user(api: httpx.AsyncClient, query: str, credentials: Any = None) -> str:
    body: dict[str, Any] = {"profile": profile("ann@partner.example")}
    if credentials:
        body["credentials"] = credentials
    response = await api.post(f"/api/v1/users?{query}", json=body)
    assert response.status_code == 200
    return str(response.json()["id"])


async def status_of(api: httpx.AsyncClient, user_id: str) -> str:
    return str((await api.get(f"/api/v1/users/{user_id}")).json()["status"])


async def lifecycle(api: httpx.AsyncClient, user_id: str, action: str) -> httpx.Response:
    return await api.post(f"/api/v1/users/{user_id}/lifecycle/{action}")


@pytest.mark.parametrize(
    ("credentials", "after_activation"), [(None, "PROVISIONED"), (PASSWORD, "ACTIVE")]
)
async def test_activate_staged_user(
    api: httpx.AsyncClient, credentials: Any, after_activation: str
) -> None:
    user_id = await new_user(api, "activate=false", credentials)
    # recorded: .../lifecycle/activate/?sendEmail=False (trailing slash, capital F)
    response = await api.post(f"/api/v1/users/{user_id}/lifecycle/activate/?sendEmail=False")
    assert response.status_code == 200
    assert set(response.json()) == {"activationUrl", "activationToken"}
    assert await status_of(api, user_id) == after_activation  # complete at once


async def test_activate_with_email_answers_empty_object(api: httpx.AsyncClient) -> None:
    """Recorded: okta/terraform/users-update-all-attributes.json #2, ``activate`` with no query
    answered 200 ``{}``; the reference notes' UserActivationToken answer is only that of
    ``sendEmail=false`` (okta/users-activate.json #1). Followed: the recording."""
    user_id = await new_user(api, "activate=false")
    response = await lifecycle(api, user_id, "activate")
    assert response.json() == {}


async def test_activate_an_active_user_is_e0000016(api: httpx.AsyncClient) -> None:
    user_id = await new_user(api, "activate=true", PASSWORD)
    response = await lifecycle(api, user_id, "activate")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "E0000016"


async def test_deactivate_answers_200_empty_object_and_keeps_memberships(
    api: httpx.AsyncClient,
) -> None:
    user_id = await new_user(api, "activate=true")
    await api.put(f"/api/v1/groups/00gsales0000000000001/users/{user_id}")
    response = await lifecycle(api, user_id, "deactivate")
    assert (response.status_code, response.json()) == (200, {})
    assert await status_of(api, user_id) == "DEPROVISIONED"
    members = (await api.get("/api/v1/groups/00gsales0000000000001/users")).json()
    assert user_id in [m["id"] for m in members]
    again = await lifecycle(api, user_id, "deactivate")
    assert (again.status_code, again.json()["errorCode"]) == (403, "E0000038")


async def test_deprovisioned_user_can_be_activated_again(api: httpx.AsyncClient) -> None:
    user_id = await new_user(api, "activate=true", PASSWORD)
    await lifecycle(api, user_id, "deactivate")
    assert (await lifecycle(api, user_id, "activate")).status_code == 200
    assert await status_of(api, user_id) == "ACTIVE"


async def test_reactivate_only_from_provisioned(api: httpx.AsyncClient) -> None:
    staged = await new_user(api, "activate=false", PASSWORD)
    refused = await api.post(f"/api/v1/users/{staged}/lifecycle/reactivate?sendEmail=false")
    # recorded (users-reactivate-403.json #1)
    assert refused.status_code == 403
    assert refused.json()["errorSummary"] == (
        "This operation is not allowed in the user's current status."
    )
    await api.delete(f"/api/v1/users/{staged}")
    await api.delete(f"/api/v1/users/{staged}")
    provisioned = await new_user(api, "activate=true")
    response = await api.post(f"/api/v1/users/{provisioned}/lifecycle/reactivate")
    assert response.status_code == 200
    assert "activationToken" in response.json()  # sendEmail defaults to false here
    assert await status_of(api, provisioned) == "PROVISIONED"


async def test_suspend_and_unsuspend(api: httpx.AsyncClient) -> None:
    user_id = await new_user(api, "activate=true", PASSWORD)
    assert (await lifecycle(api, user_id, "suspend")).json() == {}
    assert await status_of(api, user_id) == "SUSPENDED"
    again = await lifecycle(api, user_id, "suspend")
    assert (again.status_code, again.json()["errorCode"]) == (400, "E0000001")
    assert (await lifecycle(api, user_id, "unsuspend")).json() == {}
    assert await status_of(api, user_id) == "ACTIVE"
    again = await lifecycle(api, user_id, "unsuspend")
    assert (again.status_code, again.json()["errorCode"]) == (400, "E0000001")


async def test_suspend_a_provisioned_user_is_refused(api: httpx.AsyncClient) -> None:
    user_id = await new_user(api, "activate=true")
    assert (await lifecycle(api, user_id, "suspend")).status_code == 400


async def test_lifecycle_of_unknown_user_is_404(api: httpx.AsyncClient) -> None:
    response = await lifecycle(api, "00unknown00000000000", "deactivate")
    assert response.status_code == 404
    assert response.json()["errorSummary"].endswith("(User)")


async def test_status_changes_move_status_changed(api: httpx.AsyncClient, clock: Any) -> None:
    user_id = await new_user(api, "activate=true", PASSWORD)
    before = (await api.get(f"/api/v1/users/{user_id}")).json()
    clock.advance(10)
    await lifecycle(api, user_id, "suspend")
    after = (await api.get(f"/api/v1/users/{user_id}")).json()
    assert after["statusChanged"] > before["statusChanged"]
    assert after["activated"] == before["activated"]
    assert "unsuspend" in after["_links"] and "suspend" not in after["_links"]
