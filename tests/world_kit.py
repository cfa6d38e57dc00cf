"""Small, explicit worlds for end-to-end tests: both emulators on loopback, a config, a CLI.

A test builds the Auth0 users and Okta users it needs, runs spokesync through its command
line (in-process, with typer's runner) and asserts the outcome through the APIs, as an
admin would look at it, never through the store.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import httpx
import pytest
from typer.testing import CliRunner

from spokesync import config as config_module
from spokesync.cli import app
from spokesync.clients import TransportFor
from spokesync.emulators.runtime import Emulators, start
from spokesync.engine import Engine, RunResult
from spokesync.progress import ProgressFn
from spokesync.store import Store, open_store

CLIENT_SECRET = "test-client-secret-5f1e9a"
ADMIN_SECRET = "test-admin-secret-77c2d0"
OKTA_TOKEN = "00test-okta-token-a8b3c4d5"
ROLE = "rol_Salesforce000001"
ROLE_NAME = "Salesforce"
GROUP = "00gSalesforce0000001"
GROUP_NAME = "Salesforce Users"

ADMIN_SCOPES = [
    "read:users",
    "read:roles",
    "update:users",
    "create:users",
    "delete:users",
    "update:roles",
    "create:role_members",
    "delete:role_members",
    "create:roles",
]

#: Marks an end-to-end module to run on both state backends (``pytestmark = ON_BOTH_BACKENDS``):
#: overrides the ``state_backend`` fixture the ``world_factory`` reads.
ON_BOTH_BACKENDS = pytest.mark.parametrize("state_backend", ["sqlite", "postgresql"])


def auth0_user(n: int, *, roles: tuple[str, ...] = (ROLE,), **fields: Any) -> dict[str, Any]:
    """A typical Auth0 user ``auth0|u<n>`` holding ``roles``; override any field."""
    user: dict[str, Any] = {
        "user_id": f"auth0|u{n:05d}",
        "email": f"user{n}@partner.example",
        "email_verified": True,
        "name": f"User{n} Partner",
        "given_name": f"User{n}",
        "family_name": "Partner",
        "user_metadata": {},
        "app_metadata": {},
        "blocked": False,
        "roles": list(roles),
    }
    user.update(fields)
    return user


def okta_user(
    uid: str, login: str, *, groups: tuple[str, ...] = (), status: str = "ACTIVE"
) -> dict[str, Any]:
    return {
        "id": uid,
        "status": status,
        "profile": {"login": login, "email": login, "firstName": "Existing", "lastName": "Person"},
        "groups": list(groups),
    }


def seed(
    users: list[dict[str, Any]],
    okta_users: list[dict[str, Any]] | None = None,
    *,
    roles: list[dict[str, Any]] | None = None,
    groups: list[dict[str, Any]] | None = None,
    idps: list[dict[str, Any]] | None = None,
    user_types: list[dict[str, Any]] | None = None,
    client_scopes: tuple[str, ...] = ("read:users", "read:roles", "update:users"),
) -> dict[str, Any]:
    return {
        "auth0": {
            "clients": [
                {
                    "client_id": "spokesync",
                    "client_secret": CLIENT_SECRET,
                    "scopes": list(client_scopes),
                },
                {"client_id": "admin", "client_secret": ADMIN_SECRET, "scopes": ADMIN_SCOPES},
            ],
            "roles": roles or [{"id": ROLE, "name": ROLE_NAME}],
            "users": users,
        },
        "okta": {
            "api_tokens": [OKTA_TOKEN],
            "groups": groups or [{"id": GROUP, "name": GROUP_NAME}],
            "users": okta_users or [],
            **({"idps": idps} if idps else {}),
            **({"user_types": user_types} if user_types else {}),
        },
    }


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class Auth0Admin:
    """Changes and reads an Auth0 emulator the way a tenant admin would."""

    def __init__(
        self, base_url: str, client_id: str = "admin", client_secret: str = ADMIN_SECRET
    ) -> None:
        """An admin tool using the application ``client_id`` (spokesync's own, if shared)."""
        self.http = httpx.Client(base_url=base_url, timeout=30)
        token = self.http.post(
            "/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "audience": f"{base_url}/api/v2/",
            },
        ).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    @staticmethod
    def _u(user_id: str) -> str:
        return quote(user_id, safe="")

    def assign(self, user_id: str, role: str = ROLE) -> None:
        self.call("POST", f"/api/v2/roles/{role}/users", {"users": [user_id]})

    def unassign(self, user_id: str, role: str = ROLE) -> None:
        self.call("DELETE", f"/api/v2/users/{self._u(user_id)}/roles", {"roles": [role]})

    def patch(self, user_id: str, body: Mapping[str, Any]) -> Any:
        return self.call("PATCH", f"/api/v2/users/{self._u(user_id)}", dict(body))

    def get(self, user_id: str) -> Any:
        return self.call("GET", f"/api/v2/users/{self._u(user_id)}")

    def delete(self, user_id: str) -> None:
        self.call("DELETE", f"/api/v2/users/{self._u(user_id)}")

    def create(self, body: Mapping[str, Any]) -> Any:
        return self.call(
            "POST", "/api/v2/users", {"connection": "Username-Password-Authentication", **body}
        )


