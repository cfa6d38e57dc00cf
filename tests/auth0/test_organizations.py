"""The organizations half of Auth0Client over MockTransport, answered with the recorded
go-auth0 exchanges (recordings README, Auth0 go facts 8-14)."""

from __future__ import annotations

from typing import Any

import pytest

from spokesync.auth0.organizations import Organization, OrganizationMember
from spokesync.http.errors import MalformedResponse, NotFound
from tests.auth0.recorded import recorded_body
from tests.auth0.test_client import client, collect
from tests.http.scripted import Scripted, respond

ORG = "org_P0M5j2B0FfwQioEe"


@pytest.mark.anyio
async def test_members_follow_next_through_a_short_page_to_the_empty_one() -> None:
    # Recorded: a 2-member page with next (#5), a short page that still has next (#6), then
    # {"members": []} without next (#7).
    script = Scripted().on(
        "GET",
        f"/api/v2/organizations/{ORG}/members",
        respond(200, recorded_body("go/organization-members-checkpoint", 5)),
        respond(200, recorded_body("go/organization-members-checkpoint", 6)),
        respond(200, recorded_body("go/organization-members-checkpoint", 7)),
    )
    async with client(script) as c:
        pages = await collect(c.organization_members(ORG, roles=True, page_size=2))
    assert [len(p) for p in pages] == [2, 1, 0]
    assert pages[0][0] == OrganizationMember(
        "auth0|6410784d38b3e02b77fdd660", "chuck938@example.com", "chuck938@example.com", None
    )
    gets = [r for r in script.requests if r.method == "GET"]
    assert gets[0].url.params["fields"] == "user_id,email,name,roles"
    # the cursor is passed on as given (opaque)
    assert (
        gets[1].url.params["from"] == recorded_body("go/organization-members-checkpoint", 5)["next"]
    )
    assert (
        gets[2].url.params["from"] == recorded_body("go/organization-members-checkpoint", 6)["next"]
    )
    assert c.calls["GET /api/v2/organizations/{id}/members"] == 3


@pytest.mark.anyio
async def test_members_with_roles_in_the_page() -> None:
    # The spec's OrganizationMember: roles [{id, name}] with fields=roles.
    body = {"members": [{"user_id": "auth0|1", "roles": [{"id": "rol_A", "name": "Admin"}]}]}
    script = Scripted().on("GET", "/api/v2/organizations/org_1/members", respond(200, body))
    async with client(script) as c:
        pages = await collect(c.organization_members("org_1", roles=False))
    assert pages == [[OrganizationMember("auth0|1", role_ids=frozenset({"rol_A"}))]]
    assert script.requests[-1].url.params["fields"] == "user_id,email,name"


@pytest.mark.anyio
async def test_organizations_listing_ends_on_the_short_page_without_next() -> None:
    script = Scripted().on(
        "GET",
        "/api/v2/organizations",
        respond(200, recorded_body("go/organizations-list-checkpoint", 3)),
        respond(200, recorded_body("go/organizations-list-checkpoint", 4)),
    )
    async with client(script) as c:
        pages = await collect(c.organizations(page_size=2))
    assert [o.name for page in pages for o in page] == [
        "test-organization745",
        "test-organization24",
        "test-organization804",
    ]
    assert c.calls["GET /api/v2/organizations"] == 2


@pytest.mark.anyio
async def test_member_roles_are_read_per_member_in_offset_pages() -> None:
    script = Scripted().on(
        "GET",
        "/api/v2/organizations/org_dr3b5S9l3sReLayv/members/auth0|63d16bb22b2c1a2ae38bad61/roles",
        respond(200, recorded_body("go/organization-member-roles", 5)),
    )
    async with client(script) as c:
        held = await c.member_role_ids("org_dr3b5S9l3sReLayv", "auth0|63d16bb22b2c1a2ae38bad61")
    assert held == frozenset({"rol_lEh5V8omwZrnZd9o"})


@pytest.mark.anyio
async def test_find_organization_by_name_and_id_and_a_deleted_one() -> None:
    org = {"id": "org_1", "name": "acme", "display_name": "Acme Corp", "metadata": {"tier": "gold"}}
    gone: dict[str, Any] = {
        "statusCode": 404,
        "error": "Not Found",
        "message": "No organization found by that id or name",
    }  # recorded go fact 12: no errorCode
    script = (
        Scripted()
        .on("GET", "/api/v2/organizations/name/acme", respond(200, org))
        .on("GET", "/api/v2/organizations/org_gone", respond(404, gone))
    )
    async with client(script) as c:
        found = await c.find_organization("acme")
        assert found == Organization("org_1", "acme", "Acme Corp", {"tier": "gold"})
        assert found.as_dict()["display_name"] == "Acme Corp"
        with pytest.raises(NotFound, match="no organization has id 'org_gone'"):
            await c.find_organization("org_gone")
        assert await c.get_organization("org_gone") is None


@pytest.mark.anyio
async def test_a_member_without_user_id_is_a_malformed_answer() -> None:
    body = {"members": [{"email": "x@example.com"}]}
    script = Scripted().on("GET", "/api/v2/organizations/org_1/members", respond(200, body))
    async with client(script) as c:
        with pytest.raises(MalformedResponse, match="user_id"):
            await collect(c.organization_members("org_1", roles=True))
