"""Organizations in the Auth0 emulator: the seed, the listings and their paging, members with
their organization roles, the writes and their tenant-log entries, scopes and rate limits.

Each test says what it follows: a recording (tests/reference/recordings/auth0/go/, facts 8-14 of
the recordings README, "Auth0, auth0/ruby/ and auth0/go/"), else the official Management OAS,
else the reference notes or Auth0's published limits. The recordings are also replayed whole by
test_recordings.py (REPLAYED_ORGANIZATIONS).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from spokesync.emulators.auth0 import create_app
from spokesync.emulators.auth0.cursor import decode
from tests import reference
from tests.emulators.auth0.conftest import ALL_SCOPES, Emulator, MakeEmulator, seed_with
from tests.emulators.auth0.shapes import shape_differences
from tests.emulators.auth0.test_logs import _tenant_log_errors

pytestmark = pytest.mark.anyio

USERS = [
    {"user_id": f"auth0|{name}", "email": f"{name}@partner.example", "name": name.title()}
    for name in ("ann", "bob", "cid", "dee", "eve")
]
ROLES = [
    {"id": "rol_A1", "name": "Salesforce"},
    {"id": "rol_Admin00000000001", "name": "Admin", "description": "Partner admins"},
    {"id": "rol_Buyer00000000001", "name": "Buyer"},
]
ORGANIZATIONS: list[dict[str, Any]] = [
    {
        "id": "org_acme000000000001",
        "name": "acme",
        "display_name": "Acme Corp",
        "metadata": {"region": "apac"},
        "members": [
            {"user_id": "auth0|ann", "roles": ["rol_Admin00000000001", "Buyer"]},
            {"user_id": "auth0|bob", "roles": []},
            {"user_id": "auth0|cid"},
        ],
    },
    {
        "id": "org_beta000000000001",
        "name": "beta",
        "display_name": "Beta Ltd",
        "members": [{"user_id": "auth0|ann", "roles": ["Buyer"]}],
    },
    {"name": "gamma", "display_name": "Gamma GmbH"},
]


def _seed(**extra: Any) -> dict[str, Any]:
    seed = seed_with(USERS, roles=ROLES, organizations=ORGANIZATIONS)
    seed.update(extra)
    return seed


@pytest.fixture
async def orgs(make_emulator: MakeEmulator) -> Emulator:
    return await make_emulator(_seed())


async def _get(emulator: Emulator, path: str, **params: str) -> Any:
    response = await emulator.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


# the seed ---------------------------------------------------------------------------------


async def test_seed_generates_ids_in_auth0_format_and_serves_each_organization(
    orgs: Emulator,
) -> None:
    """Recorded bodies (organizations-read.json #1, -read-by-name.json #1): ``id, name,
    display_name`` (and ``branding`` when set); ids are ``org_`` + 16 alphanumerics."""
    listed = await _get(orgs, "/api/v2/organizations")
    assert sorted(org["name"] for org in listed) == ["acme", "beta", "gamma"]
    assert [org["id"] for org in listed] == sorted(org["id"] for org in listed)
    gamma = next(org for org in listed if org["name"] == "gamma")
    assert gamma["id"].startswith("org_") and len(gamma["id"]) == 20 and gamma["id"][4:].isalnum()
    assert gamma == {"id": gamma["id"], "name": "gamma", "display_name": "Gamma GmbH"}
    acme = await _get(orgs, "/api/v2/organizations/org_acme000000000001")
    assert acme == {
        "id": "org_acme000000000001",
        "name": "acme",
        "display_name": "Acme Corp",
        "metadata": {"region": "apac"},
    }
    assert await _get(orgs, "/api/v2/organizations/name/acme") == acme


async def test_unknown_organization_answers_the_recorded_404(orgs: Emulator) -> None:
    """organizations-delete-404.json #2: 404 "No organization found by that id or name", no
    ``errorCode``."""
    expected = {
        "statusCode": 404,
        "error": "Not Found",
        "message": "No organization found by that id or name",
    }
    recorded = reference.interaction("auth0", "go/organizations-delete-404", 2)["response"]
    assert recorded["body"] == expected
    for path in (
        "/api/v2/organizations/org_nope",
        "/api/v2/organizations/name/nope",
        "/api/v2/organizations/org_nope/members",
    ):
        answer = await orgs.client.get(path)
        assert (answer.status_code, answer.json()) == (404, expected), path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"organizations": {}}, "auth0.organizations must be a list"),
        ({"organizations": [{"display_name": "X"}]}, r"auth0.organizations\[0\]: name is required"),
        ({"organizations": [{"name": "Has Space"}]}, r"\[0\]: name must be 1 to 50 lower-case"),
        ({"organizations": [{"name": "a", "id": "acme"}]}, r"\(a\): id must be org_"),
        ({"organizations": [{"name": "a", "colour": "red"}]}, r"\[0\]: unknown key 'colour'"),
        (
            {"organizations": [{"name": "a"}, {"name": "a"}]},
            r"auth0.organizations\[1\] \(a\): duplicate organization name",
        ),
        (
            {"organizations": [{"name": "a", "id": "org_x"}, {"name": "b", "id": "org_x"}]},
            r"\[1\] \(b\): duplicate organization id org_x",
        ),
        ({"organizations": [{"name": "a", "metadata": {"n": 1}}]}, r"metadata key 'n' must be"),
        (
            {"organizations": [{"name": "a", "members": [{"user_id": "auth0|zed"}]}]},
            r"\(a\).members\[0\]: unknown user 'auth0\|zed'; members must be in auth0.users",
        ),
        (
            {"organizations": [{"name": "a", "members": ["auth0|ann"]}]},
            r"\(a\).members\[0\] must be an object with user_id and roles",
        ),
        (
            {
                "organizations": [
                    {"name": "a", "members": [{"user_id": "auth0|ann", "roles": ["x"]}]}
                ]
            },
            r"\(a\).members\[0\] \(auth0\|ann\): unknown role 'x'; use auth0.roles",
        ),
        (
            {
                "organizations": [
                    {"name": "a", "members": [{"user_id": "auth0|ann"}, {"user_id": "auth0|ann"}]}
                ]
            },
            r"\(a\).members\[1\]: auth0\|ann is listed twice",
        ),
    ],
)
def test_seed_errors_name_the_entry_and_the_fix(change: dict[str, Any], message: str) -> None:
    """DESIGN.md "Organizations" seed contract; a bad entry is one clear line."""
    with pytest.raises(ValueError, match=message):
        create_app(seed_with(USERS, roles=ROLES, **change))


def test_seed_refuses_more_than_50_roles_per_member() -> None:
    """Auth0 entity limit policy: 50 role assignments per organization member."""
    roles = [{"id": f"rol_{index:016d}", "name": f"r{index}"} for index in range(51)]
    member = {"user_id": "auth0|ann", "roles": [role["id"] for role in roles]}
    with pytest.raises(ValueError, match="at most 50 roles per organization member"):
        create_app(
            seed_with(USERS, roles=roles, organizations=[{"name": "a", "members": [member]}])
        )


# organizations listing --------------------------------------------------------------------


async def test_organizations_offset_paging_and_totals(orgs: Emulator) -> None:
    """organizations-list.json #1: ``include_totals`` answers ``{organizations, start, limit,
    total}``; without it a bare array (OAS oneOf, as on roles); OAS bounds on per_page."""
    everything = await _get(orgs, "/api/v2/organizations")
    assert len(everything) == 3
    page = await _get(orgs, "/api/v2/organizations", per_page="2", page="1", include_totals="true")
    assert page == {"organizations": everything[2:], "start": 2, "limit": 2, "total": 3}
    by_name = await _get(orgs, "/api/v2/organizations", sort="display_name:-1")
    assert [org["name"] for org in by_name] == ["gamma", "beta", "acme"]
    too_big = await orgs.client.get("/api/v2/organizations", params={"per_page": "101"})
    assert too_big.status_code == 400 and too_big.json()["errorCode"] == "invalid_query_string"


async def test_organizations_checkpoint_paging_as_recorded(orgs: Emulator) -> None:
    """organizations-list-checkpoint.json #3, #4 (fact 10): ``take=2`` over 3 organizations
    gives 2 and a ``next``, then a short page without ``next``; ``include_totals`` and
    ``per_page`` are ignored; the cursor is unpadded base64 of ``"<time>UTC,<id>"``."""
    recorded = reference.interaction("auth0", "go/organizations-list-checkpoint", 3)
    assert recorded["request"]["query"] == "include_totals=true&per_page=50&take=2"
    assert decode(recorded["response"]["body"]["next"]) == "org_Wz2uMwAVQmfRb03I"
    query = {"include_totals": "true", "per_page": "50", "take": "2"}
    first = await _get(orgs, "/api/v2/organizations", **query)
    assert sorted(first) == ["next", "organizations"]
    assert len(first["organizations"]) == 2
    assert "=" not in first["next"]
    padded = first["next"] + "=" * (-len(first["next"]) % 4)
    stamp, _, last = base64.b64decode(padded).decode().partition(",")
    assert stamp.endswith("UTC") and last == first["organizations"][-1]["id"]
    second = await _get(orgs, "/api/v2/organizations", **{**query, "from": first["next"]})
    assert sorted(second) == ["organizations"]
    everything = await _get(orgs, "/api/v2/organizations")
    assert first["organizations"] + second["organizations"] == everything
    bad = await orgs.client.get("/api/v2/organizations", params={"from": "not-a-cursor"})
    assert bad.status_code == 400


# members -----------------------------------------------------------------------------------


async def test_members_checkpoint_paging_as_recorded(orgs: Emulator) -> None:
    """organization-members-checkpoint.json #5-#7 (facts 8, 9): ``take=2`` over 3 members
    gives 2 and a ``next``, then 1 and still a ``next``, then ``{"members": []}`` without
    ``next``; ``include_totals=true`` has no effect; items are ``user_id, email, picture,
    name``."""
    recorded = [
        reference.interaction("auth0", "go/organization-members-checkpoint", index)["response"]
        for index in (5, 6, 7)
    ]
    assert [len(r["body"]["members"]) for r in recorded] == [2, 1, 0]
    assert ["next" in r["body"] for r in recorded] == [True, True, False]
    path = "/api/v2/organizations/org_acme000000000001/members"
    query = {"include_totals": "true", "per_page": "50", "take": "2"}
    pages = [await _get(orgs, path, **query)]
    while "next" in pages[-1]:
        pages.append(await _get(orgs, path, **{**query, "from": pages[-1]["next"]}))
    assert [len(page["members"]) for page in pages] == [2, 1, 0]
    assert [sorted(page) for page in pages] == [["members", "next"]] * 2 + [["members"]]
    assert pages[0]["members"][0] == {
        "user_id": "auth0|ann",
        "email": "ann@partner.example",
        "picture": pages[0]["members"][0]["picture"],
        "name": "Ann",
    }
    listed = [member["user_id"] for page in pages for member in page["members"]]
    assert listed == ["auth0|ann", "auth0|bob", "auth0|cid"]
    empty = await _get(orgs, "/api/v2/organizations/name/gamma")
    assert await _get(orgs, f"/api/v2/organizations/{empty['id']}/members", take="100") == {
        "members": []
    }
    over = await orgs.client.get(path, params={"take": "101"})
    assert over.status_code == 400


@pytest.mark.parametrize(("count", "take"), [(0, 1), (1, 1), (2, 2), (3, 2), (4, 2), (101, 100)])
async def test_checkpoint_paging_reads_everything_once_at_every_boundary(
    make_emulator: MakeEmulator, count: int, take: int
) -> None:
    """Both recorded end rules at the boundaries: members send ``next`` on every non-empty
    page and end on an empty one (facts 8, 9), so ``ceil(count/take) + 1`` calls; the
    organizations list stops on the page after which nothing follows (fact 10; a full last
    page without ``next`` is the OAS rule "If there are more results, a next value is
    included"), so ``max(1, ceil(count/take))`` calls."""
    users = [
        {"user_id": f"auth0|{index:04d}", "email": f"u{index}@p.example"} for index in range(count)
    ]
    members = [{"user_id": user["user_id"]} for user in users]
    orgs = [{"id": "org_big", "name": "big", "members": members}]
    orgs += [{"name": f"o{index:03d}"} for index in range(count - 1)]
    emulator = await make_emulator(
        seed_with(users, organizations=orgs),
        rate_per_second=1000,
        burst=1000,
        endpoint_rate_limits=False,
    )

    async def read(path: str, key: str) -> tuple[list[str], int]:
        page = await _get(emulator, path, take=str(take))
        seen, calls = [item.get("user_id") or item["id"] for item in page[key]], 1
        while "next" in page:
            assert page[key], "a page with next has items"
            page = await _get(emulator, path, take=str(take), **{"from": page["next"]})
            seen += [item.get("user_id") or item["id"] for item in page[key]]
            calls += 1
        return seen, calls

    member_ids, member_calls = await read("/api/v2/organizations/org_big/members", "members")
    assert member_ids == [user["user_id"] for user in users]
    assert member_calls == -(-count // take) + 1
    org_ids, org_calls = await read("/api/v2/organizations", "organizations")
    assert len(org_ids) == len(set(org_ids)) == max(count, 1)
    assert org_calls == max(1, -(-max(count, 1) // take))


async def test_members_offset_mode(orgs: Emulator) -> None:
    """organization-members.json #3: ``{members, start, limit, total}`` with include_totals;
    a bare array without (OAS oneOf)."""
    path = "/api/v2/organizations/org_acme000000000001/members"
    page = await _get(orgs, path, include_totals="true", per_page="2", page="1")
    assert page["start"] == 2 and page["limit"] == 2 and page["total"] == 3
    assert [member["user_id"] for member in page["members"]] == ["auth0|cid"]
    bare = await _get(orgs, path)
    assert [member["user_id"] for member in bare] == ["auth0|ann", "auth0|bob", "auth0|cid"]
    past = await orgs.client.get(path, params={"page": "10", "per_page": "100"})
    assert past.status_code == 400 and past.json()["errorCode"] == "invalid_paging"


async def test_members_fields_with_roles_in_the_same_page(orgs: Emulator) -> None:
    """OAS ``get_organization_members``: roles only with ``fields=...roles``, each role
    ``{id, name}`` (``OrganizationMemberRole``), the roles of that organization only."""
    path = "/api/v2/organizations/org_acme000000000001/members"
    page = await _get(orgs, path, fields="user_id,email,name,roles", take="100")
    assert page["members"] == [
        {
            "user_id": "auth0|ann",
            "email": "ann@partner.example",
            "name": "Ann",
            "roles": [
                {"id": "rol_Admin00000000001", "name": "Admin"},
                {"id": "rol_Buyer00000000001", "name": "Buyer"},
            ],
        },
        {"user_id": "auth0|bob", "email": "bob@partner.example", "name": "Bob", "roles": []},
        {"user_id": "auth0|cid", "email": "cid@partner.example", "name": "Cid", "roles": []},
    ]
    beta = await _get(orgs, "/api/v2/organizations/org_beta000000000001/members", fields="roles")
    assert beta == [{"roles": [{"id": "rol_Buyer00000000001", "name": "Buyer"}]}]
    without = await _get(orgs, path, fields="picture,roles", include_fields="false")
    assert without[0] == {"user_id": "auth0|ann", "email": "ann@partner.example", "name": "Ann"}
    bad = await orgs.client.get(path, params={"fields": "user_id,app_metadata"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "invalid_query_string"


async def test_member_roles_need_their_own_scope(make_emulator: MakeEmulator) -> None:
    """OAS: ``fields=roles`` needs ``read:organization_member_roles``; each endpoint's
    ``security`` scope; 403 ``insufficient_scope`` (reference §9)."""
    clients = [
        {"client_id": "admin", "client_secret": "admin-secret", "scopes": ALL_SCOPES},
        {
            "client_id": "reader",
            "client_secret": "reader-secret",
            "scopes": ["read:organizations", "read:organization_members"],
        },
        {"client_id": "nobody", "client_secret": "nobody-secret", "scopes": ["read:users"]},
    ]
    emulator = await make_emulator(_seed(clients=clients))
    await emulator.authorize("reader", "reader-secret")
    path = "/api/v2/organizations/org_acme000000000001/members"
    assert (await emulator.client.get(path, params={"take": "10"})).status_code == 200
    refused = await emulator.client.get(path, params={"fields": "user_id,roles"})
    assert refused.status_code == 403
    assert refused.json() == {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "Insufficient scope, expected any of: read:organization_member_roles",
        "errorCode": "insufficient_scope",
    }
    roles = await emulator.client.get(f"{path}/auth0%7Cann/roles")
    assert roles.status_code == 403
    await emulator.authorize("nobody", "nobody-secret")
    for url in ("/api/v2/organizations", path, "/api/v2/users/auth0%7Cann/organizations"):
        answer = await emulator.client.get(url)
        assert answer.status_code == 403 and answer.json()["errorCode"] == "insufficient_scope"


async def test_member_roles_listing_as_recorded(orgs: Emulator) -> None:
    """organization-member-roles.json #5: ``{roles, start, limit, total}`` with ``id, name,
    description``."""
    path = "/api/v2/organizations/org_acme000000000001/members/auth0%7Cann/roles"
    answer = await _get(orgs, path, include_totals="true", per_page="50")
    assert answer == {
        "roles": [
            {"id": "rol_Admin00000000001", "name": "Admin", "description": "Partner admins"},
            {"id": "rol_Buyer00000000001", "name": "Buyer"},
        ],
        "start": 0,
        "limit": 50,
        "total": 2,
    }
    missing = await orgs.client.get(
        "/api/v2/organizations/org_acme000000000001/members/auth0%7Czed/roles"
    )
    assert missing.status_code == 404 and missing.json()["errorCode"] == "inexistent_user"


async def test_user_organizations_as_recorded(orgs: Emulator) -> None:
    """user-organizations.json #3 (fact 14): ``{organizations, start, limit, total}``."""
    answer = await _get(orgs, "/api/v2/users/auth0%7Cann/organizations", include_totals="true")
    assert [org["name"] for org in answer["organizations"]] == ["acme", "beta"]
    assert (answer["start"], answer["limit"], answer["total"]) == (0, 50, 2)
    assert await _get(orgs, "/api/v2/users/auth0%7Ceve/organizations") == []
    gone = await orgs.client.get("/api/v2/users/auth0%7Czed/organizations")
    assert gone.status_code == 404


# writes and their tenant-log entries -------------------------------------------------------


async def _log(emulator: Emulator) -> list[dict[str, Any]]:
    response = await emulator.client.get("/api/v2/logs", params={"take": "100"})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


def _logging_seed() -> dict[str, Any]:
    clients = [
        {
            "client_id": "admin",
            "client_secret": "admin-secret",
            "scopes": [*ALL_SCOPES, "read:logs"],
        }
    ]
    return _seed(clients=clients)


async def test_each_write_answers_as_recorded_and_logs_a_sapi_entry(
    make_emulator: MakeEmulator,
) -> None:
    """Statuses and bodies: organizations-update.json #1 (200, the organization),
    organization-members-delete.json #2, #3 and organization-member-roles.json #4, #6 (204,
    empty body), organizations-delete-404.json #1, #3 (204, then 404). Log entries: ``sapi`` with
    the OAS summary as ``description`` and ``details.request``/``response`` as on every other
    write (recordings logs.json, logs-checkpoint.json; "Delete organization" is recorded)."""
    emulator = await make_emulator(_logging_seed())
    client = emulator.client
    acme = "/api/v2/organizations/org_acme000000000001"
    renamed = await client.patch(
        acme, json={"display_name": "Acme Inc", "metadata": {"tier": "gold", "region": None}}
    )
    assert renamed.status_code == 200
    assert renamed.json() == {
        "id": "org_acme000000000001",
        "name": "acme",
        "display_name": "Acme Inc",
        "metadata": {"tier": "gold"},
    }
    writes = [
        ("POST", f"{acme}/members", {"members": ["auth0|dee", "auth0|eve"]}),
        ("DELETE", f"{acme}/members", {"members": ["auth0|bob"]}),
        ("POST", f"{acme}/members/auth0%7Cdee/roles", {"roles": ["rol_Buyer00000000001"]}),
        ("DELETE", f"{acme}/members/auth0%7Cann/roles", {"roles": ["rol_Admin00000000001"]}),
    ]
    for method, path, body in writes:
        answer = await client.request(method, path, json=body)
        assert (answer.status_code, answer.content) == (204, b""), path
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
    page = await _get(emulator, f"{acme}/members", fields="user_id,roles", take="100")
    assert page["members"] == [
        {"user_id": "auth0|ann", "roles": [{"id": "rol_Buyer00000000001", "name": "Buyer"}]},
        {"user_id": "auth0|cid", "roles": []},
        {"user_id": "auth0|dee", "roles": [{"id": "rol_Buyer00000000001", "name": "Buyer"}]},
        {"user_id": "auth0|eve", "roles": []},
    ]
    beta = "/api/v2/organizations/org_beta000000000001"
    assert (await client.delete(beta)).status_code == 204
    again = await client.delete(beta)
    assert again.status_code == 404 and "errorCode" not in again.json()
    entries = await _log(emulator)
    assert [(entry["type"], entry["description"]) for entry in entries] == [
        ("sapi", "Modify an Organization"),
        ("sapi", "Add members to an organization"),
        ("sapi", "Delete members from an organization"),
        ("sapi", "Assign user roles to an Organization member"),
        ("sapi", "Delete user roles from an Organization member"),
        ("sapi", "Delete organization"),
    ]
    assign = entries[3]["details"]
    assert assign["request"]["method"] == "post"
    assert assign["request"]["path"] == f"{acme}/members/auth0%7Cdee/roles"
    assert assign["request"]["body"] == {"roles": ["rol_Buyer00000000001"]}
    assert assign["response"] == {"body": {}, "statusCode": 204}
    assert entries[0]["details"]["response"]["body"]["display_name"] == "Acme Inc"
    assert entries[5]["details"]["request"]["path"] == beta
    for entry in entries:
        assert _tenant_log_errors(entry) == [], entry["description"]


def _recorded_sapi(description: str) -> dict[str, Any]:
    entries = reference.interaction("auth0", "logs-checkpoint", 0)["response"]["body"]
    entry: dict[str, Any] = next(e for e in entries if e["description"] == description)
    return entry


async def test_organization_sapi_entries_match_the_recorded_ones(
    make_emulator: MakeEmulator,
) -> None:
    """logs-checkpoint.json #0 holds two organization entries: "Add members to an
    organization" (body ``{"members": [...]}``, response ``{"body": {}, "statusCode": 204}``)
    and "Delete organization", whose request without a body logs ``"body": {}`` (a deleted
    user logs ``null``: logs.json). Same keys and JSON types, credentials aside (ours name
    the scopes, as the emulator's other entries do)."""
    emulator = await make_emulator(_logging_seed())
    acme = "/api/v2/organizations/org_acme000000000001"
    assert (
        await emulator.client.post(f"{acme}/members", json={"members": ["auth0|eve"]})
    ).is_success
    assert (await emulator.client.delete(acme)).status_code == 204
    added, deleted = await _log(emulator)
    for ours, description in (
        (added, "Add members to an organization"),
        (deleted, "Delete organization"),
    ):
        theirs = _recorded_sapi(description)
        assert ours["description"] == description
        assert (
            shape_differences(
                theirs,
                ours,
                allow_extra=frozenset({"$.details.request.auth.credentials.scopes"}),
            )
            == []
        ), description
        assert ours["details"]["response"] == theirs["details"]["response"]
    assert added["details"]["request"]["body"] == {"members": ["auth0|eve"]}
    assert deleted["details"]["request"]["body"] == {}


async def test_create_and_rename_refuse_a_taken_name(make_emulator: MakeEmulator) -> None:
    """OAS ``post_organizations``: 201 with the organization, 409 "An organization with this
    name already exists."; ``CreateOrganizationRequestContent`` refuses other keys (400).
    (Six writes pass the 5-write burst of "Create an Organization": endpoint limits left out.)"""
    orgs = await make_emulator(_seed(), endpoint_rate_limits=False)
    created = await orgs.client.post(
        "/api/v2/organizations",
        json={
            "name": "delta",
            "display_name": "Delta",
            "branding": {"logo_url": "https://x/l.gif"},
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "delta" and body["branding"] == {"logo_url": "https://x/l.gif"}
    assert (await _get(orgs, f"/api/v2/organizations/{body['id']}")) == body
    taken = await orgs.client.post("/api/v2/organizations", json={"name": "acme"})
    assert taken.status_code == 409
    assert taken.json()["message"] == "An organization with this name already exists."
    rename = await orgs.client.patch(f"/api/v2/organizations/{body['id']}", json={"name": "acme"})
    assert rename.status_code == 409
    extra = await orgs.client.post("/api/v2/organizations", json={"name": "e", "colour": "red"})
    assert extra.status_code == 400 and extra.json()["errorCode"] == "invalid_body"
    bad_name = await orgs.client.patch(
        "/api/v2/organizations/org_acme000000000001", json={"name": "Not Valid"}
    )
    assert bad_name.status_code == 400
    renamed = await orgs.client.patch(
        "/api/v2/organizations/org_acme000000000001", json={"name": "acme-2"}
    )
    assert renamed.json()["name"] == "acme-2"
    assert (await _get(orgs, "/api/v2/organizations/name/acme-2"))["id"] == "org_acme000000000001"
    assert (await orgs.client.get("/api/v2/organizations/name/acme")).status_code == 404


async def test_member_writes_validate_their_bodies(orgs: Emulator) -> None:
    """OAS request schemas: ``members`` and ``roles`` are required non-empty arrays; unknown
    users and roles are refused (texts as on role members and user roles: assumed)."""
    acme = "/api/v2/organizations/org_acme000000000001"
    empty = await orgs.client.post(f"{acme}/members", json={"members": []})
    assert empty.status_code == 400 and empty.json()["errorCode"] == "invalid_body"
    unknown = await orgs.client.post(f"{acme}/members", json={"members": ["auth0|zed"]})
    assert unknown.status_code == 404 and unknown.json()["errorCode"] == "inexistent_user"
    no_role = await orgs.client.post(f"{acme}/members/auth0%7Cann/roles", json={"roles": ["rol_x"]})
    assert (no_role.status_code, no_role.json()["message"]) == (404, "The role does not exist.")
    not_member = await orgs.client.post(
        f"{acme}/members/auth0%7Ceve/roles", json={"roles": ["rol_A1"]}
    )
    assert not_member.status_code == 400
    missing_org = await orgs.client.post(
        "/api/v2/organizations/org_nope/members", json={"members": ["auth0|ann"]}
    )
    assert missing_org.status_code == 404
    # adding a member twice, or removing a non-member, changes nothing
    assert (await orgs.client.post(f"{acme}/members", json={"members": ["auth0|ann"]})).is_success
    gone = await orgs.client.request("DELETE", f"{acme}/members", json={"members": ["auth0|eve"]})
    assert gone.status_code == 204
    assert (await _get(orgs, f"{acme}/members", include_totals="true"))["total"] == 3


async def test_a_member_holds_at_most_50_roles(make_emulator: MakeEmulator) -> None:
    """OAS ``post_organization_member_roles`` 409 "No more roles can be assigned to this
    organization member." at the limit of 50 role assignments per organization member (Auth0
    entity limit policy); the refused call assigns nothing."""
    roles = [{"id": f"rol_{index:016d}", "name": f"r{index}"} for index in range(52)]
    seed = seed_with(USERS, roles=roles, organizations=[{"id": "org_a", "name": "a"}])
    emulator = await make_emulator(seed)
    path = "/api/v2/organizations/org_a/members/auth0%7Cann/roles"
    await emulator.client.post(
        "/api/v2/organizations/org_a/members", json={"members": ["auth0|ann"]}
    )
    first = await emulator.client.post(path, json={"roles": [r["id"] for r in roles[:49]]})
    assert first.status_code == 204
    refused = await emulator.client.post(path, json={"roles": [r["id"] for r in roles[49:51]]})
    assert refused.status_code == 409
    assert refused.json() == {
        "statusCode": 409,
        "error": "Conflict",
        "message": "No more roles can be assigned to this organization member.",
    }
    assert (await _get(emulator, path, include_totals="true"))["total"] == 49
    fiftieth = await emulator.client.post(path, json={"roles": [roles[49]["id"], roles[0]["id"]]})
    assert fiftieth.status_code == 204
    assert (await _get(emulator, path, include_totals="true"))["total"] == 50
    fifty_first = await emulator.client.post(path, json={"roles": [roles[50]["id"]]})
    assert fifty_first.status_code == 409


async def test_deleting_a_user_or_an_organization_ends_its_memberships(orgs: Emulator) -> None:
    """OAS ``delete_organizations_by_id``: "Members are automatically disassociated from an
    Organization when it is deleted. However, this action does not delete these users"; a
    deleted user is no member anywhere (a user that does not exist cannot be one); deleting a
    role takes it from the members holding it."""
    client = orgs.client
    assert (await client.delete("/api/v2/users/auth0%7Cann")).status_code == 204
    acme = "/api/v2/organizations/org_acme000000000001"
    members = await _get(orgs, f"{acme}/members")
    assert [member["user_id"] for member in members] == ["auth0|bob", "auth0|cid"]
    assert await _get(orgs, "/api/v2/organizations/org_beta000000000001/members") == []
    assert (await client.delete(acme)).status_code == 204
    assert await _get(orgs, "/api/v2/users/auth0%7Cbob/organizations") == []
    assert (await client.get("/api/v2/users/auth0%7Cbob")).status_code == 200
    # the name is free again
    assert (await client.post("/api/v2/organizations", json={"name": "acme"})).status_code == 201


async def test_deleting_a_role_takes_it_from_organization_members(orgs: Emulator) -> None:
    assert (await orgs.client.delete("/api/v2/roles/rol_Buyer00000000001")).status_code == 200
    path = "/api/v2/organizations/org_acme000000000001/members/auth0%7Cann/roles"
    assert [role["id"] for role in await _get(orgs, path)] == ["rol_Admin00000000001"]
    beta = await _get(orgs, "/api/v2/organizations/org_beta000000000001/members", fields="roles")
    assert beta == [{"roles": []}]


# per-endpoint rate limits ------------------------------------------------------------------


async def test_organization_endpoints_carry_their_own_rate_limit_headers(
    orgs: Emulator,
) -> None:
    """Auth0's Enterprise endpoint limits (rate-limit-configurations pages): Get Organization
    Members burst 40, 500/minute; member roles 20, 200/minute; Get Organizations 10,
    100/minute. Headers as recorded on 2xx (ruby fact 1: ``x-ratelimit-limit``,
    ``-remaining``, epoch-seconds ``-reset``); other endpoints show the global bucket."""
    acme = "/api/v2/organizations/org_acme000000000001"
    expected = {
        f"{acme}/members": "40",
        f"{acme}/members/auth0%7Cann/roles": "20",
        "/api/v2/organizations": "10",
        acme: "40",
        "/api/v2/organizations/name/acme": "20",
        "/api/v2/users/auth0%7Cann/organizations": "40",
        "/api/v2/users/auth0%7Cann": "50",
    }
    for path, limit in expected.items():
        first = await orgs.client.get(path)
        second = await orgs.client.get(path)
        assert first.status_code == second.status_code == 200, path
        assert first.headers["x-ratelimit-limit"] == limit, path
        remaining = int(second.headers["x-ratelimit-remaining"])
        # refill between the two calls may give the spent token back on a slow machine
        assert remaining <= int(first.headers["x-ratelimit-remaining"]) < int(limit), path
        assert int(second.headers["x-ratelimit-reset"]) >= int(orgs.clock.now()), path
    write = await orgs.client.post(f"{acme}/members", json={"members": ["auth0|eve"]})
    assert (write.status_code, write.headers["x-ratelimit-limit"]) == (204, "20")


async def test_member_roles_answer_429_once_their_bucket_is_spent(
    make_emulator: MakeEmulator,
) -> None:
    """The 20-request burst of "Get Organization Member Roles" is spent before the global
    bucket (raised here); the 429 has the Management API error shape (reference §8, body text
    from the OAS 429 description) and the endpoint's headers; other endpoints still answer."""
    emulator = await make_emulator(_seed(), rate_per_second=1000, burst=1000)
    path = "/api/v2/organizations/org_acme000000000001/members/auth0%7Cann/roles"
    statuses = [(await emulator.client.get(path)).status_code for _ in range(20)]
    assert statuses == [200] * 20  # the burst: a bucket never holds fewer tokens than it got
    for _ in range(200):  # refill is 200/minute, far slower than these calls
        refused = await emulator.client.get(path)
        if refused.status_code == 429:
            break
    assert refused.status_code == 429
    assert refused.json() == {
        "statusCode": 429,
        "error": "Too Many Requests",
        "message": "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and "
        "X-RateLimit-Reset headers.",
        "errorCode": "too_many_requests",
    }
    assert refused.headers["x-ratelimit-limit"] == "20"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    now = emulator.clock.now()
    assert now <= int(refused.headers["x-ratelimit-reset"]) <= now + 2  # next token: <= 0.3 s
    members = await emulator.client.get("/api/v2/organizations/org_acme000000000001/members")
    assert members.status_code == 200
    emulator.clock.advance(0.3)  # 200/minute: a token every 0.3 s
    assert (await emulator.client.get(path)).status_code == 200


async def test_endpoint_limits_can_be_left_out(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(_seed(), endpoint_rate_limits=False)
    answer = await emulator.client.get("/api/v2/organizations/org_acme000000000001/members")
    assert answer.headers["x-ratelimit-limit"] == "50"


# members added at login (control plane) ----------------------------------------------------


async def test_a_member_added_at_login_logs_organization_member_added(
    make_emulator: MakeEmulator,
) -> None:
    """Tenant-logs schema ``organization_member_added``: ``details.reason`` ``invitation`` or
    ``auto_membership``, ``organization_id``/``organization_name`` at the top level (and
    ``details.organization_id``, which issue 19 names); the member shows in the listings."""
    emulator = await make_emulator(_logging_seed())
    gamma = await _get(emulator, "/api/v2/organizations/name/gamma")
    control = f"/_emulator/organizations/{gamma['id']}/login-members"
    invited = await emulator.client.post(
        control,
        json={
            "user_id": "auth0|dee",
            "reason": "invitation",
            "roles": ["rol_Admin00000000001"],
            "client_id": "spa-client",
        },
    )
    assert invited.status_code == 200, invited.text
    auto = await emulator.client.post(control, json={"user_id": "auth0|eve"})
    assert auto.status_code == 200
    entries = await _log(emulator)
    assert [entry["log_id"] for entry in entries] == [
        invited.json()["log_id"],
        auto.json()["log_id"],
    ]
    first = entries[0]
    assert first["type"] == "organization_member_added"
    assert first["organization_id"] == gamma["id"] and first["organization_name"] == "gamma"
    assert first["details"] == {"reason": "invitation", "organization_id": gamma["id"]}
    assert (first["user_id"], first["user_name"], first["client_id"]) == (
        "auth0|dee",
        "dee@partner.example",
        "spa-client",
    )
    assert first["connection"] == "Username-Password-Authentication"
    assert entries[1]["details"]["reason"] == "auto_membership"
    for entry in entries:
        assert _tenant_log_errors(entry) == []
    page = await _get(
        emulator, f"/api/v2/organizations/{gamma['id']}/members", fields="user_id,roles", take="10"
    )
    assert page["members"] == [
        {"user_id": "auth0|dee", "roles": [{"id": "rol_Admin00000000001", "name": "Admin"}]},
        {"user_id": "auth0|eve", "roles": []},
    ]
    again = await emulator.client.post(control, json={"user_id": "auth0|eve"})
    assert again.status_code == 409
    assert (await emulator.client.post(control, json={"user_id": "auth0|zed"})).status_code == 404
    bad = await emulator.client.post(control, json={"user_id": "auth0|ann", "reason": "magic"})
    assert bad.status_code == 400
    nowhere = await emulator.client.post(
        "/_emulator/organizations/org_nope/login-members", json={"user_id": "auth0|ann"}
    )
    assert nowhere.status_code == 404
    assert len(await _log(emulator)) == 2


@pytest.mark.parametrize(
    ("method", "path", "body", "scope"),
    [
        ("POST", "/api/v2/organizations", {"name": "z"}, "create:organizations"),
        ("PATCH", "/api/v2/organizations/org_acme000000000001", {}, "update:organizations"),
        ("DELETE", "/api/v2/organizations/org_acme000000000001", None, "delete:organizations"),
        (
            "POST",
            "/api/v2/organizations/org_acme000000000001/members",
            {"members": ["auth0|eve"]},
            "create:organization_members",
        ),
        (
            "DELETE",
            "/api/v2/organizations/org_acme000000000001/members",
            {"members": ["auth0|ann"]},
            "delete:organization_members",
        ),
        (
            "POST",
            "/api/v2/organizations/org_acme000000000001/members/auth0%7Cbob/roles",
            {"roles": ["rol_A1"]},
            "create:organization_member_roles",
        ),
        (
            "DELETE",
            "/api/v2/organizations/org_acme000000000001/members/auth0%7Cann/roles",
            {"roles": ["rol_Buyer00000000001"]},
            "delete:organization_member_roles",
        ),
    ],
)
async def test_each_write_needs_the_scope_its_operation_declares(
    make_emulator: MakeEmulator, method: str, path: str, body: Any, scope: str
) -> None:
    """OAS ``security`` of each write; refused writes change nothing and log nothing."""
    clients = [
        {"client_id": "admin", "client_secret": "admin-secret", "scopes": ALL_SCOPES},
        {
            "client_id": "reader",
            "client_secret": "reader-secret",
            "scopes": [s for s in ALL_SCOPES if s.startswith("read:")],
        },
    ]
    emulator = await make_emulator(_seed(clients=clients))
    await emulator.authorize("reader", "reader-secret")
    refused = await emulator.client.request(method, path, json=body)
    assert refused.status_code == 403
    assert refused.json()["message"] == f"Insufficient scope, expected any of: {scope}"
    await emulator.authorize()
    allowed = await emulator.client.request(method, path, json=body)
    assert allowed.is_success, allowed.text


async def test_stats_count_organization_calls_by_route_template(orgs: Emulator) -> None:
    """The control plane counts calls per route template, so a benchmark can count reads."""
    await orgs.client.post("/_emulator/stats/reset")
    for _ in range(2):
        await orgs.client.get("/api/v2/organizations/org_acme000000000001/members")
    stats = (await orgs.client.get("/_emulator/stats")).json()
    assert stats["requests"]["GET /api/v2/organizations/{id}/members"] == 2
