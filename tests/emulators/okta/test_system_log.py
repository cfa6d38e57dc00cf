"""The System Log: a ``LogEvent`` per API write, read through ``GET /api/v1/logs``.

Sources followed: the spec (``listLogEvents`` parameters, scope ``okta.logs.read``, 400
``ErrorApiValidationFailed400``, the ``LogEvent`` schema, ``LogTransaction``'s
``requestApiTokenId``), reference §3 (``Link`` headers, ``after`` cursors) and §8 (rate-limit
headers); Okta's System Log query guide for polling (no ``until``: the ``next`` link is always
there, even on an empty page). Assumed, as log_events.py and log_routes.py say: the actor of an
API-token write is derived from the token, ``until`` is exclusive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from spokesync.emulators.okta import create_app
from spokesync.emulators.okta.auth import api_token_id
from spokesync.emulators.okta.state import IssuedToken
from tests.emulators.okta.spec_schemas import SpecValidators, component_schemas
from tests.emulators.okta.support import TOKEN, FakeClock, client, next_url, profile, rels, seed

pytestmark = pytest.mark.anyio

BOB = "00ubob00000000000001"
SALES = "00gsales0000000000001"
OTHER_TOKEN = "ssws-other-token"


@pytest.fixture
def app(clock: FakeClock) -> Starlette:
    return create_app(seed(api_tokens=[TOKEN, OTHER_TOKEN]), clock=clock)


def bearer(app: Starlette, clock: FakeClock, client_id: str, *scopes: str) -> dict[str, str]:
    """Headers of an OAuth access token issued to ``client_id`` (as /oauth2/v1/token would)."""
    token = f"token-of-{client_id}-{'-'.join(scopes)}"
    app.state.org.access_tokens[token] = IssuedToken(client_id, frozenset(scopes), clock() + 3600)
    return {"Authorization": f"Bearer {token}"}


async def events(api: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await api.get("/api/v1/logs", params=params)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def make_ann(api: httpx.AsyncClient, **query: str) -> str:
    created = await api.post(
        "/api/v1/users",
        params=query,
        json={
            "profile": profile("ann@partner.example"),
            "credentials": {"password": {"value": "Secret-Passw0rd!"}},
            "groupIds": [SALES],
        },
    )
    assert created.status_code == 200, created.text
    user_id: str = created.json()["id"]
    return user_id


async def test_each_write_logs_its_event(api: httpx.AsyncClient) -> None:
    ann = await make_ann(api, activate="false")
    lifecycle = f"/api/v1/users/{ann}/lifecycle"
    for step in ("activate", "suspend", "unsuspend", "deactivate", "activate", "deactivate"):
        assert (await api.post(f"{lifecycle}/{step}", params={"sendEmail": "false"})).is_success
    group = (await api.post("/api/v1/groups", json={"profile": {"name": "Ops"}})).json()["id"]
    assert (await api.put(f"/api/v1/groups/{group}/users/{BOB}")).status_code == 204
    assert (await api.put(f"/api/v1/groups/{group}/users/{BOB}")).status_code == 204  # no change
    assert (await api.delete(f"/api/v1/groups/{group}/users/{BOB}")).status_code == 204
    assert (await api.post(f"/api/v1/users/{BOB}", json={"profile": {"nickName": "B"}})).is_success
    assert (await api.delete(f"/api/v1/users/{ann}")).status_code == 204
    found = await events(api)
    assert [event["eventType"] for event in found] == [
        "user.lifecycle.create",
        "group.user_membership.add",
        "user.lifecycle.activate",
        "user.lifecycle.suspend",
        "user.lifecycle.unsuspend",
        "user.lifecycle.deactivate",
        "user.lifecycle.activate",
        "user.lifecycle.deactivate",
        "group.lifecycle.create",
        "group.user_membership.add",
        "group.user_membership.remove",
        "user.account.update_profile",
        "user.lifecycle.delete.initiated",
    ]
    create, membership = found[0], found[1]
    assert create["target"] == [
        {"id": ann, "type": "User", "alternateId": "ann@partner.example", "displayName": "Ann Lee"}
    ]
    assert [target["type"] for target in membership["target"]] == ["User", "UserGroup"]
    assert membership["target"][1]["id"] == SALES
    assert membership["target"][1]["displayName"] == "Sales"
    assert {event["outcome"]["result"] for event in found} == {"SUCCESS"}
    assert len({event["uuid"] for event in found}) == len(found)
    assert found[-2]["target"][0]["id"] == BOB


async def test_created_active_logs_create_then_activate(api: httpx.AsyncClient) -> None:
    await make_ann(api)
    assert [event["eventType"] for event in await events(api)] == [
        "user.lifecycle.create",
        "user.lifecycle.activate",
        "group.user_membership.add",
    ]


async def test_failed_writes_and_reads_log_nothing(api: httpx.AsyncClient) -> None:
    await api.get("/api/v1/users")
    refused = await api.post(f"/api/v1/users/{BOB}/lifecycle/unsuspend")
    assert refused.status_code == 400
    assert await events(api) == []


async def test_actor_identifies_the_token_or_client(
    app: Starlette, api: httpx.AsyncClient, clock: FakeClock
) -> None:
    service = bearer(app, clock, "0oaservice", "okta.users.manage", "okta.logs.read")
    await api.post(f"/api/v1/users/{BOB}/lifecycle/suspend", headers=service)
    await api.post(f"/api/v1/users/{BOB}/lifecycle/unsuspend")
    await api.post(
        f"/api/v1/users/{BOB}/lifecycle/deactivate",
        headers={"Authorization": f"SSWS {OTHER_TOKEN}"},
    )
    by_app, by_token, by_other = await events(api, limit="3")
    assert by_app["actor"] == {
        "id": "0oaservice",
        "type": "PublicClientApp",
        "alternateId": "0oaservice",
        "displayName": "0oaservice",
    }
    assert by_app["client"]["id"] == "0oaservice"
    assert by_token["actor"]["type"] == "User"
    assert by_token["transaction"]["detail"] == {"requestApiTokenId": api_token_id(TOKEN)}
    assert by_other["transaction"]["detail"] == {"requestApiTokenId": api_token_id(OTHER_TOKEN)}
    assert by_token["actor"]["id"] != by_other["actor"]["id"]
    assert TOKEN not in str(by_token) and OTHER_TOKEN not in str(by_other)
    # a client finds its own writes by filtering on its actor
    own = await events(api, filter='actor.id eq "0oaservice"')
    assert [event["eventType"] for event in own] == ["user.lifecycle.suspend"]


async def test_polling_next_link_is_always_there(api: httpx.AsyncClient, clock: FakeClock) -> None:
    empty = await api.get("/api/v1/logs")
    assert empty.json() == [] and rels(empty) == ["self", "next"]
    await make_ann(api, activate="false")
    await api.post(f"/api/v1/users/{BOB}/lifecycle/suspend")
    first = await api.get("/api/v1/logs", params={"limit": "2"})
    assert [event["eventType"] for event in first.json()] == [
        "user.lifecycle.create",
        "group.user_membership.add",
    ]
    second = await api.get(str(next_url(first)))
    assert [event["eventType"] for event in second.json()] == ["user.lifecycle.suspend"]
    drained = await api.get(str(next_url(second)))
    assert drained.json() == [] and rels(drained) == ["self", "next"]
    # the next link of an empty poll picks up what is written afterwards, and only that
    clock.advance(1)
    await api.post(f"/api/v1/users/{BOB}/lifecycle/unsuspend")
    later = await api.get(str(next_url(drained)))
    assert [event["eventType"] for event in later.json()] == ["user.lifecycle.unsuspend"]
    # the first, empty poll's link started before everything
    from_start = await api.get(str(next_url(empty)))
    assert len(from_start.json()) == 4


async def test_bounded_requests_end_their_next_links(
    api: httpx.AsyncClient, clock: FakeClock
) -> None:
    start = "2025-06-15T00:00:00Z"
    for step in ("suspend", "unsuspend", "suspend"):
        clock.advance(1)
        await api.post(f"/api/v1/users/{BOB}/lifecycle/{step}")
    until = "2030-01-01T00:00:00Z"
    first = await api.get("/api/v1/logs", params={"since": start, "until": until, "limit": "2"})
    assert len(first.json()) == 2 and rels(first) == ["self", "next"]
    rest = await api.get(str(next_url(first)))
    assert len(rest.json()) == 1 and rels(rest) == ["self"]
    # without since, a bounded request looks back 7 days from until (spec default)
    assert await events(api, until=until) == []
    newest_first = await events(api, since=start, until=until, sortOrder="DESCENDING")
    assert [event["eventType"] for event in newest_first] == [
        "user.lifecycle.suspend",
        "user.lifecycle.unsuspend",
        "user.lifecycle.suspend",
    ]
    assert newest_first[0]["published"] > newest_first[-1]["published"]
    # until is exclusive, since inclusive
    second = newest_first[1]["published"]
    assert len(await events(api, since=second, until=until)) == 2
    assert len(await events(api, since=start, until=second)) == 1


async def test_filter_and_q(api: httpx.AsyncClient) -> None:
    ann = await make_ann(api, activate="false")
    await api.post(f"/api/v1/users/{BOB}/lifecycle/suspend")
    suspended = await events(api, filter='eventType eq "user.lifecycle.suspend"')
    assert [event["target"][0]["id"] for event in suspended] == [BOB]
    about_ann = await events(api, filter=f'target.id eq "{ann}"')
    assert [event["eventType"] for event in about_ann] == [
        "user.lifecycle.create",
        "group.user_membership.add",
    ]
    combined = await events(
        api,
        filter='(eventType eq "user.lifecycle.create" or eventType sw "user.lifecycle.sus") '
        'and target.type eq "User"',
    )
    assert len(combined) == 2
    in_sales = await events(api, filter=f'target.id eq "{SALES}" and target.id eq "{ann}"')
    assert [event["eventType"] for event in in_sales] == ["group.user_membership.add"]
    keyword = await events(api, q="SUSPEND bob@hub")
    assert [event["eventType"] for event in keyword] == ["user.lifecycle.suspend"]
    published = suspended[0]["published"]
    assert len(await events(api, filter=f'published ge "{published}"')) >= 1


@pytest.mark.parametrize(
    "params",
    [
        {"filter": 'actor.secret eq "x"'},
        {"filter": 'eventType gt "a"'},
        {"filter": "eventType eq"},
        {"limit": "1001"},
        {"limit": "ten"},
        {"since": "yesterday"},
        {"after": "nope"},
        {"sortOrder": "UP"},
        {"q": " ".join(["word"] * 11)},
    ],
)
async def test_bad_parameters_are_e0000001(api: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await api.get("/api/v1/logs", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "E0000001"
    assert body["errorSummary"] == f"Api validation failed: {next(iter(params))}"


async def test_log_delay(clock: FakeClock) -> None:
    app = create_app(seed(), clock=clock, log_delay_ms=2000)
    async with client(app) as api:
        await api.post(f"/api/v1/users/{BOB}/lifecycle/suspend")
        empty = await api.get("/api/v1/logs")
        assert empty.json() == []
        clock.advance(1)
        await api.post(f"/api/v1/users/{BOB}/lifecycle/unsuspend")
        clock.advance(1)
        # the first event shows, the second not yet; the next link must not skip it
        shown = await api.get(str(next_url(empty)))
        assert [event["eventType"] for event in shown.json()] == ["user.lifecycle.suspend"]
        clock.advance(1)
        later = await api.get(str(next_url(shown)))
        assert [event["eventType"] for event in later.json()] == ["user.lifecycle.unsuspend"]


async def test_scope_and_credentials(
    app: Starlette, api: httpx.AsyncClient, clock: FakeClock
) -> None:
    reader = bearer(app, clock, "0oareader", "okta.logs.read")
    assert (await api.get("/api/v1/logs", headers=reader)).status_code == 200
    writer = bearer(app, clock, "0oawriter", "okta.users.manage")
    refused = await api.get("/api/v1/logs", headers=writer)
    assert (refused.status_code, refused.json()["errorCode"]) == (403, "E0000006")
    anonymous = await api.get("/api/v1/logs", headers={"Authorization": ""})
    assert (anonymous.status_code, anonymous.json()["errorCode"]) == (401, "E0000011")


async def test_logs_have_their_own_rate_limit_bucket(api: httpx.AsyncClient) -> None:
    logs = await api.get("/api/v1/logs")
    users = await api.get("/api/v1/users")
    assert logs.headers["x-rate-limit-limit"] == "120"
    assert logs.headers["x-rate-limit-remaining"] == "119"
    assert users.headers["x-rate-limit-limit"] == "600"


async def test_events_match_the_spec(
    app: Starlette, api: httpx.AsyncClient, clock: FakeClock, pytestconfig: pytest.Config
) -> None:
    await make_ann(api)
    group = (await api.post("/api/v1/groups", json={"profile": {"name": "Ops"}})).json()["id"]
    await api.delete(f"/api/v1/groups/{group}")
    await api.post(
        f"/api/v1/users/{BOB}/lifecycle/suspend",
        headers=bearer(app, clock, "0oaservice", "okta.users.manage"),
    )
    spec = SpecValidators(component_schemas(pytestconfig))
    found = await events(api)
    assert len(found) == 6
    for event in found:
        assert spec.errors("LogEvent", event) == [], event["eventType"]


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client(app) as http:
        yield http
