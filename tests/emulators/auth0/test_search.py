"""User search: the Lucene subset, sorting, paging and errors (through HTTP and directly)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spokesync.emulators.auth0.clock import iso_millis
from spokesync.emulators.auth0.search import QueryError, compile_query
from tests.emulators.auth0.conftest import Emulator, MakeEmulator, bulk_users, seed_with


async def _ids(emulator: Emulator, **params: str) -> list[str]:
    response = await emulator.client.get("/api/v2/users", params=params)
    assert response.status_code == 200, response.text
    return [user["user_id"] for user in response.json()]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("updated_at:[2023-02-10T10:00:00.000Z TO *]", ["auth0|bob", "google-oauth2|carl"]),
        ("updated_at:{2023-02-10T10:00:00.000Z TO *]", ["google-oauth2|carl"]),
        ("updated_at:[* TO 2023-02-10T10:00:00.000Z}", ["auth0|ann"]),
        ("updated_at:[2023-01-01 TO 2023-02-28]", ["auth0|ann", "auth0|bob"]),
        ('user_id:"auth0|bob"', ["auth0|bob"]),
        ('email:"ANN@partner.example"', ["auth0|ann"]),
        ("email:*@partner.example", ["auth0|ann", "auth0|bob"]),
        ("_exists_:app_metadata", ["auth0|ann"]),
        ("user_metadata.team:blue", ["auth0|ann"]),
        ("identities.provider:google-oauth2", ["google-oauth2|carl"]),
        ("blocked:true", ["auth0|bob"]),
        (
            'email:"bob@partner.example" OR email:"carl@other.example"',
            ["auth0|bob", "google-oauth2|carl"],
        ),
        (
            "(_exists_:app_metadata OR blocked:true) AND updated_at:[2023-02-01 TO *]",
            ["auth0|bob"],
        ),
        ("NOT blocked:true AND _exists_:email", ["auth0|ann", "google-oauth2|carl"]),
    ],
)
async def test_queries(emulator: Emulator, query: str, expected: list[str]) -> None:
    assert await _ids(emulator, q=query, search_engine="v3") == expected


@pytest.mark.anyio
async def test_sort_totals_and_fields(emulator: Emulator) -> None:
    params = {
        "q": "_exists_:email",
        "sort": "updated_at:-1",
        "include_totals": "true",
        "per_page": "2",
        "fields": "user_id,updated_at",
    }
    body = (await emulator.client.get("/api/v2/users", params=params)).json()
    assert set(body) == {"start", "limit", "length", "users", "total"}
    assert (body["start"], body["limit"], body["length"], body["total"]) == (0, 2, 2, 3)
    assert [u["user_id"] for u in body["users"]] == ["google-oauth2|carl", "auth0|bob"]
    assert set(body["users"][0]) == {"user_id", "updated_at"}


@pytest.mark.anyio
@pytest.mark.parametrize(
    "query",
    [
        "free text",
        'email:"unterminated',
        "updated_at:[a b]",
        "email:a email:b",
        "AND email:a",
        "(email:a",
    ],
)
async def test_unsupported_syntax_is_400(emulator: Emulator, query: str) -> None:
    response = await emulator.client.get("/api/v2/users", params={"q": query})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "invalid_query_string"


@pytest.mark.anyio
async def test_paging_past_1000_is_400(make_emulator: MakeEmulator) -> None:
    emulator = await make_emulator(seed_with(bulk_users(120)))
    assert len(await _ids(emulator, page="1", per_page="100")) == 20
    response = await emulator.client.get("/api/v2/users", params={"page": "10", "per_page": "100"})
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "You can only page through the first 1000 records. "
        "See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation",
        "errorCode": "invalid_paging",
    }
    assert (
        await emulator.client.get("/api/v2/users", params={"per_page": "101"})
    ).status_code == 400


START = datetime(2023, 1, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=10**9).map(
    lambda ms: START + timedelta(milliseconds=ms)
)


@settings(max_examples=200, deadline=None)
@given(value=moments, low=moments, high=moments, low_in=st.booleans(), high_in=st.booleans())
def test_date_ranges_agree_with_datetime_comparison(
    value: datetime, low: datetime, high: datetime, low_in: bool, high_in: bool
) -> None:
    doc: dict[str, Any] = {"user_id": "auth0|x", "updated_at": iso_millis(value.timestamp())}
    opening, closing = ("[" if low_in else "{"), ("]" if high_in else "}")
    bounds = f"{iso_millis(low.timestamp())} TO {iso_millis(high.timestamp())}"
    query = f"updated_at:{opening}{bounds}{closing}"
    expected = (low <= value if low_in else low < value) and (
        value <= high if high_in else value < high
    )
    assert compile_query(query)(doc) == expected


@given(st.text(max_size=30))
def test_compile_never_crashes_with_anything_but_query_error(text: str) -> None:
    # anything else (IndexError, TypeError, ...) would fail the test
    with contextlib.suppress(QueryError):
        compile_query(text)


# Field grouping and escaped phrases: Lucene query parser syntax ("Field Grouping",
# "Escaping Special Characters"), which Auth0's v3 search follows (reference §5).


@pytest.mark.parametrize(
    ("query", "matching"),
    [
        ('user_id:("auth0|a" OR "auth0|c")', {"auth0|a", "auth0|c"}),
        ("user_id:(auth0|b)", {"auth0|b"}),
        ('user_id:("q\\"uote" OR "back\\\\slash")', {'q"uote', "back\\slash"}),
        ('user_id:("auth0|a" OR "auth0|b") AND NOT user_id:"auth0|b"', {"auth0|a"}),
        ('user_id:("par)en" OR "auth0|c")', {"par)en", "auth0|c"}),
    ],
)
def test_field_grouping_and_escaped_phrases(query: str, matching: set[str]) -> None:
    ids = ["auth0|a", "auth0|b", "auth0|c", 'q"uote', "back\\slash", "par)en"]
    predicate = compile_query(query)
    assert {i for i in ids if predicate({"user_id": i})} == matching


@pytest.mark.parametrize("query", ["user_id:(", 'user_id:("a" OR', "user_id:()"])
def test_broken_groups_are_refused(query: str) -> None:
    with pytest.raises(QueryError):
        compile_query(query)