class OktaAdmin:
    """Reads and changes an Okta emulator through its API, as an Okta admin would."""

    def __init__(self, base_url: str, authorization: str = f"SSWS {OKTA_TOKEN}") -> None:
        """An admin tool sending ``authorization`` (spokesync's own token, by default)."""
        self.http = httpx.Client(
            base_url=base_url, timeout=30, headers={"Authorization": authorization}
        )

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def pages(self, path: str) -> Iterator[dict[str, Any]]:
        url: str | None = path
        while url:
            response = self.http.get(url)
            assert response.status_code == 200, response.text
            yield from response.json()
            url = response.links.get("next", {}).get("url")

    def members(self, group: str = GROUP) -> dict[str, dict[str, Any]]:
        """Group members by lower-cased login."""
        return {
            u["profile"]["login"].lower(): u
            for u in self.pages(f"/api/v1/groups/{group}/users?limit=200")
        }

    def users(self) -> list[dict[str, Any]]:
        """Every user, DEPROVISIONED included (a plain list omits them)."""
        active = list(self.pages("/api/v1/users?limit=200"))
        gone = list(self.pages('/api/v1/users?limit=200&filter=status+eq+"DEPROVISIONED"'))
        return active + gone

    def user(self, id_or_login: str) -> dict[str, Any] | None:
        response = self.http.get(f"/api/v1/users/{quote(id_or_login, safe='@')}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return dict(response.json())


@dataclass
class World:
    """A running pair of emulators with a config file pointing spokesync at them."""

    emulators: Emulators
    tmp: Path
    extra_config: str = ""
    #: the ``[state] url``; None: SQLite at ``db_path``
    state: str | None = None
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def auth0_url(self) -> str:
        return self.emulators.auth0.url

    @property
    def okta_url(self) -> str:
        return self.emulators.okta.url

    @property
    def config_path(self) -> Path:
        return self.tmp / "spokesync.toml"

    @property
    def db_path(self) -> Path:
        return self.tmp / "state.db"

    @property
    def state_url(self) -> str:
        return self.state or f"sqlite:///{self.db_path}"

    def write_config(self, extra: str = "", bindings: str | None = None, source: str = "") -> Path:
        """The config file; ``source`` holds more keys of ``[sources.partners]``."""
        binding = (
            bindings
            if bindings is not None
            else (
                f'[[bindings]]\nsource = "partners"\nrole = "{ROLE_NAME}"\ngroup = "{GROUP_NAME}"\n'
            )
        )
        self.config_path.write_text(
            f"""[state]
url = "{self.state_url}"

[okta]
org_url = "{self.okta_url}"
token = "${{TEST_OKTA_TOKEN}}"

[sources.partners]
domain = "{self.auth0_url}"
client_id = "spokesync"
client_secret = "${{TEST_AUTH0_SECRET}}"
{source}
{binding}
{extra}
""",
            encoding="utf-8",
        )
        return self.config_path

    @property
    def env(self) -> dict[str, str]:
        """What the config's ``${VAR}`` s read."""
        return {"TEST_OKTA_TOKEN": OKTA_TOKEN, "TEST_AUTH0_SECRET": CLIENT_SECRET}

    def command(self, *args: str) -> list[str]:
        """``spokesync --config <world config> --log-format json ARGS`` for a subprocess
        (run it with ``env={**os.environ, **world.env}``)."""
        config = ["--config", str(self.config_path), "--log-format", "json"]
        return [sys.executable, "-m", "spokesync", *config, *args]

    def cli(self, *args: str) -> CliResult:
        """Run ``spokesync --config <world config> ARGS`` in-process."""
        if not self.config_path.exists():
            self.write_config()
        result = self.runner.invoke(
            app,
            ["--config", str(self.config_path), "--log-format", "json", *args],
            env=self.env,
            catch_exceptions=False,
        )
        return CliResult(result.exit_code, result.stdout, result.stderr)

    def run_engine(
        self,
        transport_for: TransportFor | None = None,
        store: Store | None = None,
        progress: ProgressFn | None = None,
        **run: Any,
    ) -> RunResult:
        """A sync in this process, through the engine, so a test can patch the clients or
        the network (or give the store, or watch the progress); ``run`` goes to
        :meth:`Engine.run`."""
        with mock.patch.dict(os.environ, self.env):
            cfg = config_module.load(self.config_path)
        if store is not None:
            engine = Engine(cfg, store, transport_for=transport_for, progress=progress)
            return asyncio.run(engine.run(**run))
        with open_store(cfg.state.url) as opened:
            engine = Engine(cfg, opened, transport_for=transport_for, progress=progress)
            return asyncio.run(engine.run(**run))

    def sync(self, *args: str, expect: int = 0) -> Any:
        result = self.cli("sync", "--json", *args)
        assert result.exit_code == expect, (
            result.exit_code,
            result.stdout[-3000:],
            result.stderr[-3000:],
        )
        return result.json()

    def plan(self, *args: str, expect: int = 0) -> Any:
        result = self.cli("plan", "--json", *args)
        assert result.exit_code == expect, (
            result.exit_code,
            result.stdout[-3000:],
            result.stderr[-3000:],
        )
        return result.json()

    def auth0(self) -> Auth0Admin:
        return Auth0Admin(self.auth0_url)

    def okta(self) -> OktaAdmin:
        return OktaAdmin(self.okta_url)

    def stats(self, service: str) -> dict[str, Any]:
        url = self.auth0_url if service == "auth0" else self.okta_url
        return dict(httpx.get(f"{url}/_emulator/stats", timeout=10).json())

    def reset_stats(self) -> None:
        for url in (self.auth0_url, self.okta_url):
            httpx.post(f"{url}/_emulator/stats/reset", timeout=10)


def make_world(
    tmp: Path,
    document: Mapping[str, Any],
    state_url: str | None = None,
    **emulator_options: Any,
) -> World:
    # Tests run the Auth0 emulator fast: rate limiting has its own tests.
    options = {"auth0_rate_limit": 2000.0, "auth0_burst": 4000, **emulator_options}
    return World(start(document, **options), tmp, state=state_url)
