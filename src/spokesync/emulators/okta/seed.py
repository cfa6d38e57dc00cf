"""Build an :class:`Org` from the ``"okta"`` object of the emulator seed file (DESIGN.md)."""

from __future__ import annotations

import gc
import random
import re
from collections.abc import Mapping
from typing import Any

from spokesync.emulators.okta.formats import IDP_PREFIX, login_key, new_id
from spokesync.emulators.okta.oidc_state import OidcApp
from spokesync.emulators.okta.state import (
    DEFAULT_USER_TYPE,
    GROUP_TYPES,
    USER_STATUSES,
    Clock,
    GroupRecord,
    IdpRecord,
    OAuthClient,
    Org,
    UserRecord,
    UserTypeRecord,
)
from spokesync.emulators.okta.user_schema import BASE_ATTRIBUTES, custom_attribute

#: Okta's rule for a custom attribute's name (support article "Invalid property name")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: the spec's rule for ``UserType.name``
_USER_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SEED_KEYS = frozenset(
    {"api_tokens", "groups", "users", "idps", "oauth_clients", "oidc_apps", "user_types", "schema"}
)


def load_seed(seed: Mapping[str, Any], clock: Clock, rng: random.Random | None = None) -> Org:
    """A new org holding the seed's tokens, groups, users, IdPs and OAuth clients.

    Raises ValueError naming the first bad entry (never quoting a secret).
    """
    if not isinstance(seed, Mapping):
        raise ValueError("okta seed must be an object")
    unknown = set(seed) - _SEED_KEYS
    if unknown:
        raise ValueError(f"okta seed: unknown keys {sorted(unknown)}")
    org = Org(clock, rng)
    org.api_tokens = frozenset(_api_tokens(seed.get("api_tokens", [])))
    _load_groups(org, _entries(seed, "groups"))
    _load_user_types(org, _entries(seed, "user_types"))
    _load_schema(org, DEFAULT_USER_TYPE, seed.get("schema"), "okta.schema")
    # A 100,000-user seed makes ~1M objects that all live on; pausing the cyclic collector
    # while they are made saves its repeated full scans (about a third of the load time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        _load_users(org, _entries(seed, "users"))
    finally:
        if collecting:
            gc.enable()
    _load_idps(org, _entries(seed, "idps"))
    _load_oauth_clients(org, _entries(seed, "oauth_clients"))
    _load_oidc_apps(org, _entries(seed, "oidc_apps"))
    return org


