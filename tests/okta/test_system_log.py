"""OktaClient's System Log polling against the Okta emulator (ASGI, no sockets).

The emulator follows the spec's ``listLogEvents`` and Okta's System Log query guide: a request
without ``until`` polls, and its ``next`` link is always there, even on an empty page.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from spokesync.emulators.okta import create_app
from spokesync.http.errors import CursorLost
from spokesync.okta.client import OktaClient

ORG = "http://127.0.0.1:8802"
SEED: dict[str, Any] = {
    "api_tokens": ["t1", "admin"],
    "groups": [{"id": "00gA1", "name": "Salesforce Users"}],
    "users": [
        {
            "id": f"00uU{i}",
            "status": "ACTIVE",
            "profile": {
                "login": f"u{i}@hub.example",
                "email": f"u{i}@hub.example",
                "firstName": "U",
                "lastName": "Ser",
            },
            "groups": [],
        }
        for i in range(5)
    ],
}
SINCE = "2000-01-01T00:00:00.000Z"
WANTED = ("group.user_membership.", "user.lifecycle.")


@pytest.mark.anyio
async def test_polls_from_since_then_follows_next_with_one_request_when_idle() -> None:
    transport = httpx.ASGITransport(app=create_app(SEED))
    async with (
        OktaClient(ORG, "t1", transport=transport) as reader,
        OktaClient(ORG, "admin", transport=transport) as admin,
    ):
        first, position = await reader.log_events(None, since=SINCE, limit=2, event_types=WANTED)
        for i in range(5):
            await admin.add_to_group("00gA1", f"00uU{i}")
        await admin.update_profile("00uU0", {"firstName": "Filtered"})  # not a wanted type
        await admin.suspend("00uU1")
        before = reader.calls.total()
        events, position = await reader.log_events(position, since=SINCE, limit=2)
        pages = reader.calls.total() - before
        idle, again = await reader.log_events(position, since=SINCE, limit=2)
        idle_calls = reader.calls.total() - before - pages
    assert first == []
    assert [e.event_type for e in events] == ["group.user_membership.add"] * 5 + [
        "user.lifecycle.suspend"
    ]
    assert events[0].targets_of("User") == ("00uU0",) and events[0].targets_of("UserGroup") == (
        "00gA1",
    )
    assert pages == 4  # 6 events, 2 a page: the fourth, shorter page ends the read
    assert idle == [] and idle_calls == 1 and again == position


@pytest.mark.anyio
async def test_a_refused_position_is_a_lost_cursor() -> None:
    async with OktaClient(ORG, "t1", transport=httpx.ASGITransport(app=create_app(SEED))) as c:
        with pytest.raises(CursorLost):
            await c.log_events("/api/v1/logs?after=not-a-cursor&limit=2", since=SINCE)
