"""Validate the ``"auth0"`` object of an emulator seed file and load it into a tenant.

Every problem raises ValueError naming the entry (``auth0.users[3] (auth0|x): ...``) so a
broken seed file is fixed in one look. Loading 100,000 users takes a couple of seconds: members
are collected per role and sorted once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from spokesync.emulators.auth0 import ids
from spokesync.emulators.auth0.organization_seed import load_organizations
from spokesync.emulators.auth0.state import Role, Tenant, UserDoc
from spokesync.emulators.auth0.tokens import Client
from spokesync.emulators.auth0.users import complete

_SEED_KEYS = frozenset({"clients", "roles", "users", "organizations"})
_DATES = ("created_at", "updated_at")


def _entries(seed: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = seed.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"auth0.{key} must be a list")
    return value


def _string(entry: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise ValueError(f"{where}: {key} is required")
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}: {key} must be a non-empty string")
    return value


def load_clients(seed: Mapping[str, Any]) -> dict[str, Client]:
    """The seed's clients by id; each needs a secret or a public key."""
    clients: dict[str, Client] = {}
    for index, entry in enumerate(_entries(seed, "clients")):
        where = f"auth0.clients[{index}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be an object")
        client_id = _string(entry, "client_id", where, required=True)
        assert client_id is not None
        where = f"{where} ({client_id})"
        secret = _string(entry, "client_secret", where, required=False)
        pem = _string(entry, "public_key_pem", where, required=False)
        if secret is None and pem is None:
            raise ValueError(f"{where}: needs client_secret or public_key_pem")
        if pem is not None:
            try:
                Client.check_public_key(pem)
            except (ValueError, TypeError):
                raise ValueError(f"{where}: public_key_pem is not a PEM public key") from None
        scopes = entry.get("scopes", [])
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ValueError(f"{where}: scopes must be a list of strings")
        if client_id in clients:
            raise ValueError(f"{where}: duplicate client_id")
        clients[client_id] = Client(client_id, tuple(scopes), secret, pem)
    return clients


def _load_roles(seed: Mapping[str, Any], tenant: Tenant) -> dict[str, str]:
    """Adds the roles; returns a lookup from both role id and role name to role id."""
    lookup: dict[str, str] = {}
    for index, entry in enumerate(_entries(seed, "roles")):
        where = f"auth0.roles[{index}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be an object")
        name = _string(entry, "name", where, required=True)
        assert name is not None
        role_id = _string(entry, "id", f"{where} ({name})", required=False) or ids.role_id()
        description = _string(entry, "description", f"{where} ({name})", required=False)
        if role_id in tenant.roles or tenant.role_by_name(name) is not None:
            raise ValueError(f"{where} ({name}): duplicate role id or name")
        tenant.add_role(Role(role_id, name, description))
        lookup[role_id] = role_id
        lookup.setdefault(name, role_id)
    return lookup


def _iso_datetime(value: str, key: str, where: str) -> datetime:
    """A date and time with a zone, as Auth0 writes them (``2023-01-25T19:00:26.539Z``)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or "T" not in value or moment.tzinfo is None:
        raise ValueError(
            f"{where}: {key} must be an ISO 8601 date-time with a zone, "
            "like 2023-01-25T19:00:26.539Z"
        )
    return moment


def _user_document(entry: Mapping[str, Any], where: str) -> UserDoc:
    doc: UserDoc = {key: value for key, value in entry.items() if key != "roles"}
    for key in (
        "user_id",
        "email",
        "name",
        "given_name",
        "family_name",
        "created_at",
        "updated_at",
    ):
        if key in doc and not isinstance(doc[key], str):
            raise ValueError(f"{where}: {key} must be a string")
    moments = {key: _iso_datetime(doc[key], key, where) for key in _DATES if key in doc}
    if len(moments) == 2 and moments["updated_at"] < moments["created_at"]:
        raise ValueError(f"{where}: updated_at is before created_at")
    if "updated_at" in doc:
        # a user can't be created after its last update: without created_at, take updated_at
        doc.setdefault("created_at", doc["updated_at"])
    for key in ("user_metadata", "app_metadata"):
        if key in doc and not isinstance(doc[key], dict):
            raise ValueError(f"{where}: {key} must be an object")
    for key in ("blocked", "email_verified"):
        if key in doc and not isinstance(doc[key], bool):
            raise ValueError(f"{where}: {key} must be true or false")
    if "user_id" not in doc:
        doc["user_id"] = f"auth0|{ids.database_user_id()}"
    return doc


def load_seed(seed: Mapping[str, Any], tenant: Tenant) -> dict[str, Client]:
    """Fill ``tenant`` from the seed; returns the clients. Raises ValueError on a bad entry."""
    if not isinstance(seed, Mapping):
        raise ValueError("the auth0 seed must be an object")
    unknown = sorted(set(seed) - _SEED_KEYS)
    if unknown:
        raise ValueError(f"auth0: unknown key {unknown[0]!r}")
    clients = load_clients(seed)
    role_lookup = _load_roles(seed, tenant)
    members: dict[str, list[str]] = {role_id: [] for role_id in tenant.roles}
    now_iso = tenant.clock.iso()
    connection = tenant.connection.name
    for index, entry in enumerate(_entries(seed, "users")):
        where = f"auth0.users[{index}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be an object")
        doc = _user_document(entry, where)
        where = f"{where} ({doc['user_id']})"
        if doc["user_id"] in tenant.users:
            raise ValueError(f"{where}: duplicate user_id")
        roles = entry.get("roles", [])
        if not isinstance(roles, list):
            raise ValueError(f"{where}: roles must be a list of role ids or names")
        for role in roles:
            role_id = role_lookup.get(role) if isinstance(role, str) else None
            if role_id is None:
                raise ValueError(f"{where}: unknown role {role!r}")
            members[role_id].append(doc["user_id"])
        tenant.put_user(complete(doc, connection, now_iso))
    for role_id, user_ids in members.items():
        tenant.load_members(role_id, user_ids)
    load_organizations(_entries(seed, "organizations"), tenant, role_lookup)
    return clients