def _entries(seed: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    entries = seed.get(key, [])
    if not isinstance(entries, list):
        raise ValueError(f"okta.{key} must be a list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ValueError(f"okta.{key}[{index}] must be an object")
    return entries


def _api_tokens(tokens: Any) -> list[str]:
    if not isinstance(tokens, list):
        raise ValueError("okta.api_tokens must be a list of strings")
    for index, token in enumerate(tokens):
        if not isinstance(token, str) or not token:
            raise ValueError(f"okta.api_tokens[{index}] must be a non-empty string")
    return tokens


def _load_groups(org: Org, entries: list[Mapping[str, Any]]) -> None:
    now = org.clock()
    for index, entry in enumerate(entries):
        where = f"okta.groups[{index}]"
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where}: name must be a non-empty string")
        if name.casefold() in org.group_names:
            raise ValueError(f"{where}: duplicate group name {name!r}")
        group_id = entry.get("id") or org.new_group_id()
        if not isinstance(group_id, str) or group_id in org.groups:
            raise ValueError(f"{where}: id must be a unique string")
        group_type = entry.get("type", "OKTA_GROUP")
        if group_type not in GROUP_TYPES - {"BUILT_IN"}:
            raise ValueError(f"{where}: type must be OKTA_GROUP or APP_GROUP")
        description = entry.get("description")
        if description is not None and not isinstance(description, str):
            raise ValueError(f"{where}: description must be a string")
        org.add_group(GroupRecord(group_id, name, description, group_type, now, now, now))


def _load_user_types(org: Org, entries: list[Mapping[str, Any]]) -> None:
    """Custom user types (``{"name": "Partner", "displayName"?, "description"?, "id"?}``)
    beside the default one every org has."""
    names = {t.name.casefold() for t in org.user_types.values()}
    for index, entry in enumerate(entries):
        where = f"okta.user_types[{index}]"
        name = entry.get("name")
        if not isinstance(name, str) or not _USER_TYPE_NAME.fullmatch(name):
            raise ValueError(
                f"{where}.name must start with a letter and hold only letters, digits and _"
            )
        if name.casefold() in names:
            raise ValueError(f"{where}: duplicate user type name {name!r}")
        type_id = entry.get("id") or org.new_user_type_id()
        if not isinstance(type_id, str) or type_id in org.user_types:
            raise ValueError(f"{where}.id must be a unique string")
        description = entry.get("description")
        org.user_types[type_id] = UserTypeRecord(
            type_id,
            name,
            str(entry.get("displayName") or name),
            None if description is None else str(description),
            False,
            org.clock(),
        )
        names.add(name.casefold())
        _load_schema(org, type_id, entry.get("schema"), f"{where}.schema")


def _load_schema(org: Org, type_id: str, schema: Any, where: str) -> None:
    """``{"custom": {"NAME": {"type": "string", ...}}}``: the custom profile attributes of a
    user type's schema (DESIGN.md "Okta profile schema"); base attributes are always there."""
    if schema is None:
        return
    if not isinstance(schema, Mapping) or set(schema) - {"custom"}:
        raise ValueError(f'{where} must be an object with only "custom"')
    custom = schema.get("custom", {})
    if not isinstance(custom, Mapping):
        raise ValueError(f"{where}.custom must be an object of attribute definitions")
    attributes = org.custom_attributes.setdefault(type_id, {})
    for name, given in custom.items():
        here = f"{where}.custom.{name}"
        if not isinstance(name, str) or not _ATTRIBUTE_NAME.fullmatch(name):
            raise ValueError(f"{here}: a name holds letters, digits and _, not first a digit")
        if name in BASE_ATTRIBUTES:
            raise ValueError(f"{here}: {name} is a base attribute already")
        if not isinstance(given, Mapping):
            raise ValueError(f"{here} must be an object")
        attributes[name] = custom_attribute(name, given, here)


def _load_users(org: Org, entries: list[Mapping[str, Any]]) -> None:
    now = org.clock()
    # Bulk load: fill the indexes directly and sort once, instead of one insort per user.
    memberships: dict[str, list[str]] = {group_id: [] for group_id in org.groups}
    users, logins, user_groups = org.users, org.logins, org.user_groups
    for index, entry in enumerate(entries):
        profile = entry.get("profile")
        if not isinstance(profile, dict):
            raise ValueError(f"okta.users[{index}]: profile must be an object")
        login = profile.get("login")
        if not isinstance(login, str) or not login:
            raise ValueError(f"okta.users[{index}]: profile.login must be a non-empty string")
        key = login_key(login)
        if key in logins:
            raise ValueError(f"okta.users[{index}]: duplicate login {login!r}")
        user_id = entry.get("id") or org.new_user_id()
        if not isinstance(user_id, str) or user_id in users:
            raise ValueError(f"okta.users[{index}]: id must be a unique string")
        status = entry.get("status", "ACTIVE")
        if status not in USER_STATUSES:
            raise ValueError(f"okta.users[{index}]: unknown status {status!r}")
        # Seeded users that were ever activated are taken to have a password.
        active_once = status not in ("STAGED", "PROVISIONED")
        users[user_id] = UserRecord(
            user_id,
            status,
            now,
            now if active_once else None,
            now,
            now,
            now if active_once else None,
            {"mobilePhone": None, "secondEmail": None, **profile},
            active_once,
        )
        logins[key] = user_id
        credentials = entry.get("credentials")
        if credentials is not None:
            _seed_credentials(users[user_id], credentials, index)
        password = entry.get("password")
        if password is not None:
            if not isinstance(password, str) or not password:
                raise ValueError(f"okta.users[{index}]: password must be a non-empty string")
            org.oidc.set_password(user_id, password)
            users[user_id].has_password = True
        refs = entry.get("groups")
        if refs:
            user_groups[user_id] = _resolve_groups(org, refs, index, memberships, user_id)
    org.user_ids[:] = sorted(users)  # in place: the Everyone group aliases this list
    for group_id, member_ids in memberships.items():
        if member_ids:
            org.members[group_id].extend(member_ids)
            org.members[group_id].sort()


def _seed_credentials(user: UserRecord, credentials: Any, index: int) -> None:
    """Optional ``credentials`` of a seeded user, shaped like the API's (no secret is kept)."""
    where = f"okta.users[{index}].credentials"
    if not isinstance(credentials, dict):
        raise ValueError(f"{where} must be an object")
    provider = credentials.get("provider")
    if provider is not None:
        if not isinstance(provider, dict) or not isinstance(provider.get("type"), str):
            raise ValueError(f"{where}.provider must be an object with a type")
        user.provider_type = provider["type"]
        user.provider_name = str(provider.get("name") or provider["type"])
        user.has_password = "password" in credentials
    question = credentials.get("recovery_question")
    if question is not None:
        if not isinstance(question, dict) or not isinstance(question.get("question"), str):
            raise ValueError(f"{where}.recovery_question must be an object with a question")
        user.recovery_question = question["question"]


def _resolve_groups(
    org: Org, refs: Any, index: int, memberships: dict[str, list[str]], user_id: str
) -> set[str]:
    if not isinstance(refs, list):
        raise ValueError(f"okta.users[{index}]: groups must be a list of group ids or names")
    groups: set[str] = set()
    for ref in refs:
        group_id = _group_ref(org, ref)
        if group_id is None:
            raise ValueError(f"okta.users[{index}]: unknown group {ref!r}")
        if group_id != org.everyone_id and group_id not in groups:
            groups.add(group_id)
            memberships[group_id].append(user_id)
    return groups


def _group_ref(org: Org, ref: Any) -> str | None:
    if not isinstance(ref, str):
        return None
    if ref in org.groups:
        return ref
    return org.group_names.get(ref.casefold())


def _load_idps(org: Org, entries: list[Mapping[str, Any]]) -> None:
    now = org.clock()
    for index, entry in enumerate(entries):
        where = f"okta.idps[{index}]"
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where}: name must be a non-empty string")
        idp_id = entry.get("id") or new_id(org.rng, IDP_PREFIX)
        if not isinstance(idp_id, str) or idp_id in org.idps:
            raise ValueError(f"{where}: id must be a unique string")
        idp_type = entry.get("type", "OIDC")
        if not isinstance(idp_type, str):
            raise ValueError(f"{where}: type must be a string")
        org.idps[idp_id] = IdpRecord(idp_id, name, idp_type, now)
        org.idp_links[idp_id] = {}
        org.idp_external_ids[idp_id] = {}


