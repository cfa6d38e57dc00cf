"""Validate a sample of emulator answers against the official OpenAPI 3.1 schemas.

Management answers use the official Management API spec, the token endpoint the Authentication
API spec (both cut to what is used: tests/reference/specs). The OAS gives no schema for Management
error bodies, so those are checked against the shape in reference §9 (``statusCode``, ``error``,
``message``[, ``errorCode``]).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests import reference
from tests.emulators.auth0.conftest import AUDIENCE, Emulator, MakeEmulator, seed_with

pytestmark = pytest.mark.anyio

MANAGEMENT = "urn:auth0:management-oas"
AUTHENTICATION = "urn:auth0:authentication-oas"

MANAGEMENT_ERROR = {
    "type": "object",
    "additionalProperties": False,
    "required": ["statusCode", "error", "message"],
    "properties": {
        "statusCode": {"type": "integer"},
        "error": {"type": "string"},
        "message": {"type": "string"},
        "errorCode": {"type": "string"},
    },
}


@cache
def _registry() -> Registry[Any]:
    specs = {
        MANAGEMENT: "auth0-management-api-oas.json",
        AUTHENTICATION: "auth0-authentication-api-oas.json",
    }
    resources = [
        (uri, Resource.from_contents(reference.spec(name), default_specification=DRAFT202012))
        for uri, name in specs.items()
    ]
    return Registry().with_resources(resources)


def _check(instance: Any, schema_name: str, spec: str = MANAGEMENT) -> None:
    schema = {"$ref": f"{spec}#/components/schemas/{schema_name}"}
    errors = list(Draft202012Validator(schema, registry=_registry()).iter_errors(instance))
    assert errors == [], [error.message for error in errors]


async def _get(emulator: Emulator, path: str, **params: str) -> Any:
    response = await emulator.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_user_and_role_answers(emulator: Emulator) -> None:
    _check(await _get(emulator, "/api/v2/users/auth0%7Cann"), "GetUserResponseContent")
    _check(await _get(emulator, "/api/v2/roles/rol_A1"), "GetRoleResponseContent")
    _check(await _get(emulator, "/api/v2/roles"), "ListRolesResponseContent")
    _check(await _get(emulator, "/api/v2/roles", include_totals="true"), "ListRolesResponseContent")
    _check(await _get(emulator, "/api/v2/user-blocks/auth0%7Cann"), "ListUserBlocksResponseContent")
    _check(
        await _get(emulator, "/api/v2/users/auth0%7Cann/roles", include_totals="true"),
        "ListUserRolesResponseContent",
    )
    created = await emulator.client.post(
        "/api/v2/users",
        json={"connection": "Username-Password-Authentication", "email": "z@x.example"},
    )
    _check(created.json(), "CreateUserResponseContent")
    patched = await emulator.client.patch(
        "/api/v2/users/auth0%7Cann", json={"app_metadata": {"a": 1}}
    )
    _check(patched.json(), "UpdateUserResponseContent")
    role = await emulator.client.post("/api/v2/roles", json={"name": "New", "description": "d"})
    _check(role.json(), "CreateRoleResponseContent")


async def test_role_users_in_all_three_modes(emulator: Emulator) -> None:
    path = "/api/v2/roles/rol_A1/users"
    _check(await _get(emulator, path), "ListRoleUsersResponseContent")
    _check(await _get(emulator, path, include_totals="true"), "ListRoleUsersResponseContent")
    first = await _get(emulator, path, take="1")
    _check(first, "ListRoleUsersResponseContent")
    last = await _get(emulator, path, take="1", **{"from": first["next"]})
    # a last checkpoint page ({"users": [...]} without next) matches both object branches of the
    # OAS oneOf (neither requires a key), so it is checked against the checkpoint branch itself;
    # the real service answers the same shape (role-users-checkpoint.json #6)
    assert "next" not in last
    _check(last, "ListRoleUsersPaginatedResponseContent")


async def test_user_search_answers(emulator: Emulator) -> None:
    _check(await _get(emulator, "/api/v2/users", q="_exists_:email"), "ListUsersResponseContent")
    _check(await _get(emulator, "/api/v2/users", include_totals="true"), "ListUsersResponseContent")
    by_email = await _get(emulator, "/api/v2/users-by-email", email="bob@partner.example")
    for user in by_email:
        _check(user, "UserResponseSchema")


async def test_export_job_answers(emulator: Emulator) -> None:
    created = await emulator.client.post(
        "/api/v2/jobs/users-exports", json={"format": "json", "limit": 2}
    )
    _check(created.json(), "CreateExportUsersResponseContent")
    for _ in range(2):
        _check(
            await _get(emulator, f"/api/v2/jobs/{created.json()['id']}"), "GetJobResponseContent"
        )


async def test_token_answers(emulator: Emulator) -> None:
    form = {"grant_type": "client_credentials", "client_id": "admin", "audience": AUDIENCE}
    ok = await emulator.client.post("/oauth/token", data={**form, "client_secret": "admin-secret"})
    _check(ok.json(), "TokenResponse", AUTHENTICATION)
    refused = await emulator.client.post("/oauth/token", data={**form, "client_secret": "no"})
    assert refused.status_code == 401
    _check(refused.json(), "ErrorResponse", AUTHENTICATION)


async def test_management_error_bodies(emulator: Emulator) -> None:
    answers = [
        await emulator.client.get("/api/v2/users/auth0%7Cnope"),
        await emulator.client.get("/api/v2/roles/rol_nope"),
        await emulator.client.get("/api/v2/roles/rol_A1/users", params={"per_page": "500"}),
        await emulator.client.get("/api/v2/roles", headers={"Authorization": "Bearer x"}),
        await emulator.client.get("/api/v2/jobs/job_nope"),
    ]
    assert [a.status_code for a in answers] == [404, 404, 400, 401, 404]
    for answer in answers:
        errors = list(Draft202012Validator(MANAGEMENT_ERROR).iter_errors(answer.json()))
        assert errors == []


def test_the_schemas_do_reject_wrong_shapes() -> None:
    with pytest.raises(AssertionError):
        _check({"users": [{"user_id": "x", "extra": 1}]}, "ListRoleUsersPaginatedResponseContent")
    with pytest.raises(AssertionError):
        _check({"users": [], "next": "x", "total": 1}, "ListRoleUsersResponseContent")
    with pytest.raises(AssertionError):
        _check({"access_token": "x"}, "TokenResponse", AUTHENTICATION)


async def test_organization_answers(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(
        seed_with(
            [{"user_id": "auth0|ann", "email": "ann@partner.example"}],
            organizations=[
                {
                    "id": "org_acme000000000001",
                    "name": "acme",
                    "display_name": "Acme Corp",
                    "metadata": {"region": "apac"},
                    "members": [{"user_id": "auth0|ann", "roles": ["rol_A1"]}],
                },
                {"name": "beta", "display_name": "Beta"},
            ],
        )
    )
    org = "/api/v2/organizations/org_acme000000000001"
    listing = "/api/v2/organizations"
    _check(await _get(emulator, listing), "ListOrganizationsResponseContent")
    _check(await _get(emulator, listing, include_totals="true"), "ListOrganizationsResponseContent")
    first = await _get(emulator, listing, take="1")
    _check(first, "ListOrganizationsResponseContent")
    # the short last page ({"organizations": [...]} without next) matches two branches of the
    # oneOf, like the last role-users page: checked against the checkpoint branch itself
    last = await _get(emulator, listing, take="1", **{"from": first["next"]})
    _check(last, "ListOrganizationsPaginatedResponseContent")
    _check(await _get(emulator, org), "GetOrganizationResponseContent")
    _check(await _get(emulator, f"{listing}/name/acme"), "GetOrganizationByNameResponseContent")
    members = f"{org}/members"
    _check(await _get(emulator, members), "ListOrganizationMembersResponseContent")
    # the OAS's checkpoint branch allows additional properties, so the recorded offset object
    # (organization-members.json #3) matches both object branches of its oneOf: checked
    # against the offset branch itself
    _check(
        await _get(emulator, members, include_totals="true"),
        "ListOrganizationMembersOffsetPaginatedResponseContent",
    )
    with_roles = await _get(emulator, members, take="10", fields="user_id,email,name,roles")
    _check(with_roles, "ListOrganizationMembersPaginatedResponseContent")
    _check(
        await _get(emulator, members, take="10", **{"from": with_roles["next"]}),
        "ListOrganizationMembersPaginatedResponseContent",
    )
    _check(
        await _get(emulator, f"{members}/auth0%7Cann/roles", include_totals="true"),
        "ListOrganizationMemberRolesResponseContent",
    )
    _check(
        await _get(emulator, f"{members}/auth0%7Cann/roles"),
        "ListOrganizationMemberRolesResponseContent",
    )
    _check(
        await _get(emulator, "/api/v2/users/auth0%7Cann/organizations", include_totals="true"),
        "ListUserOrganizationsResponseContent",
    )
    created = await emulator.client.post(listing, json={"name": "gamma", "display_name": "G"})
    assert created.status_code == 201
    _check(created.json(), "CreateOrganizationResponseContent")
    patched = await emulator.client.patch(org, json={"display_name": "Acme Inc"})
    _check(patched.json(), "UpdateOrganizationResponseContent")
