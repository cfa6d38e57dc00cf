"""OktaClient over MockTransport: groups, members, users, create, lifecycle, IdP links."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spokesync.domain import TargetUser
from spokesync.http.errors import (
    AmbiguousName,
    AuthError,
    BadRequest,
    LoginTaken,
    MalformedResponse,
    NotFound,
    StateConflict,
    UnknownAttribute,
)
from spokesync.okta.client import MAX_SEARCH_URL, OktaClient, login_search_batches, search_literal
from spokesync.okta.models import Group, IdpLink
from tests.http.scripted import FakeTime, Scripted, respond
from tests.okta.recorded import recorded, recorded_response

ORG = "https://org.example"


def client(script: Scripted, **kw: Any) -> OktaClient:
    return OktaClient(ORG, "ssws-secret-token", transport=script.transport(), **kw)


def user(uid: str, login: str, status: str = "ACTIVE") -> dict[str, Any]:
    return {
        "id": uid,
        "status": status,
        "profile": {"login": login, "email": login, "firstName": "F", "lastName": "L"},
    }


def okta_error(code: str, summary: str, causes: list[str] | None = None) -> dict[str, Any]:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oae123",
        "errorCauses": [{"errorSummary": c} for c in causes or []],
    }


async def collect(pages: Any) -> list[Any]:
    return [p async for p in pages]


@pytest.mark.anyio
async def test_ssws_header_and_secret_not_in_repr() -> None:
    script = Scripted().on("GET", "/api/v1/users/00u1", respond(200, user("00u1", "a@x.example")))
    async with client(script) as c:
        await c.get_user("00u1")
        assert script.requests[0].headers["authorization"] == "SSWS ssws-secret-token"
        assert "ssws-secret-token" not in repr(c) + repr(c.session) + repr(c.session.authorization)


@pytest.mark.anyio
async def test_bad_token_is_auth_error_without_token() -> None:
    script = Scripted().on(
        "GET", "/api/v1/users/00u1", respond(401, okta_error("E0000011", "Invalid token provided"))
    )
    async with client(script) as c:
        with pytest.raises(AuthError) as info:
            await c.get_user("00u1")
    assert "ssws-secret-token" not in str(info.value) + repr(info.value)


@pytest.mark.anyio
async def test_find_group_by_id() -> None:
    # Recorded okta/group-members.json #1: a group object (type OKTA_GROUP).
    body = recorded("group-members", 1)["response"]["body"]
    script = Scripted().on("GET", f"/api/v1/groups/{body['id']}", respond(200, body))
    async with client(script) as c:
        group = await c.find_group(body["id"])
    assert group == Group(body["id"], body["profile"]["name"], "OKTA_GROUP")
    assert c.calls == {"GET /api/v1/groups/{id}": 1}


@pytest.mark.anyio
async def test_find_group_by_name_recorded_search() -> None:
    # Recorded okta/groups-search.json #1: q= answers without any Link header.
    body = recorded("groups-search", 1)["response"]["body"]
    script = Scripted().on("GET", "/api/v1/groups", respond(200, body))
    async with client(script) as c:
        group = await c.find_group("Group-Target-Test")
    assert group.id == "00gsfbh2pJyrDzGmQ4x6"
    assert script.requests[0].url.params["q"] == "Group-Target-Test"


def groups(*names: str) -> httpx.Response:
    return respond(
        200,
        [
            {"id": f"00g{i}", "type": "OKTA_GROUP", "profile": {"name": n}}
            for i, n in enumerate(names)
        ],
    )


@pytest.mark.anyio
async def test_find_group_exact_among_prefix_matches() -> None:
    script = Scripted().on(
        "GET", "/api/v1/groups", groups("Salesforce Users EU", "Salesforce Users")
    )
    async with client(script) as c:
        assert (await c.find_group("Salesforce Users")).id == "00g1"


@pytest.mark.anyio
async def test_find_group_none_or_several() -> None:
    script = Scripted().on("GET", "/api/v1/groups", groups("Sales EU"))
    async with client(script) as c:
        with pytest.raises(NotFound, match="'Sales'"):
            await c.find_group("Sales")
    script = Scripted().on("GET", "/api/v1/groups", groups("Sales", "Sales"))
    async with client(script) as c:
        with pytest.raises(AmbiguousName):
            await c.find_group("Sales")


@pytest.mark.anyio
async def test_find_group_missing_id() -> None:
    script = Scripted().on(
        "GET",
        "/api/v1/groups/00gnope",
        respond(404, okta_error("E0000007", "Not found: Resource not found: 00gnope (UserGroup)")),
    )
    async with client(script) as c:
        with pytest.raises(NotFound, match="00gnope"):
            await c.find_group("00gnope")


@pytest.mark.anyio
async def test_group_members_pages() -> None:
    # Recorded okta/group-members.json #3: one page, only a rel="self" link.
    first = recorded_response("group-members", 3)
    gid = "00gsf7bj3rH2d9PvL4x6"
    script = Scripted().on("GET", f"/api/v1/groups/{gid}/users", first)
    async with client(script) as c:
        pages = await collect(c.group_members(gid))
    assert len(pages) == 1
    member = pages[0][0]
    assert isinstance(member, TargetUser)
    assert (member.id, member.status) == ("00usfbpcapvcITLwi4x6", "STAGED")
    assert script.requests[0].url.params["limit"] == "200"


@pytest.mark.anyio
async def test_group_members_multi_page() -> None:
    gid = "00g1"
    script = Scripted().on(
        "GET",
        f"/api/v1/groups/{gid}/users",
        respond(
            200,
            [user("00u1", "a@x.example")],
            headers={"link": f'<{ORG}/api/v1/groups/{gid}/users?after=00u1&limit=200>; rel="next"'},
        ),
        respond(200, [user("00u2", "b@x.example")]),
    )
    async with client(script) as c:
        pages = await collect(c.group_members(gid))
    assert [[u.id for u in p] for p in pages] == [["00u1"], ["00u2"]]
    assert c.calls["GET /api/v1/groups/{id}/users"] == 2


@pytest.mark.anyio
async def test_group_members_wrong_shape() -> None:
    script = Scripted().on(
        "GET", "/api/v1/groups/00g1/users", respond(200, [{"id": "00u1", "status": "ACTIVE"}])
    )
    async with client(script) as c:
        with pytest.raises(MalformedResponse, match="profile"):
            await collect(c.group_members("00g1"))


@pytest.mark.anyio
async def test_get_user_by_login_encoded_and_404() -> None:
    # Recorded okta/users-create-get.json #2: a login in place of the id works; #5: 404.
    script = Scripted().on(
        "GET", "/api/v1/users/a+b@x.example", respond(200, user("00u1", "a+b@x.example"))
    )
    script.on("GET", "/api/v1/users/gone@x.example", recorded_response("users-create-get", 5))
    async with client(script) as c:
        found = await c.get_user("a+b@x.example")
        assert found is not None and found.login == "a+b@x.example"
        assert await c.get_user("gone@x.example") is None
    assert script.requests[0].url.raw_path == b"/api/v1/users/a%2Bb%40x.example"


def test_search_literal_escapes() -> None:
    assert search_literal('a"b\\c') == '"a\\"b\\\\c"'


@given(st.lists(st.emails(), min_size=1, max_size=300))
@settings(max_examples=30, deadline=None)
def test_login_batches_fit_and_cover(logins: list[str]) -> None:
    budget = 3000
    batches = login_search_batches(logins, budget)
    assert all(len(httpx.QueryParams({"search": b}).__str__()) <= budget + 20 for b in batches)
    covered = [clause for b in batches for clause in b.split(" or ")]
    assert len(covered) == len(set(logins))


@pytest.mark.anyio
async def test_find_users_by_login_batches_under_url_limit() -> None:
    logins = [f"user{i:04d}@partner.example" for i in range(400)]

    def search(request: httpx.Request) -> httpx.Response:
        assert len(str(request.url)) <= MAX_SEARCH_URL
        expr = request.url.params["search"]
        found = [c.split('"')[1] for c in expr.split(" or ")]
        return respond(200, [user(f"00u{x}", x) for x in found[:3]])

    script = Scripted().on("GET", "/api/v1/users", search)
    async with client(script) as c:
        users = await c.find_users_by_login(logins)
    assert 1 < len(script.requests) < 20
    assert len(users) == 3 * len(script.requests)
    first = script.requests[0].url.params["search"]
    assert first.startswith('profile.login eq "user0000@partner.example" or profile.login eq')


@pytest.mark.anyio
async def test_create_user_body_and_params() -> None:
    def created(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return respond(200, {"id": "00unew", "status": "ACTIVE", "profile": body["profile"]})

    script = Scripted().on("POST", "/api/v1/users", created)
    profile = {
        "login": "ann@x.example",
        "email": "ann@x.example",
        "firstName": "Ann",
        "lastName": "Lee",
    }
    async with client(script) as c:
        made = await c.create_user(profile, ["00gA", "00gB"])
    assert made == TargetUser("00unew", "ACTIVE", profile)
    request = script.requests[0]
    assert request.url.params["activate"] == "true"
    assert "provider" not in request.url.params
    assert json.loads(request.content) == {"profile": profile, "groupIds": ["00gA", "00gB"]}
    assert c.calls["POST /api/v1/users"] == 1


@pytest.mark.anyio
async def test_create_federated_user() -> None:
    script = Scripted().on("POST", "/api/v1/users", respond(200, user("00u9", "f@x.example")))
    async with client(script) as c:
        await c.create_user({"login": "f@x.example"}, [], activate=False, provider="FEDERATION")
    request = script.requests[0]
    assert request.url.params["activate"] == "false"
    assert request.url.params["provider"] == "true"
    assert json.loads(request.content)["credentials"] == {
        "provider": {"type": "FEDERATION", "name": "FEDERATION"}
    }


@pytest.mark.anyio
async def test_create_user_of_a_user_type() -> None:
    script = Scripted().on("POST", "/api/v1/users", respond(200, user("00u9", "t@x.example")))
    async with client(script) as c:
        await c.create_user({"login": "t@x.example"}, [], user_type="otyPartner")
    assert json.loads(script.requests[0].content)["type"] == {"id": "otyPartner"}


def user_types(*names: str) -> httpx.Response:
    """``GET /api/v1/meta/types/user`` as in the spec's ListsAllUserTypes example."""
    body = [{"id": "otyDefault", "name": "user", "displayName": "User", "default": True}]
    body += [
        {"id": f"oty{i}", "name": name, "displayName": f"{name} people", "default": False}
        for i, name in enumerate(names)
    ]
    return respond(200, body)


