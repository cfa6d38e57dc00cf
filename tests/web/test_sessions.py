"""Sessions worth the name: random per sign-in, hashed in the store, idle and absolute expiry,
cookies that cannot raise, ``__Host-``/``Secure`` over HTTPS; the token form throttled; a
short ``[serve] token`` refused at start."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from spokesync.store import SqlStore, open_store
from spokesync.web.sessions import TOKEN, Principal, Sessions, set_cookie
from spokesync.web.throttle import MAX_FAILURES, SignInThrottle
from tests.web.service_kit import SERVE_TOKEN, serving
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]
TOKEN_CONFIG = f'[serve]\ntoken = "{SERVE_TOKEN}"\n'
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened
    opened.close()


def _sessions(store: SqlStore, clock: Clock) -> Sessions:
    return Sessions(store, idle=timedelta(hours=8), absolute=timedelta(hours=24), clock=clock)


def test_a_session_id_is_random_and_only_its_hash_is_stored(store: SqlStore) -> None:
    sessions = _sessions(store, Clock())
    person = Principal("00uann", "ann@hub.example", "Ann", frozenset({"viewer"}))
    first, second = sessions.start(person), sessions.start(person)
    assert first != second and re.fullmatch(r"[A-Za-z0-9_-]{43}", first)
    assert store.find_session(first) is None
    kept = store.find_session(hashlib.sha256(first.encode()).hexdigest())
    assert kept is not None and kept.subject == "00uann" and kept.roles == ("viewer",)
    found = sessions.find(first)
    assert found is not None and found.requested_by == {
        "subject": "00uann",
        "email": "ann@hub.example",
    }
    assert TOKEN.requested_by == {"subject": "token"}


def test_a_session_ends_after_the_idle_limit_and_after_the_absolute_one(store: SqlStore) -> None:
    clock = Clock()
    sessions = _sessions(store, clock)
    idle = sessions.start(TOKEN)
    busy = sessions.start(TOKEN)
    clock.now += timedelta(hours=7)
    assert sessions.find(busy) is not None  # used: its idle time starts again
    clock.now += timedelta(hours=2)
    assert sessions.find(idle) is None  # 9 h unused
    assert sessions.find(busy) is not None
    for hours in (13, 17, 21, 23.9):
        clock.now = START + timedelta(hours=hours)
        assert sessions.find(busy) is not None  # never idle 8 h
    clock.now = START + timedelta(hours=24, minutes=1)
    assert sessions.find(busy) is None  # past the absolute limit, however busy


def test_expired_sessions_are_deleted_by_housekeeping(store: SqlStore) -> None:
    clock = Clock()
    sessions = _sessions(store, clock)
    kept = sessions.start(TOKEN)
    clock.now += timedelta(hours=9)
    assert sessions.end_expired() == 1
    assert store.find_session(hashlib.sha256(kept.encode()).hexdigest()) is None
    fresh = sessions.start(TOKEN)
    clock.now += timedelta(hours=9)
    sessions.start(TOKEN)  # every sign-in also clears out the expired ones
    assert store.find_session(hashlib.sha256(fresh.encode()).hexdigest()) is None


@pytest.mark.parametrize(
    "cookie", ["", "é" * 43, "x" * 42, "x" * 44, "../../" + "x" * 37, "\x00" * 43, "0" * 64]
)
def test_a_cookie_that_is_not_ours_is_no_session_and_never_raises(
    store: SqlStore, cookie: str
) -> None:
    assert _sessions(store, Clock()).find(cookie) is None


def test_the_session_cookie_is_host_prefixed_and_secure_over_https() -> None:
    for scheme, name, secure in (("https", "__Host-spokesync_session", True),
                                 ("http", "spokesync_session", False)):  # fmt: skip
        host = [(b"host", b"spokesync.example")]
        request = Request({"type": "http", "scheme": scheme, "path": "/", "headers": host})
        response = Response()
        set_cookie(request, response, "spokesync_session", "v")
        header = response.headers["set-cookie"]
        assert header.startswith(f"{name}=v;")
        assert "HttpOnly" in header and "SameSite=strict" in header and "Path=/" in header
        assert ("Secure" in header) is secure
        assert "Domain" not in header


def test_the_throttle_locks_out_after_repeated_failures_and_doubles_the_wait() -> None:
    now = [0.0]
    throttle = SignInThrottle(clock=lambda: now[0])
    for _ in range(MAX_FAILURES - 1):
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") is None
    throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 30
    assert throttle.retry_after("10.0.0.2") is None  # per client
    now[0] = 31.0
    assert throttle.retry_after("10.0.0.1") is None
    for _ in range(MAX_FAILURES):
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 60


def _csrf(client: httpx.Client) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert match
    return match.group(1)


def test_wrong_tokens_at_the_form_are_throttled_with_retry_after(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world, extra_config=TOKEN_CONFIG) as svc:
        csrf = _csrf(svc.http)
        for _ in range(MAX_FAILURES):
            wrong = svc.http.post("/signin", data={"csrf": csrf, "token": "guess"})
            assert wrong.status_code == 401
        locked = svc.http.post("/signin", data={"csrf": csrf, "token": SERVE_TOKEN})
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        assert "spokesync_session" not in svc.http.cookies
        # Automation with the Bearer token is not locked out by someone guessing at the form.
        bearer = {"Authorization": f"Bearer {SERVE_TOKEN}"}
        assert svc.http.get("/api/status", headers=bearer).status_code == 200


def test_a_token_sign_in_is_a_server_side_session_that_sign_out_revokes(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world, extra_config=TOKEN_CONFIG) as svc:
        csrf = _csrf(svc.http)
        assert (
            svc.http.post("/signin", data={"csrf": csrf, "token": SERVE_TOKEN}).status_code == 303
        )
        old = svc.http.cookies["spokesync_session"]
        copy = httpx.Client(base_url=svc.url, cookies={"spokesync_session": old})
        assert copy.get("/api/status").status_code == 200
        run = copy.post("/api/runs", json={})
        assert run.status_code == 202
        assert svc.wait_for_run(run.json()["run_id"])["requested_by"] == {"subject": "token"}
        svc.http.post("/auth/logout", data={"csrf": csrf})
        assert copy.get("/api/status").status_code == 401


def test_a_non_ascii_session_cookie_is_401_not_500(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world, extra_config=TOKEN_CONFIG) as svc:
        for raw in ("spokesync_session=é".encode(), b"spokesync_session=\xff\xfe", b"=;;="):
            answer = svc.http.get("/api/status", headers={"Cookie": raw})  # type: ignore[dict-item]
            assert answer.status_code == 401
            page = svc.http.get("/", headers={"Cookie": raw})  # type: ignore[dict-item]
            assert page.status_code == 303


def test_a_token_shorter_than_32_characters_is_refused_at_start(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config('[serve]\ntoken = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"\n')  # 31 characters
    result = world.cli("serve", "--http", "off")
    assert result.exit_code == 2
    assert "serve.token" in result.stderr + result.stdout
    assert "shorter than 32 characters" in result.stderr + result.stdout
