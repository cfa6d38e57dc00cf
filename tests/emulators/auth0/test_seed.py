"""Seed validation: every bad entry raises ValueError naming it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from spokesync.emulators.auth0 import create_app
from tests.emulators.auth0.conftest import seed_with


@pytest.mark.parametrize(
    ("seed", "named"),
    [
        ({"clients": [{"client_secret": "s"}]}, "auth0.clients[0]"),
        ({"clients": [{"client_id": "c"}]}, "auth0.clients[0] (c)"),
        ({"clients": [{"client_id": "c", "public_key_pem": "nope"}]}, "public_key_pem"),
        ({"clients": [{"client_id": "c", "client_secret": "s", "scopes": "read:users"}]}, "scopes"),
        ({"roles": [{"id": "rol_1"}]}, "auth0.roles[0]"),
        ({"roles": [{"name": "A"}, {"name": "A"}]}, "auth0.roles[1] (A)"),
        (
            {"users": [{"user_id": "auth0|1", "roles": ["Nope"]}]},
            "auth0.users[0] (auth0|1): unknown role 'Nope'",
        ),
        ({"users": [{"user_id": "auth0|1"}, {"user_id": "auth0|1"}]}, "auth0.users[1] (auth0|1)"),
        ({"users": [{"email": 3}]}, "auth0.users[0]"),
        ({"users": [{"blocked": "no"}]}, "blocked"),
        ({"users": {}}, "auth0.users"),
        ({"users": [{"created_at": "last week"}]}, "auth0.users[0]: created_at must be an ISO"),
        ({"users": [{"updated_at": "2023-01-25"}]}, "updated_at must be an ISO 8601 date-time"),
        ({"users": [{"created_at": "2023-01-25T19:00:26"}]}, "with a zone"),
        (
            {
                "users": [
                    {"created_at": "2023-01-25T19:00:00Z", "updated_at": "2023-01-24T19:00:00Z"}
                ]
            },
            "updated_at is before created_at",
        ),
        ({"groups": []}, "groups"),
    ],
)
def test_bad_seed_entries_are_named(seed: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=re.escape(named)):
        create_app(seed)


def test_secrets_stay_out_of_errors_and_reprs() -> None:
    app = create_app(seed_with())
    client = app.state.auth0.tokens.clients["admin"]
    assert "admin-secret" not in repr(client)


def test_roles_by_name_or_id_and_generated_ids() -> None:
    app = create_app(
        {
            "roles": [{"name": "A"}],
            "users": [{"email": "x@y.example", "roles": ["A"]}],
        }
    )
    tenant = app.state.auth0.tenant
    (role,) = tenant.roles.values()
    assert role.id.startswith("rol_") and len(role.id) == 20
    (user,) = tenant.users.values()
    assert user["user_id"].startswith("auth0|") and len(user["user_id"]) == 30
    assert tenant.member_count(role.id) == 1


def test_users_can_start_days_old() -> None:
    """DESIGN "Emulators, additions": seeded ``created_at``/``updated_at`` are kept as given."""
    app = create_app(
        {
            "users": [
                {
                    "user_id": "auth0|old",
                    "created_at": "2023-01-01T00:00:00.000Z",
                    "updated_at": "2023-01-10T10:00:00.000Z",
                },
                {"user_id": "auth0|touched", "updated_at": "2023-02-01T00:00:00.000Z"},
                {"user_id": "auth0|new"},
            ]
        }
    )
    users = app.state.auth0.tenant.users
    assert users["auth0|old"]["created_at"] == "2023-01-01T00:00:00.000Z"
    assert users["auth0|old"]["updated_at"] == "2023-01-10T10:00:00.000Z"
    # without created_at, a user is no younger than its last update
    assert users["auth0|touched"]["created_at"] == "2023-02-01T00:00:00.000Z"
    new = users["auth0|new"]
    assert new["created_at"] == new["updated_at"] <= app.state.auth0.clock.iso()
    assert new["created_at"] > users["auth0|touched"]["created_at"]