@pytest.mark.anyio
async def test_find_user_type_by_id_name_or_display_name() -> None:
    script = Scripted().on("GET", "/api/v1/meta/types/user", user_types("Partner", "Staff"))
    async with client(script) as c:
        assert (await c.find_user_type("oty1")).name == "Staff"
        assert (await c.find_user_type("Partner")).id == "oty0"
        assert (await c.find_user_type("partner")).id == "oty0"
        assert (await c.find_user_type("Staff people")).id == "oty1"
        with pytest.raises(NotFound, match=r"'Partnr' \(known: Partner, Staff, user\)"):
            await c.find_user_type("Partnr")
    script = Scripted().on("GET", "/api/v1/meta/types/user", user_types("partner", "Partner "))
    async with client(script) as c:
        assert (await c.find_user_type("partner")).id == "oty0"  # exact wins
    script = Scripted().on("GET", "/api/v1/meta/types/user", user_types("PARTNER", "Partner"))
    async with client(script) as c:
        with pytest.raises(AmbiguousName):
            await c.find_user_type("partner")


@pytest.mark.anyio
async def test_create_duplicate_login_is_login_taken() -> None:
    # Reference okta-api.md §1: 400 E0000001 with cause "login: An object with this field ..."
    body = okta_error(
        "E0000001",
        "Api validation failed: login",
        ["login: An object with this field already exists in the current organization"],
    )
    script = Scripted().on("POST", "/api/v1/users", respond(400, body))
    async with client(script) as c:
        with pytest.raises(LoginTaken) as info:
            await c.create_user({"login": "dup@x.example"}, [])
    assert info.value.status == 400 and info.value.code == "E0000001"
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_create_with_an_undefined_property_is_unknown_attribute_recorded() -> None:
    # Recorded okta/terraform/users-invalid-custom-profile-attribute-400.json #0: E0000001
    # whose cause names the property (causes are not empty, whatever the reference notes say).
    name = "terraform/users-invalid-custom-profile-attribute-400"
    script = Scripted().on("POST", "/api/v1/users", recorded_response(name, 0))
    async with client(script) as c:
        with pytest.raises(UnknownAttribute) as info:
            await c.create_user(recorded(name, 0)["request"]["body"]["profile"], [])
    assert info.value.attributes == ["notValid"] and not isinstance(info.value, LoginTaken)


