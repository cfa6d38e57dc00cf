"""Call economy, counted by the emulators (``/_emulator/stats``): a run spends the calls its
situation needs and no others. Exact counts, so a wasted call anywhere fails a test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.world_kit import GROUP, World, auth0_user, seed

WorldFactory = Callable[..., World]

#: profiles last changed a day ago, as in a tenant in use (a fresh seed would be "changed now")
YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
#: enough Okta budget that no test waits for a rate-limit window (budgets have their own tests)
FAST_OKTA = {"okta_rate_limit": 100_000}


def member(n: int) -> dict[str, Any]:
    return auth0_user(n, created_at=YESTERDAY, updated_at=YESTERDAY)


def okta_twin(n: int) -> dict[str, Any]:
    """The Okta user a sync would make for ``member(n)``, already in the bound group."""
    login = f"user{n}@partner.example"
    return {
        "id": f"00uTwin{n:013d}",
        "status": "ACTIVE",
        "profile": {
            "login": login,
            "email": login,
            "firstName": f"User{n}",
            "lastName": "Partner",
        },
        "groups": [GROUP],
    }


def in_sync_world(world_factory: WorldFactory, n: int) -> World:
    """``n`` role members whose Okta twins are in the group, linked by a first sync."""
    world = world_factory(
        seed([member(i) for i in range(1, n + 1)], [okta_twin(i) for i in range(1, n + 1)]),
        **FAST_OKTA,
    )
    first = world.sync()
    assert first["summary"]["linked"] == n
    assert first["summary"]["planned_actions"] == n  # links only: no update, no group call
    world.reset_stats()
    return world


def requests(world: World, service: str) -> dict[str, int]:
    return {k: int(v) for k, v in world.stats(service)["requests"].items()}


def test_unchanged_rerun_over_2500_members_spends_only_the_page_calls(
    world_factory: WorldFactory,
) -> None:
    n = 2500
    world = in_sync_world(world_factory, n)
    out = world.sync()
    assert out["actions"] == []
    assert requests(world, "auth0") == {
        "POST /oauth/token": 1,
        "GET /api/v2/roles": 1,  # the role named in the config, resolved to its id
        "GET /api/v2/roles/{id}/users": math.ceil(n / 100),
        "GET /api/v2/users": 1,  # one search: profiles changed since the last run (none)
    }
    assert requests(world, "okta") == {
        "GET /api/v1/groups": 1,  # the group named in the config, resolved to its id
        "GET /api/v1/groups/{groupId}/users": math.ceil(n / 200),
    }
    assert set(world.stats("okta")["statuses"]) == {"200"}


def test_first_run_creates_each_member_with_its_group_in_one_call(
    world_factory: WorldFactory,
) -> None:
    n = 120
    world = world_factory(seed([member(i) for i in range(1, n + 1)]), **FAST_OKTA)
    out = world.sync()
    assert out["summary"]["created"] == n
    okta = requests(world, "okta")
    assert okta.pop("POST /api/v1/users") == n
    searches = okta.pop("GET /api/v1/users")  # batched login searches, not one per member
    assert 1 <= searches <= math.ceil(n / 20)
    # No membership call, no per-user read: the group went in the create body.
    assert okta == {"GET /api/v1/groups": 1, "GET /api/v1/groups/{groupId}/users": 1}
    auth0 = requests(world, "auth0")
    # Below the export threshold the new profiles come from batched user_id searches.
    assert auth0["GET /api/v2/users"] == math.ceil(n / 100)
    assert "GET /api/v2/users/{id}" not in auth0
    assert len(world.okta().members()) == n


def test_first_run_of_300_reads_their_profiles_in_at_most_15_calls(
    world_factory: WorldFactory,
) -> None:
    n = 300
    world = world_factory(seed([member(i) for i in range(1, n + 1)]), **FAST_OKTA)
    out = world.plan()
    assert out["summary"]["created"] == n
    auth0 = requests(world, "auth0")
    profile_reads = auth0.get("GET /api/v2/users", 0) + auth0.get("GET /api/v2/users/{id}", 0)
    assert profile_reads <= 15  # one GET each made 300
    assert set(world.stats("auth0")["statuses"]) == {"200"}


def test_members_missing_from_the_lagging_search_index_are_read_one_by_one(
    world_factory: WorldFactory,
) -> None:
    n, fresh = 150, 4
    # Users created or changed through the API stay out of search for an hour.
    world = world_factory(
        seed([member(i) for i in range(1, n + 1)]), auth0_search_index_delay=3600, **FAST_OKTA
    )
    admin = world.auth0()
    for i in range(n + 1, n + fresh + 1):
        body = auth0_user(i)
        body.pop("roles")
        body.pop("user_id")
        admin.assign(admin.create(body)["user_id"])
    out = world.sync()
    assert out["summary"]["created"] == n + fresh
    auth0 = requests(world, "auth0")
    assert auth0["GET /api/v2/users/{id}"] == fresh  # none lost, and only those
    members = world.okta().members()
    assert len(members) == n + fresh
    assert f"user{n + fresh}@partner.example" in members


def test_first_run_above_the_export_threshold_reads_no_profile_one_by_one(
    world_factory: WorldFactory,
) -> None:
    n = 60
    world = world_factory(seed([member(i) for i in range(1, n + 1)]), **FAST_OKTA)
    world.write_config(extra="")
    text = world.config_path.read_text(encoding="utf-8")
    world.config_path.write_text(
        text.replace(
            'client_secret = "${TEST_AUTH0_SECRET}"\n',
            'client_secret = "${TEST_AUTH0_SECRET}"\nexport_threshold = 10\n',
        ),
        encoding="utf-8",
    )
    out = world.sync()
    assert out["summary"]["created"] == n
    auth0 = requests(world, "auth0")
    assert "GET /api/v2/users/{id}" not in auth0
    assert auth0["POST /api/v2/jobs/users-exports"] == 1
    okta = requests(world, "okta")
    assert okta["POST /api/v1/users"] == n
    assert "PUT /api/v1/groups/{groupId}/users/{userId}" not in okta
    assert "GET /api/v1/users/{id}" not in okta


def test_rerun_after_k_profile_edits_makes_k_updates_found_by_one_search(
    world_factory: WorldFactory,
) -> None:
    n, k = 150, 7
    world = in_sync_world(world_factory, n)
    admin = world.auth0()
    for i in range(1, k + 1):
        admin.patch(f"auth0|u{i:05d}", {"user_metadata": {"lastName": f"Edited{i}"}})
    world.reset_stats()
    out = world.sync()
    assert out["summary"]["updated"] == k
    assert out["summary"]["planned_actions"] == k
    auth0 = requests(world, "auth0")
    assert "GET /api/v2/users/{id}" not in auth0  # the search brought the changed profiles
    assert auth0["GET /api/v2/users"] == 1
    assert requests(world, "okta") == {
        "GET /api/v1/groups": 1,
        "GET /api/v1/groups/{groupId}/users": math.ceil(n / 200),
        "POST /api/v1/users/{id}": k,
    }
    assert world.okta().members()["user1@partner.example"]["profile"]["lastName"] == "Edited1"


def cached_digests(world: World) -> dict[str | None, int]:
    """How many cached profiles carry a mapped result under each rules digest."""
    import sqlite3

    with sqlite3.connect(world.db_path) as db:
        rows = db.execute("SELECT rules_digest, COUNT(*) FROM source_profiles GROUP BY 1")
        return {digest: count for digest, count in rows}


def test_editing_the_mapping_maps_cached_profiles_again_without_reading_auth0(
    world_factory: WorldFactory,
) -> None:
    """Unchanged members are planned from the mapped results cached under the rules' digest;
    a new rule maps the cached profiles again (no per-user Auth0 read) and updates Okta."""
    n = 30
    world = in_sync_world(world_factory, n)
    (first_digest,) = cached_digests(world)
    assert first_digest is not None and cached_digests(world) == {first_digest: n}

    world.write_config('[mapping]\nfirstName = ["given_name|upper"]\n')
    out = world.sync()
    assert {a["action"] for a in out["actions"]} == {"update_profile"}
    assert len(out["actions"]) == n
    assert "GET /api/v2/users/{id}" not in requests(world, "auth0")
    assert world.okta().user("user7@partner.example")["profile"]["firstName"] == "USER7"
    (new_digest,) = cached_digests(world)
    assert new_digest != first_digest and cached_digests(world) == {new_digest: n}

    world.reset_stats()
    assert world.sync()["actions"] == []
    assert "GET /api/v2/users/{id}" not in requests(world, "auth0")
