"""A world whose Okta emulator is the OpenID provider of the service under test.

The service's port must be in the emulator's registered redirect URIs and in the config's
``redirect_url``, so the listening socket is made first. People and their groups:
``vic`` views, ``olga`` operates, ``amy`` approves, ``nora`` holds no spokesync group.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from spokesync.service import listen_socket
from tests.web.service_kit import OIDC_SECRET
from tests.world_kit import GROUP, GROUP_NAME, World

CLIENT_ID = "0oaspokesyncweb"
PASSWORD = "correct horse battery staple"
VIEWERS, OPERATORS, APPROVERS = "spokesync-viewers", "spokesync-operators", "spokesync-approvers"
GROUP_IDS = {VIEWERS: "00gviewers", OPERATORS: "00goperators", APPROVERS: "00gapprovers"}


@dataclass(frozen=True)
class Person:
    okta_id: str
    login: str
    groups: tuple[str, ...]


VIC = Person("00uvic0000000000001", "vic@hub.example", (VIEWERS,))
OLGA = Person("00uolga000000000001", "olga@hub.example", (OPERATORS,))
AMY = Person("00uamy0000000000001", "amy@hub.example", (APPROVERS,))
NORA = Person("00unora000000000001", "nora@hub.example", ())
PEOPLE = (VIC, OLGA, AMY, NORA)


def oidc_socket() -> tuple[socket.socket, str]:
    """A listening socket for the service and its base URL."""
    sock = listen_socket("127.0.0.1", 0)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def with_oidc(document: dict[str, Any], service_url: str) -> dict[str, Any]:
    """``document`` (a world seed) plus the people, their groups and the OIDC web app."""
    okta = document["okta"]
    okta["groups"] = [
        *(okta.get("groups") or [{"id": GROUP, "name": GROUP_NAME}]),
        *({"id": gid, "name": name} for name, gid in GROUP_IDS.items()),
    ]
    okta["users"] = [
        *okta.get("users", []),
        *(
            {
                "id": p.okta_id,
                "profile": {
                    "login": p.login,
                    "email": p.login,
                    "firstName": p.login.split("@")[0].title(),
                    "lastName": "Admin",
                },
                "groups": [GROUP_IDS[g] for g in p.groups],
                "password": PASSWORD,
            }
            for p in PEOPLE
        ),
    ]
    okta["oidc_apps"] = [
        {
            "client_id": CLIENT_ID,
            "client_secret": OIDC_SECRET,
            "redirect_uris": [f"{service_url}/auth/callback"],
            "groups_claim_filter": "spokesync-.*",
        }
    ]
    return document


def oidc_config(world: World, service_url: str, more_serve: str = "") -> str:
    """The ``[serve]`` tables for signing in with the world's Okta emulator."""
    return f"""[serve]
{more_serve}
[serve.oidc]
issuer = "{world.okta_url}"
client_id = "{CLIENT_ID}"
client_secret = "${{TEST_OIDC_SECRET}}"
redirect_url = "{service_url}/auth/callback"

[serve.roles]
viewer = ["{VIEWERS}"]
operator = ["{OPERATORS}"]
approver = ["{APPROVERS}"]
"""


def oidc_world(
    world_factory: Callable[..., World], document: dict[str, Any]
) -> tuple[World, socket.socket, str]:
    sock, url = oidc_socket()
    world = world_factory(with_oidc(document, url))
    return world, sock, url


def sign_in(service_url: str, person: Person, password: str = PASSWORD) -> httpx.Client:
    """A client signed in as ``person`` through the emulator's sign-in page (no browser)."""
    http = httpx.Client(base_url=service_url, timeout=30)
    answer = sign_in_answer(http, person, password)
    assert answer.status_code == 200, answer.text
    return http


def sign_in_answer(http: httpx.Client, person: Person, password: str = PASSWORD) -> httpx.Response:
    """Walk /auth/login -> the sign-in page -> /auth/callback; the callback's answer."""
    start = http.get("/auth/login")
    assert start.status_code == 303, start.text
    page = http.get(start.headers["location"])
    assert page.status_code == 200, page.text
    action = urlsplit(start.headers["location"])
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    fields.update(username=person.login, password=password)
    back = http.post(f"{action.scheme}://{action.netloc}/oauth2/v1/authorize", data=fields)
    assert back.status_code == 302, back.text
    target = urlsplit(back.headers["location"])
    assert "code" in parse_qs(target.query)
    return http.get(f"{target.path}?{target.query}")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)