@pytest.mark.anyio
async def test_user_schema_recorded() -> None:
    # Recorded okta/terraform/users-custom-profile-attributes.json #1: base and custom
    # attributes of the default user type's schema.
    name = "terraform/users-custom-profile-attributes"
    script = Scripted().on("GET", "/api/v1/meta/schemas/user/default", recorded_response(name, 1))
    async with client(script) as c:
        schema = await c.user_schema()
    assert schema.type_of("login") == "string" and schema.type_of("costCenter") == "string"
    assert schema.type_of("customAttribute123") == "string"
    assert schema.type_of("partnerOrganization") is None
    assert len(schema.types) == 31 + 2  # 31 base attributes, 2 custom ones


@pytest.mark.anyio
async def test_user_type_names_its_schema_recorded() -> None:
    # Recorded okta/terraform/user-types-crud.json #0: ``_links.schema`` of a user type.
    body = recorded("terraform/user-types-crud", 0)["response"]["body"]
    script = Scripted().on("GET", "/api/v1/meta/types/user", respond(200, [body]))
    async with client(script) as c:
        found = await c.find_user_type(body["name"])
    assert found.schema_id == "osckwup7n7b2sehvm1d7"


@pytest.mark.anyio
async def test_create_malformed_400_recorded() -> None:
    # Recorded okta/users-create-malformed-400.json #0: E0000003 is a plain BadRequest.
    script = Scripted().on(
        "POST", "/api/v1/users", recorded_response("users-create-malformed-400", 0)
    )
    async with client(script) as c:
        with pytest.raises(BadRequest) as info:
            await c.create_user({"login": "x"}, [])
    assert type(info.value) is BadRequest
    assert info.value.code == "E0000003"