def _load_oauth_clients(org: Org, entries: list[Mapping[str, Any]]) -> None:
    for index, entry in enumerate(entries):
        where = f"okta.oauth_clients[{index}]"
        client_id = entry.get("client_id")
        if not isinstance(client_id, str) or not client_id or client_id in org.oauth_clients:
            raise ValueError(f"{where}: client_id must be a unique non-empty string")
        keys: list[Any] = []
        pem = entry.get("public_key_pem")
        if isinstance(pem, str) and pem.strip():
            keys.append(pem)
        jwks = entry.get("jwks")
        if isinstance(jwks, Mapping) and isinstance(jwks.get("keys"), list):
            keys.extend(jwks["keys"])
        if not keys:
            raise ValueError(f"{where}: needs public_key_pem or jwks with keys")
        scopes = entry.get("scopes", [])
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ValueError(f"{where}: scopes must be a list of strings")
        org.oauth_clients[client_id] = OAuthClient(client_id, keys, frozenset(scopes))


def _uri_list(entry: Mapping[str, Any], key: str, where: str, required: bool) -> tuple[str, ...]:
    uris = entry.get(key, [])
    if not isinstance(uris, list) or not all(isinstance(u, str) and u for u in uris):
        raise ValueError(f"{where}: {key} must be a list of URIs")
    if required and not uris:
        raise ValueError(f"{where}: {key} must name at least one URI")
    return tuple(uris)


def _load_oidc_apps(org: Org, entries: list[Mapping[str, Any]]) -> None:
    """OIDC web apps (``client_secret_basic``/``client_secret_post``), never quoting a secret."""
    for index, entry in enumerate(entries):
        where = f"okta.oidc_apps[{index}]"
        client_id = entry.get("client_id")
        if not isinstance(client_id, str) or not client_id or client_id in org.oidc.apps:
            raise ValueError(f"{where}: client_id must be a unique non-empty string")
        secret = entry.get("client_secret")
        if not isinstance(secret, str) or not secret:
            raise ValueError(f"{where}: client_secret must be a non-empty string")
        claim_filter = entry.get("groups_claim_filter", ".*")
        try:
            re.compile(claim_filter)
        except (re.error, TypeError):
            raise ValueError(f"{where}: groups_claim_filter must be a regular expression") from None
        org.oidc.apps[client_id] = OidcApp(
            client_id,
            secret,
            _uri_list(entry, "redirect_uris", where, required=True),
            _uri_list(entry, "post_logout_redirect_uris", where, required=False),
            claim_filter,
        )
