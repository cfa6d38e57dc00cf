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