@pytest.mark.anyio
async def test_update_profile_is_partial_post() -> None:
    script = Scripted().on("POST", "/api/v1/users/00u1", respond(200, user("00u1", "a@x.example")))
    async with client(script) as c:
        await c.update_profile("00u1", {"firstName": "Ann"})
    assert json.loads(script.requests[0].content) == {"profile": {"firstName": "Ann"}}
    assert c.calls == {"POST /api/v1/users/{id}": 1}


@pytest.mark.anyio
async def test_group_membership_calls() -> None:
    # Recorded okta/group-members.json #2 and #4: PUT and DELETE answer 204 with no body.
    path = "/api/v1/groups/00gsf7bj3rH2d9PvL4x6/users/00usfbpcapvcITLwi4x6"
    script = (
        Scripted()
        .on("PUT", path, recorded_response("group-members", 2))
        .on("DELETE", path, recorded_response("group-members", 4))
    )
    async with client(script) as c:
        await c.add_to_group("00gsf7bj3rH2d9PvL4x6", "00usfbpcapvcITLwi4x6")
        await c.remove_from_group("00gsf7bj3rH2d9PvL4x6", "00usfbpcapvcITLwi4x6")
    assert script.requests[0].headers["content-length"] == "0"  # Okta answers 411 without it
    assert c.calls == {
        "PUT /api/v1/groups/{gid}/users/{uid}": 1,
        "DELETE /api/v1/groups/{gid}/users/{uid}": 1,
    }


