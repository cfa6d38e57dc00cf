"""Users: create, read, update, replace, delete, list (reference §1, §3, §4)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulators.okta.support import profile, rels

pytestmark = pytest.mark.anyio

DUPLICATE_CAUSE = "login: An object with this field already exists in the current organization"


async def create(
    api: httpx.AsyncClient, login: str, extra: dict[str, Any] | None = None, **body: Any
) -> httpx.Response:
    """POST a user with the four required properties plus ``extra`` ones."""
    return await api.post("/api/v1/users", json={"profile": profile(login) | (extra or {}), **body})


async def test_create_answers_200_with_the_full_user(api: httpx.AsyncClient) -> None:
    response = await create(api, "ann@partner.example")
    assert response.status_code == 200  # not 201 (reference trap 1)
    user = response.json()
    assert user["id"].startswith("00u") and len(user["id"]) == 20
    assert user["status"] == "PROVISIONED"  # activate defaults to true, no credentials
    assert user["profile"]["login"] == "ann@partner.example"
    assert user["lastLogin"] is None
    assert user["created"].endswith("Z") and len(user["created"]) == 24
    assert response.headers["content-type"] == "application/json"
    assert {"self", "reactivate", "deactivate"} <= set(user["_links"])


@pytest.mark.parametrize(
    ("query", "credentials", "status"),
    [
        ("activate=false", None, "STAGED"),
        ("activate=False", {"password": {"value": "Sup3r-secret!"}}, "STAGED"),
        ("activate=true", {"password": {"value": "Sup3r-secret!"}}, "ACTIVE"),
        ("activate=True", {"provider": {"type": "FEDERATION", "name": "FEDERATION"}}, "ACTIVE"),
        ("provider=true", None, "ACTIVE"),
        ("", None, "PROVISIONED"),
    ],
)
async def test_status_after_create_follows_the_spec_table(
    api: httpx.AsyncClient, query: str, credentials: Any, status: str
) -> None:
    body: dict[str, Any] = {"profile": profile("ann@partner.example")}
    if credentials:
        body["credentials"] = credentials
    response = await api.post(f"/api/v1/users/?{query}", json=body)  # trailing slash as recorded
    assert response.status_code == 200
    assert response.json()["status"] == status
    # PROVISIONED has ``activated`` too (okta/terraform/users-list-search.json #0)
    assert (response.json()["activated"] is not None) == (status != "STAGED")


async def test_password_is_never_echoed(api: httpx.AsyncClient) -> None:
    response = await create(
        api, "ann@partner.example", credentials={"password": {"value": "Zz9!secret"}}
    )
    assert "Zz9!secret" not in response.text
    assert response.json()["credentials"]["password"] == {}


@pytest.mark.parametrize(
    "login", ["ANN@PARTNER.EXAMPLE", "ánn@pártner.example", "Ânn@Partner.Example"]
)
async def test_duplicate_login_ignores_case_and_diacritics(
    api: httpx.AsyncClient, login: str
) -> None:
    assert (await create(api, "ann@partner.example")).status_code == 200
    response = await create(api, login)
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "E0000001"
    assert body["errorSummary"] == "Api validation failed: login"
    assert body["errorCauses"] == [{"errorSummary": DUPLICATE_CAUSE}]
    assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}


async def test_duplicate_of_a_deactivated_user_is_still_a_duplicate(
    api: httpx.AsyncClient,
) -> None:
    user = (await create(api, "ann@partner.example")).json()
    await api.post(f"/api/v1/users/{user['id']}/lifecycle/deactivate")
    assert (await create(api, "Ann@partner.example")).status_code == 400


@pytest.mark.parametrize(
    ("changes", "summary", "cause"),
    [
        ({"firstName": None}, "firstName", "firstName: The field cannot be left blank"),
        ({"lastName": " "}, "lastName", "lastName: The field cannot be left blank"),
        ({"email": None}, "email", "email: The field cannot be left blank"),
        (
            {"login": "not-an-email"},
            "login",
            "login: Username must be in the form of an email address",
        ),
        ({"firstName": "x" * 51}, "firstName", "firstName: The field cannot exceed 50 characters"),
        ({"login": "a@b"}, "login", "login: The field must be at least 5 characters"),
        ({"nickName": "smile \U0001f600"}, "nickName", None),
    ],
)
async def test_profile_validation(
    api: httpx.AsyncClient, changes: dict[str, Any], summary: str, cause: str | None
) -> None:
    body = profile("ann@partner.example") | changes
    response = await api.post("/api/v1/users", json={"profile": body})
    assert response.status_code == 400
    error = response.json()
    assert error["errorCode"] == "E0000001"
    assert error["errorSummary"] == f"Api validation failed: {summary}"
    if cause:
        assert {"errorSummary": cause} in error["errorCauses"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        # the recorded E0000003: snake_case keys the API does not know
        b'{"profile": {"login": "a@b.example"}, "group_ids": null}',
    ],
)
async def test_malformed_bodies_are_e0000003(api: httpx.AsyncClient, raw: bytes) -> None:
    response = await api.post(
        "/api/v1/users", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == "E0000003"
    assert response.json()["errorSummary"] == "The request body was not well-formed."


async def test_group_ids_put_the_user_in_the_groups(api: httpx.AsyncClient) -> None:
    new_group = (await api.post("/api/v1/groups", json={"profile": {"name": "Partners"}})).json()
    response = await create(
        api, "ann@partner.example", groupIds=["00gsales0000000000001", new_group["id"]]
    )
    assert response.status_code == 200
    user_id = response.json()["id"]
    groups = (await api.get(f"/api/v1/users/{user_id}/groups")).json()
    assert {g["profile"]["name"] for g in groups} == {"Everyone", "Sales", "Partners"}
    members = (await api.get(f"/api/v1/groups/{new_group['id']}/users")).json()
    assert [m["id"] for m in members] == [user_id]


async def test_too_many_group_ids_is_e0000093(api: httpx.AsyncClient) -> None:
    response = await create(api, "ann@partner.example", groupIds=["00gsales0000000000001"] * 21)
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "E0000093"
    assert body["errorCauses"] == [{"errorSummary": "The number of group targets is too large"}]


async def test_unknown_group_id_refuses_the_whole_create(api: httpx.AsyncClient) -> None:
    response = await create(api, "ann@partner.example", groupIds=["00gnope00000000000000"])
    assert response.status_code == 404
    assert response.json()["errorSummary"].endswith("(UserGroup)")
    # atomic: no user was created
    assert (await api.get("/api/v1/users/ann@partner.example")).status_code == 404


async def test_get_by_id_and_by_url_encoded_login(api: httpx.AsyncClient) -> None:
    user = (await create(api, "ann+test@partner.example")).json()
    by_id = await api.get(f"/api/v1/users/{user['id']}")
    by_login = await api.get("/api/v1/users/ann%2Btest%40partner.example")
    assert by_id.status_code == by_login.status_code == 200
    assert by_login.json()["id"] == user["id"]
    assert by_id.headers["etag"]


async def test_get_miss_is_404_naming_the_key(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/users/missing@example.com")
    assert response.status_code == 404
    body = response.json()
    assert body["errorCode"] == "E0000007"
    assert body["errorSummary"] == "Not found: Resource not found: missing@example.com (User)"


async def test_partial_update_merges_and_null_deletes(api: httpx.AsyncClient, clock: Any) -> None:
    user = (await create(api, "ann@partner.example", {"nickName": "A"})).json()
    clock.advance(5)
    response = await api.post(
        f"/api/v1/users/{user['id']}",
        json={"profile": {"lastName": "Lee-Smith", "nickName": None, "title": "CTO"}},
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["profile"]["lastName"] == "Lee-Smith"
    assert updated["profile"]["firstName"] == "Ann"
    assert updated["profile"]["title"] == "CTO"
    assert updated["profile"].get("nickName") is None
    assert updated["lastUpdated"] > user["lastUpdated"]


async def test_replace_drops_properties_left_out(api: httpx.AsyncClient) -> None:
    user = (await create(api, "ann@partner.example", {"nickName": "A"})).json()
    response = await api.put(
        f"/api/v1/users/{user['id']}", json={"profile": profile("ann@partner.example", "Anne")}
    )
    assert response.status_code == 200
    assert "nickName" not in response.json()["profile"]
    assert response.json()["profile"]["firstName"] == "Anne"
    incomplete = await api.put(
        f"/api/v1/users/{user['id']}", json={"profile": {"login": "ann@partner.example"}}
    )
    assert incomplete.status_code == 400


async def test_update_enforces_login_uniqueness_and_moves_the_login(
    api: httpx.AsyncClient,
) -> None:
    user = (await create(api, "ann@partner.example")).json()
    clash = await api.post(
        f"/api/v1/users/{user['id']}", json={"profile": {"login": "BOB@hub.example"}}
    )
    assert clash.status_code == 400
    assert clash.json()["errorCauses"] == [{"errorSummary": DUPLICATE_CAUSE}]
    moved = await api.post(
        f"/api/v1/users/{user['id']}", json={"profile": {"login": "ann.lee@partner.example"}}
    )
    assert moved.status_code == 200
    assert (await api.get("/api/v1/users/ann.lee@partner.example")).json()["id"] == user["id"]
    assert (await api.get("/api/v1/users/ann@partner.example")).status_code == 404
    # the old login is free again
    assert (await create(api, "ann@partner.example")).status_code == 200


async def test_updating_a_deprovisioned_user_is_403(api: httpx.AsyncClient) -> None:
    user = (await create(api, "ann@partner.example")).json()
    await api.post(f"/api/v1/users/{user['id']}/lifecycle/deactivate")
    response = await api.post(f"/api/v1/users/{user['id']}", json={"profile": {"title": "x"}})
    assert response.status_code == 403
    assert response.json()["errorCode"] == "E0000038"


async def test_delete_twice_deactivates_then_deletes(api: httpx.AsyncClient) -> None:
    user = (await create(api, "ann@partner.example")).json()
    first = await api.delete(f"/api/v1/users/{user['id']}")
    assert first.status_code == 204 and first.content == b""
    assert "content-type" not in first.headers
    assert (await api.get(f"/api/v1/users/{user['id']}")).json()["status"] == "DEPROVISIONED"
    assert (await api.delete(f"/api/v1/users/{user['id']}")).status_code == 204
    assert (await api.get(f"/api/v1/users/{user['id']}")).status_code == 404
    assert (await api.delete(f"/api/v1/users/{user['id']}")).status_code == 404


# listing ------------------------------------------------------------------------------


async def test_plain_list_omits_deprovisioned_but_filter_includes_them(
    api: httpx.AsyncClient,
) -> None:
    user = (await create(api, "ann@partner.example")).json()
    await api.post(f"/api/v1/users/{user['id']}/lifecycle/deactivate")
    plain = await api.get("/api/v1/users")
    assert user["id"] not in [u["id"] for u in plain.json()]
    filtered = await api.get("/api/v1/users", params={"filter": 'status eq "DEPROVISIONED"'})
    assert [u["id"] for u in filtered.json()] == [user["id"]]
    assert (await api.get("/api/v1/users", params={"q": "ann"})).json() == []


async def test_filter_is_case_sensitive_and_search_is_not(api: httpx.AsyncClient) -> None:
    await create(api, "Ann.Lee@partner.example")
    exact = await api.get(
        "/api/v1/users", params={"filter": 'profile.login eq "Ann.Lee@partner.example"'}
    )
    other_case = await api.get(
        "/api/v1/users", params={"filter": 'profile.login eq "ann.lee@partner.example"'}
    )
    searched = await api.get(
        "/api/v1/users", params={"search": 'profile.login eq "ann.lee@partner.example"'}
    )
    status_lower = await api.get("/api/v1/users", params={"filter": 'status eq "provisioned"'})
    assert len(exact.json()) == 1
    assert other_case.json() == []
    assert len(searched.json()) == 1
    assert status_lower.json() == []


async def test_search_operators_and_boolean_logic(api: httpx.AsyncClient) -> None:
    await create(api, "ann@partner.example")
    await api.post("/api/v1/users", json={"profile": profile("carl@partner.example", "Carl", "Ng")})
    query = '(profile.firstName sw "an" or profile.lastName co "G") and status eq "provisioned"'
    found = await api.get("/api/v1/users", params={"search": query})
    assert sorted(u["profile"]["firstName"] for u in found.json()) == ["Ann", "Carl"]


async def test_last_updated_comparisons(api: httpx.AsyncClient, clock: Any) -> None:
    clock.advance(3600)
    await create(api, "ann@partner.example")
    since = "2025-06-15T16:00:00.000Z"  # between the seed (clock start) and the create
    found = await api.get("/api/v1/users", params={"filter": f'lastUpdated gt "{since}"'})
    assert [u["profile"]["login"] for u in found.json()] == ["ann@partner.example"]


@pytest.mark.parametrize(
    ("name", "expression"),
    [
        ("filter", 'profile.nickName eq "x"'),  # not a filterable attribute
        ("filter", 'profile.login sw "a"'),  # filter knows only eq
        ("filter", 'status eq "ACTIVE" and'),
        ("search", 'profile.nickName co "x"'),  # co only on the four names
        ("search", 'lastUpdated gt "yesterday"'),
        ("search", '(status eq "ACTIVE"'),
    ],
)
async def test_invalid_expressions_are_e0000031(
    api: httpx.AsyncClient, name: str, expression: str
) -> None:
    response = await api.get("/api/v1/users", params={name: expression})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "E0000031"


async def test_self_link_names_the_default_limit_and_reencodes_the_filter(
    api: httpx.AsyncClient,
) -> None:
    # recorded: GET /users?filter=status%20eq%20%22ACTIVE%22 -> self ?limit=200&filter=status+eq+...
    response = await api.get("/api/v1/users?filter=status%20eq%20%22ACTIVE%22")
    assert response.headers.get_list("link") == [
        '<http://127.0.0.1:8802/api/v1/users?limit=200&filter=status+eq+%22ACTIVE%22>; rel="self"'
    ]


async def test_pagination_follows_next_links_to_the_end(api: httpx.AsyncClient) -> None:
    for index in range(7):
        await create(api, f"user{index}@partner.example")
    seen: list[str] = []
    url: str | None = "/api/v1/users?limit=3"
    pages = 0
    while url:
        response = await api.get(url)
        pages += 1
        seen += [u["id"] for u in response.json()]
        assert rels(response)[0] == "self"
        url = next(
            (
                link[1 : link.index(">")]
                for link in response.headers.get_list("link")
                if 'rel="next"' in link
            ),
            None,
        )
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8  # seven new users and the seeded Bob


async def test_q_has_default_limit_10_and_no_link(api: httpx.AsyncClient) -> None:
    for index in range(12):
        await create(api, f"ann{index}@partner.example")
    response = await api.get("/api/v1/users", params={"q": "ANN"})
    assert len(response.json()) == 10
    assert "link" not in response.headers


async def test_limit_is_capped_at_200(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/v1/users", params={"limit": "500"})
    assert "limit=200" in response.headers["link"]


async def test_user_shape_follows_the_2025_26_recordings(api: httpx.AsyncClient) -> None:
    """okta/terraform/users-update-credentials.json #0 and users-update-all-attributes.json #0:
    ``realmId`` beside ``type``, no ``credentials.emails``; without a password the credentials
    are the provider alone, a password adds ``{}``, a recovery question its question only."""
    bare = (await create(api, "ann@partner.example")).json()
    assert bare["credentials"] == {"provider": {"type": "OKTA", "name": "OKTA"}}
    assert bare["realmId"].startswith("guo") and len(bare["realmId"]) == 20
    keys = list(bare)
    assert keys.index("realmId") == keys.index("passwordChanged") + 1 == keys.index("type") - 1
    question = "What is the answer to life, the universe, and everything?"
    full = await create(
        api,
        "bea@partner.example",
        credentials={
            "password": {"value": "Zz9!secret"},
            "recovery_question": {"question": question, "answer": "forty-two"},
        },
    )
    assert full.json()["credentials"] == {
        "password": {},
        "recovery_question": {"question": question},
        "provider": {"type": "OKTA", "name": "OKTA"},
    }
    assert "forty-two" not in full.text
    listed = (
        await api.get("/api/v1/users", params={"search": 'profile.firstName eq "Ann"'})
    ).json()
    assert {user["realmId"] for user in listed} == {bare["realmId"]}
    assert all("emails" not in user["credentials"] for user in listed)


async def test_put_of_credentials_alone_keeps_the_profile(api: httpx.AsyncClient) -> None:
    """okta/terraform/users-update-credentials.json #3: 200, profile unchanged, new password."""
    user = (await create(api, "ann@partner.example", extra={"title": "Buyer"})).json()
    answer = await api.put(
        f"/api/v1/users/{user['id']}", json={"credentials": {"password": {"value": "N3w-pass!"}}}
    )
    assert answer.status_code == 200
    assert answer.json()["profile"] == user["profile"]
    assert answer.json()["passwordChanged"] is not None


async def test_search_pr_means_present(api: httpx.AsyncClient) -> None:
    """okta/terraform/users-list-search.json #10: ``profile.email pr and ...`` answered 200."""
    await create(api, "ann@partner.example", extra={"title": "Buyer"})
    await create(api, "bea@partner.example", extra={"title": ""})
    await create(api, "cat@partner.example")
    titled = await api.get("/api/v1/users", params={"search": "profile.title pr"})
    assert [u["profile"]["login"] for u in titled.json()] == ["ann@partner.example"]
    query = 'profile.email pr and profile.firstName eq "Ann" and profile.lastName eq "Lee"'
    everyone = await api.get("/api/v1/users", params={"search": query})
    assert everyone.status_code == 200
    assert len(everyone.json()) == 3  # the three Ann Lees; the seed's Bob Ray is left out
