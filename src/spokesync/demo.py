"""``spokesync demo``: the main job end to end, against the built-in emulators.

It generates a partner tenant, plans, syncs, changes the world through the Auth0 API the
way an admin would (new role members, metadata edits, members taken out of the role),
syncs again, and shows that a third sync has nothing to do. Everything runs on loopback.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from rich.console import Console
from rich.rule import Rule

from spokesync import config as config_module
from spokesync import report
from spokesync.emulators.runtime import start
from spokesync.engine import Engine, RunResult
from spokesync.redact import register_secret
from spokesync.store import open_store
from spokesync.world import (
    ADMIN_CLIENT_ID,
    GROUP_ID,
    ROLE_ID,
    WorldSecrets,
    config_text,
    partner_world,
)

#: The demo's Auth0 tenant answers 50 requests/s (an Enterprise tenant with an uplift); the
#: published default of 16/s would make the first read of a few hundred profiles take ~20 s.
DEMO_AUTH0_RATE = 50.0
#: identities the demo shows per section of each plan
DEMO_LIMIT = 4


class AdminApi:
    """What a tenant admin does by hand, through the Auth0 Management API of the emulator."""

    def __init__(self, base_url: str, client_secret: str) -> None:
        self.base_url = base_url
        self.secret = client_secret
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def _token(self) -> str:
        response = self.http.post(
            "/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": ADMIN_CLIENT_ID,
                "client_secret": self.secret,
                "audience": f"{self.base_url}/api/v2/",
            },
        )
        response.raise_for_status()
        token = str(response.json()["access_token"])
        register_secret(token)
        return token

    def login(self) -> None:
        self.http.headers["Authorization"] = f"Bearer {self._token()}"

    def request(self, method: str, path: str, body: Any = None) -> Any:
        for _ in range(20):
            response = self.http.request(method, path, json=body)
            if response.status_code != 429:
                break
            time.sleep(0.1)
        response.raise_for_status()
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()


def _change_world(api: AdminApi, seed: dict[str, Any], console: Console) -> None:
    users = [u for u in seed["auth0"]["users"] if u.get("email") and u.get("email_verified")]
    for i in range(8):
        created = api.request(
            "POST",
            "/api/v2/users",
            {
                "connection": "Username-Password-Authentication",
                "email": f"new.partner{i}@partner.example",
                "email_verified": True,
                "given_name": [
                    "Aylin",
                    "Kwame",
                    "Noa",
                    "Saoirse",
                    "Tupac",
                    "Yara",
                    "Élodie",
                    "Hyun",
                ][i],
                "family_name": [
                    "Demir",
                    "Boateng",
                    "Levi",
                    "Byrne",
                    "Quispe",
                    "Haddad",
                    "Marchand",
                    "Cho",
                ][i],
                "password": secrets.token_urlsafe(16) + "aA1!",
            },
        )
        api.request("POST", f"/api/v2/roles/{ROLE_ID}/users", {"users": [created["user_id"]]})
    for user in users[10:15]:
        api.request(
            "PATCH",
            f"/api/v2/users/{quote(user['user_id'], safe='')}",
            {"user_metadata": {"lastName": user.get("family_name", "X") + "-Okonkwo"}},
        )
    for user in users[20:24]:
        api.request(
            "DELETE", f"/api/v2/users/{quote(user['user_id'], safe='')}/roles", {"roles": [ROLE_ID]}
        )
    organizations = seed["auth0"].get("organizations", [])
    if organizations:
        renamed = organizations[1]
        api.request(
            "PATCH", f"/api/v2/organizations/{renamed['id']}", {"display_name": "Contoso Ltd"}
        )
        joiner = users[-1]["user_id"]
        api.request(
            "POST", f"/api/v2/organizations/{organizations[0]['id']}/members", {"members": [joiner]}
        )
    console.print(
        "Changed the world through the Auth0 API: 8 new role members, 5 last names edited in "
        "user_metadata, 4 members removed from the role"
        + (
            ", partner Contoso renamed Contoso Ltd, one new member of Northwind."
            if organizations
            else "."
        )
    )


def _partner_groups(okta_url: str, token: str) -> str:
    """``Partner Contoso (14), ...``: the groups spokesync made per partner, with their sizes."""
    parts: list[str] = []
    with httpx.Client(headers={"Authorization": f"SSWS {token}"}, timeout=30) as http:
        response = http.get(f"{okta_url}/api/v1/groups", params={"q": "Partner ", "limit": 200})
        response.raise_for_status()
        for group in sorted(response.json(), key=lambda g: g["profile"]["name"]):
            members = http.get(f"{okta_url}/api/v1/groups/{group['id']}/users?limit=200")
            members.raise_for_status()
            parts.append(f"{group['profile']['name']} ({len(members.json())})")
    return ", ".join(parts)


def _okta_group_size(okta_url: str, token: str) -> int:
    count, url = 0, f"{okta_url}/api/v1/groups/{GROUP_ID}/users?limit=200"
    with httpx.Client(headers={"Authorization": f"SSWS {token}"}, timeout=30) as http:
        while url:
            response = http.get(url)
            response.raise_for_status()
            count += len(response.json())
            url = response.links.get("next", {}).get("url", "")
    return count


def _okta_emails(okta_url: str) -> dict[str, int]:
    """The emails a real Okta org would have sent so far (the emulator counts them)."""
    response = httpx.get(f"{okta_url}/_emulator/stats", timeout=30)
    response.raise_for_status()
    return dict(response.json()["emails"])


def _emails_line(okta_url: str) -> str:
    emails = _okta_emails(okta_url)
    return (
        f"Okta sent {emails['activation']} activation emails and "
        f"{emails['password_reset']} password reset emails: partners are ACTIVE at once and "
        "sign in through the Auth0 IdP (activation = federated)."
    )


def run_demo(console: Console, *, users: int = 300, seed: int = 7) -> int:
    """Run the demo; returns the process exit code."""
    world_secrets = WorldSecrets(
        client_secret=secrets.token_urlsafe(24),
        admin_secret=secrets.token_urlsafe(24),
        okta_token="00" + secrets.token_urlsafe(30),
    )
    for value in (
        world_secrets.client_secret,
        world_secrets.admin_secret,
        world_secrets.okta_token,
    ):
        register_secret(value)
    document = partner_world(users, seed=seed, secrets=world_secrets, organizations=4)
    t0 = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="spokesync-demo-"))
    with start(document, auth0_rate_limit=DEMO_AUTH0_RATE, auth0_burst=100) as emulators:
        console.print(Rule("spokesync demo"))
        console.print(
            f"Auth0 emulator {emulators.auth0.url} ({users} members of role Salesforce, "
            f"{DEMO_AUTH0_RATE:.0f} req/s); Okta emulator {emulators.okta.url}"
        )
        config_path = workdir / "spokesync.toml"
        config_path.write_text(
            config_text(
                emulators.auth0.url,
                emulators.okta.url,
                f"sqlite:///{workdir / 'spokesync.db'}",
                organizations=True,
            ),
            encoding="utf-8",
        )
        os.environ["OKTA_API_TOKEN"] = world_secrets.okta_token
        os.environ["AUTH0_PARTNERS_SECRET"] = world_secrets.client_secret
        console.print(f"Config: {config_path}")
        cfg = config_module.load(config_path)
        store = open_store(cfg.state.url)
        try:
            engine = Engine(cfg, store)

            def step(title: str, apply: bool) -> RunResult:
                console.print(Rule(title))
                result = asyncio.run(engine.run(apply=apply))
                # The same cut for every step and section, so plan and sync read alike.
                report.print_result(console, result, limit=DEMO_LIMIT)
                return result

            first_plan = step("1. plan: what a first sync would do (nothing is changed)", False)
            first = step("2. sync", True)
            console.print(
                "Okta group 'Salesforce Users' now has "
                f"{_okta_group_size(emulators.okta.url, world_secrets.okta_token)} "
                "members (including one that spokesync did not add and leaves alone)."
            )
            console.print(
                "One group per partner organization, made by spokesync: "
                + _partner_groups(emulators.okta.url, world_secrets.okta_token)
                + " (two members of each partner also work with the next one)."
            )
            console.print(_emails_line(emulators.okta.url))
            console.print(Rule("3. the world changes"))
            api = AdminApi(emulators.auth0.url, world_secrets.admin_secret)
            try:
                api.login()
                _change_world(api, document, console)
            finally:
                api.close()
            second = step("4. sync again: only the changes", True)
            console.print(
                "Partner groups now: "
                + _partner_groups(emulators.okta.url, world_secrets.okta_token)
            )
            third = step("5. sync a third time: nothing to do", True)
        finally:
            store.close()
        elapsed = time.perf_counter() - t0
        console.print(Rule("done"))
        console.print(
            f"Demo finished in {elapsed:.1f} s. State database and config: {workdir}. "
            f"Planned first: {len(first_plan.plan.actions)} actions; third sync planned "
            f"{len(third.plan.actions)}. {_emails_line(emulators.okta.url)}"
        )
        ok = third.plan.actions == () and first.exit_code in (0, 1) and second.exit_code in (0, 1)
        return 0 if ok else 1