@pytest.mark.anyio
async def test_lifecycle_calls() -> None:
    script = Scripted()
    for op in ("activate", "reactivate", "deactivate", "suspend", "unsuspend"):
        script.on("POST", f"/api/v1/users/00u1/lifecycle/{op}", respond(200, {}))
    script.on("DELETE", "/api/v1/users/00u1", respond(204))
    async with client(script) as c:
        for method in (
            c.activate,
            c.reactivate,
            c.deactivate,
            c.suspend,
            c.unsuspend,
            c.delete_user,
        ):
            await method("00u1")
    sent = [(r.method, r.url.path, dict(r.url.params)) for r in script.requests]
    assert sent == [
        ("POST", "/api/v1/users/00u1/lifecycle/activate", {"sendEmail": "false"}),
        ("POST", "/api/v1/users/00u1/lifecycle/reactivate", {"sendEmail": "false"}),
        ("POST", "/api/v1/users/00u1/lifecycle/deactivate", {"sendEmail": "false"}),
        ("POST", "/api/v1/users/00u1/lifecycle/suspend", {}),
        ("POST", "/api/v1/users/00u1/lifecycle/unsuspend", {}),
        ("DELETE", "/api/v1/users/00u1", {}),
    ]


@pytest.mark.anyio
async def test_reactivate_staged_is_state_conflict() -> None:
    # Recorded okta/users-reactivate-403.json #1: 403 E0000038.
    rec = recorded("users-reactivate-403", 1)
    script = Scripted().on(
        "POST", rec["request"]["path"], recorded_response("users-reactivate-403", 1)
    )
    uid = rec["request"]["path"].split("/")[4]
    async with client(script) as c:
        with pytest.raises(StateConflict):
            await c.reactivate(uid)
    assert len(script.requests) == 1


@pytest.mark.anyio
async def test_link_idp_and_list() -> None:
    script = (
        Scripted()
        .on(
            "POST",
            "/api/v1/idps/0oaIDP/users/00u1",
            respond(200, {"id": "00u1", "externalId": "auth0|1", "profile": {}}),
        )
        .on(
            "GET",
            "/api/v1/idps/0oaIDP/users",
            respond(
                200,
                [{"id": "00u1", "externalId": "auth0|1"}],
                headers={"link": f'<{ORG}/api/v1/idps/0oaIDP/users?after=1>; rel="next"'},
            ),
            respond(200, []),
        )
    )
    async with client(script) as c:
        link = await c.link_idp("0oaIDP", "00u1", "auth0|1")
        pages = await collect(c.idp_links("0oaIDP"))
    assert link == IdpLink("00u1", "auth0|1")
    assert json.loads(script.requests[0].content) == {"externalId": "auth0|1"}
    assert pages == [[IdpLink("00u1", "auth0|1")], []]


@pytest.mark.anyio
async def test_budget_per_bucket_with_half_share() -> None:
    # Reference §7/§8: one token may use 50 % of a bucket; headers teach each bucket's limit.
    time = FakeTime()
    reset = str(int(time.now) + 60)
    headers = {
        "x-rate-limit-limit": "4",
        "x-rate-limit-remaining": "3",
        "x-rate-limit-reset": reset,
    }
    script = Scripted().on(
        "GET", "/api/v1/users/00u1", respond(200, user("00u1", "a@x.example"), headers=headers)
    )
    script.on(
        "POST", "/api/v1/users/00u1", respond(200, user("00u1", "a@x.example"), headers=headers)
    )
    async with client(script, sleep=time.sleep, clock=time.clock) as c:
        await c.get_user("00u1")
        await c.get_user("00u1")  # 2 of 4: our half is spent
        await c.update_profile("00u1", {})  # another bucket: no wait
        assert time.sleeps == []
        await c.get_user("00u1")
        assert len(time.sleeps) == 1 and time.now >= int(reset)
    assert set(c.budgets.budgets) == {"users:get", "users:update-delete"}
