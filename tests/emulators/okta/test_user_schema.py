"""The Okta emulator's user profile schema: ``GET``/``POST /api/v1/meta/schemas/user/{id}``
and its enforcement on creates and updates.

Followed, in this order: the recordings of terraform-provider-okta (tests/reference/
recordings/okta/terraform/), then the official spec (``getUserSchema``, ``updateUserProfile``).
Neither shows an update refused by the schema nor a value of the wrong type: for those the
emulator answers the same body as the recorded create (400 E0000001 "Api validation failed:
newUser", the recorded cause for an undefined property) and says a type mismatch in the
``NAME: The field ...`` form of the documented field causes (reference okta-api.md §1).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spokesync.emulators.okta import create_app
from spokesync.emulators.okta.state import IssuedToken
from tests import reference
from tests.emulators.okta.shape import shape_differences
from tests.emulators.okta.support import FakeClock, client, profile, seed

pytestmark = pytest.mark.anyio

CUSTOM = {"partnerOrganization": {"type": "string"}, "seats": {"type": "integer"}}
TYPES = [{"id": "otyPartner0000000001", "name": "Partner", "schema": {"custom": CUSTOM}}]


@pytest.fixture
async def api(clock: FakeClock) -> Any:
    app = create_app(seed(schema={"custom": {"costCode": {"type": "string"}}}, user_types=TYPES))
    async with client(app) as http:
        yield http


def recorded(name: str, index: int) -> dict[str, Any]:
    return reference.interaction("okta", f"terraform/{name}", index)


async def test_default_schema_is_shaped_as_recorded(api: httpx.AsyncClient) -> None:
    got = await api.get("/api/v1/meta/schemas/user/default")
    assert got.status_code == 200
    expected = recorded("users-custom-profile-attributes", 1)["response"]["body"]
    body = got.json()
    # Keys and JSON types, recursively (values differ: ids, times, the recorded org's own
    # custom attributes).
    for part in ("_links", "type", "properties", "$schema", "name", "title"):
        assert shape_differences(expected[part], body[part]) == [], part
    assert list(body) == list(expected)
    base = body["definitions"]["base"]
    assert base == expected["definitions"]["base"]  # all 31 base attributes, as recorded
    assert body["definitions"]["custom"]["properties"] == {
        "costCode": {
            "title": "costCode",
            "type": "string",
            "mutability": "READ_WRITE",
            "scope": "NONE",
            "permissions": [{"principal": "SELF", "action": "READ_ONLY"}],
            "master": {"type": "PROFILE_MASTER"},
        }
    }
    assert body["id"].endswith("/meta/schemas/user/default")  # as recorded


async def test_each_user_type_links_its_own_schema(api: httpx.AsyncClient) -> None:
    types = {t["name"]: t for t in (await api.get("/api/v1/meta/types/user")).json()}
    partner = types["Partner"]
    # recorded (user-types-crud.json #0): oty<tail> -> osc<tail>, with rel and method
    assert partner["_links"]["schema"] == {
        "rel": "schema",
        "href": "http://127.0.0.1:8802/api/v1/meta/schemas/user/oscPartner0000000001",
        "method": "GET",
    }
    assert partner["_links"]["self"]["href"].endswith("/api/v1/meta/types/user/" + partner["id"])
    schema = (await api.get(partner["_links"]["schema"]["href"])).json()
    assert set(schema["definitions"]["custom"]["properties"]) == set(CUSTOM)
    assert schema["_links"]["type"]["href"].endswith(partner["id"])
    default = (await api.get(types["user"]["_links"]["schema"]["href"])).json()
    assert set(default["definitions"]["custom"]["properties"]) == {"costCode"}
    missing = await api.get("/api/v1/meta/schemas/user/oscNoSuchSchema00001")
    assert (missing.status_code, missing.json()["errorCode"]) == (404, "E0000007")


async def test_an_undefined_property_is_answered_as_recorded(api: httpx.AsyncClient) -> None:
    exchange = recorded("users-invalid-custom-profile-attribute-400", 0)
    request = exchange["request"]
    got = await api.post("/api/v1/users", json=request["body"])
    want = exchange["response"]
    assert got.status_code == want["status"] == 400
    body, expected = got.json(), want["body"]
    assert set(body) == set(expected)
    for key in ("errorCode", "errorSummary", "errorLink", "errorCauses"):
        assert body[key] == expected[key], key


async def test_a_custom_attribute_of_the_type_is_accepted(api: httpx.AsyncClient) -> None:
    # recorded create with a custom attribute: users-custom-profile-attributes.json #5
    partner = {**profile("pat@partner.example"), "partnerOrganization": "Acme", "seats": 3}
    made = await api.post(
        "/api/v1/users", json={"profile": partner, "type": {"id": TYPES[0]["id"]}}
    )
    assert made.status_code == 200
    assert made.json()["profile"]["partnerOrganization"] == "Acme"
    # the default type's schema does not define it
    plain = await api.post(
        "/api/v1/users", json={"profile": {**profile("dan@partner.example"), "seats": 3}}
    )
    assert plain.json()["errorCauses"] == [
        {"errorSummary": "Property name 'seats' is not defined in profile"}
    ]


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_updates_are_checked_too(api: httpx.AsyncClient, method: str) -> None:
    made = await api.post("/api/v1/users", json={"profile": profile("eve@partner.example")})
    user = made.json()
    body = {"profile": {**user["profile"], "partnerOrganization": "Acme"}}
    refused = await api.request(method, f"/api/v1/users/{user['id']}", json=body)
    assert refused.status_code == 400
    assert refused.json()["errorSummary"] == "Api validation failed: newUser"
    assert refused.json()["errorCauses"] == [
        {"errorSummary": "Property name 'partnerOrganization' is not defined in profile"}
    ]
    fine = {"profile": {**user["profile"], "costCode": "CC-1"}}
    assert (await api.request(method, f"/api/v1/users/{user['id']}", json=fine)).status_code == 200


@pytest.mark.parametrize(
    ("attribute", "value", "cause"),
    [
        ("seats", "three", "seats: The field must be an integer"),
        ("seats", True, "seats: The field must be an integer"),
        ("partnerOrganization", 7, "partnerOrganization: The field must be a string"),
        ("title", ["x"], "title: The field must be a string"),  # base attributes are strings
    ],
)
async def test_a_value_of_the_wrong_type_is_refused(
    api: httpx.AsyncClient, attribute: str, value: Any, cause: str
) -> None:
    body = {"profile": {**profile("fay@partner.example"), attribute: value}}
    body["type"] = {"id": TYPES[0]["id"]}
    refused = await api.post("/api/v1/users", json=body)
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "E0000001"
    assert refused.json()["errorCauses"] == [{"errorSummary": cause}]


async def test_schema_updates_add_and_remove_attributes(api: httpx.AsyncClient) -> None:
    # recorded: users-custom-profile-attributes.json #0 (add), #18 to #23 (remove with null:
    # the users' values of it go too)
    add = recorded("users-custom-profile-attributes", 0)["request"]["body"]
    added = await api.post("/api/v1/meta/schemas/user/default", json=add)
    assert added.status_code == 200
    attribute = added.json()["definitions"]["custom"]["properties"]["customAttribute123"]
    want = recorded("users-custom-profile-attributes", 1)["response"]["body"]
    assert attribute == want["definitions"]["custom"]["properties"]["customAttribute123"]
    user = (
        await api.post(
            "/api/v1/users",
            json={"profile": {**profile("gil@partner.example"), "customAttribute123": "x"}},
        )
    ).json()
    remove = {
        "definitions": {"custom": {"id": "#custom", "properties": {"customAttribute123": None}}}
    }
    removed = await api.post("/api/v1/meta/schemas/user/default", json=remove)
    assert "customAttribute123" not in removed.json()["definitions"]["custom"]["properties"]
    again = (await api.get(f"/api/v1/users/{user['id']}")).json()
    assert "customAttribute123" not in again["profile"]
    bad = {"definitions": {"custom": {"properties": {"odd": {"type": "date"}}}}}
    assert (await api.post("/api/v1/meta/schemas/user/default", json=bad)).status_code == 400


async def test_schema_scopes(clock: FakeClock) -> None:
    """``okta.schemas.read`` to read, ``okta.schemas.manage`` to change (spec security)."""
    app = create_app(seed(), clock=clock)
    org = app.state.org
    org.access_tokens["reader"] = IssuedToken("0oaapp", frozenset({"okta.schemas.read"}), 2e9)
    org.access_tokens["users"] = IssuedToken("0oaapp", frozenset({"okta.users.manage"}), 2e9)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8802"
    ) as http:
        path = "/api/v1/meta/schemas/user/default"
        read = await http.get(path, headers={"Authorization": "Bearer reader"})
        assert read.status_code == 200
        write = await http.post(path, json={}, headers={"Authorization": "Bearer reader"})
        assert write.status_code == 403
        other = await http.get(path, headers={"Authorization": "Bearer users"})
        assert (other.status_code, other.json()["errorCode"]) == (403, "E0000006")


def test_seed_schema_errors_name_the_key() -> None:
    with pytest.raises(ValueError, match=r"okta.schema.custom.x.type must be one of"):
        create_app(seed(schema={"custom": {"x": {"type": "date"}}}))
    with pytest.raises(ValueError, match="is a base attribute"):
        create_app(seed(schema={"custom": {"email": {"type": "string"}}}))
    with pytest.raises(ValueError, match=r"okta.user_types\[0\].schema"):
        create_app(seed(user_types=[{"name": "P", "schema": {"extra": {}}}]))
