"""Seed loading: validation naming the bad entry, and speed at 100,000 users."""

from __future__ import annotations

import time
from typing import Any

import pytest

from spokesync.emulators.okta import create_app
from spokesync.emulators.okta.seed import load_seed
from tests.emulators.okta.support import FakeClock, client, profile, seed

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"users": [{"profile": {"email": "x@y.example"}}]}, r"okta.users\[0\]: profile.login"),
        (
            {"users": [{"profile": profile("a@b.example")}, {"profile": profile("A@B.example")}]},
            r"okta.users\[1\]: duplicate login",
        ),
        ({"users": [{"profile": profile("a@b.example"), "groups": ["Nope"]}]}, "unknown group"),
        ({"users": [{"profile": profile("a@b.example"), "status": "HAPPY"}]}, "unknown status"),
        ({"groups": [{"name": "A"}, {"name": "a"}]}, r"okta.groups\[1\]: duplicate group name"),
        ({"groups": [{"name": "A", "type": "BUILT_IN"}]}, r"okta.groups\[0\]: type"),
        ({"oauth_clients": [{"client_id": "c", "scopes": []}]}, r"okta.oauth_clients\[0\]"),
        ({"api_tokens": "t1"}, "okta.api_tokens"),
        ({"userz": []}, "unknown keys"),
    ],
)
def test_bad_seeds_name_the_entry(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_app(seed(**changes))


def test_secrets_stay_out_of_errors_and_reprs() -> None:
    with pytest.raises(ValueError) as caught:
        load_seed({"api_tokens": ["very-secret", ""]}, time.time)
    assert "very-secret" not in str(caught.value)
    org = load_seed(seed(api_tokens=["very-secret"]), time.time)
    assert "very-secret" not in repr(org)


async def test_groups_by_name_or_id_and_generated_ids() -> None:
    app = create_app(
        seed(
            users=[
                {
                    "profile": profile("a@b.example"),
                    "groups": ["00gsales0000000000001", "AD Imported"],
                }
            ]
        )
    )
    async with client(app) as api:
        user = (await api.get("/api/v1/users/a@b.example")).json()
        assert user["id"].startswith("00u") and len(user["id"]) == 20
        assert user["status"] == "ACTIVE"
        groups = (await api.get(f"/api/v1/users/{user['id']}/groups")).json()
        assert {g["profile"]["name"] for g in groups} == {"Everyone", "Sales", "AD Imported"}


async def test_100k_users_load_and_page() -> None:
    # How fast a 100k seed loads and pages is the benchmarks' business (bench/), not a
    # timed assertion here: this checks that a seed that size works end to end.
    users = [
        {"profile": profile(f"user{index:06d}@partner.example"), "groups": ["Sales"]}
        for index in range(100_000)
    ]
    app = create_app(seed(users=users), clock=FakeClock())
    async with client(app) as api:
        response = await api.get(
            "/api/v1/users", params={"filter": 'profile.login eq "user099999@partner.example"'}
        )
        assert len(response.json()) == 1
        page = await api.get("/api/v1/groups/00gsales0000000000001/users?limit=200")
        assert len(page.json()) == 200
        assert 'rel="next"' in page.headers["link"]


async def test_seeded_credentials_shape_the_user() -> None:
    federated = {
        "profile": profile("fed@partner.example"),
        "status": "STAGED",
        "credentials": {
            "provider": {"type": "FEDERATION", "name": "FEDERATION"},
            "recovery_question": {"question": "First pet?"},
        },
    }
    async with client(create_app(seed(users=[federated]))) as api:
        user = (await api.get("/api/v1/users/fed@partner.example")).json()
        assert user["credentials"]["provider"] == {"type": "FEDERATION", "name": "FEDERATION"}
        assert user["credentials"]["recovery_question"] == {"question": "First pet?"}
        await api.post(f"/api/v1/users/{user['id']}/lifecycle/activate")
        # a federated user activates straight to ACTIVE
        assert (await api.get(f"/api/v1/users/{user['id']}")).json()["status"] == "ACTIVE"
