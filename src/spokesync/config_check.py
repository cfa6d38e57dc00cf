"""``spokesync config check``: everything that can be verified before a first run.

Resolves each binding's role and group to ids, checks that Okta's profile schema holds every
mapping target, obtains a token from every source and
reports missing scopes, obtains the Okta OAuth token (when used) and compares its scopes with
the ones a sync needs, proves the Okta credentials work, and warns about risky settings: a
config file holding a literal secret that others can read, a private key file likewise.
"""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from spokesync import inert
from spokesync.auth0.client import LOG_SCOPES
from spokesync.clients import Clients, TransportFor, open_clients
from spokesync.config import SECRET_KEYS, Config, PrivateKeyHolder, SourceConfig
from spokesync.domain import Binding, GroupState, GroupStatus
from spokesync.http import ApiError
from spokesync.mapping import login_sources_from_user_metadata
from spokesync.mapping_targets import target_problems
from spokesync.oauth_scopes import missing as missing_scopes
from spokesync.okta.models import UserType
from spokesync.okta.schema import custom_targets
from spokesync.organizations.resolve import Resolution
from spokesync.resolve import (
    ResolveError,
    resolve_all,
    resolve_profile_schemas,
    resolve_user_type_records,
)
from spokesync.run_errors import AUTH0_GRANT, explain
from spokesync.store import StoreError, open_store, state_exists

#: scopes every source needs, and the ones write-back needs
REQUIRED_SCOPES = ("read:users", "read:roles")
WRITE_BACK_SCOPES = ("update:users",)


def _say(console: Console, ok: bool | None, text: str) -> None:
    word, style = {True: ("ok  ", "green"), False: ("FAIL", "red"), None: ("warn", "yellow")}[ok]
    # Inert: API errors carry "[invalid_scope]", which rich would take for markup, and role
    # and group names come from the tenants.
    console.print(Text(word, style) + Text(" ") + inert.cell(text), highlight=False)


def _literal_secrets(value: Any, path: str = "") -> Iterator[str]:
    """The keys (``sources.apac.client_secret``) whose value is written in the file itself."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in SECRET_KEYS and isinstance(item, str) and item.strip() and "${" not in item:
                yield where
            else:
                yield from _literal_secrets(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _literal_secrets(item, f"{path}[{index}]")


def _readable_by_others(path: Path) -> str | None:
    """``group``, ``others`` or ``group and others`` when they may read ``path``; else None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    who = [name for bit, name in ((stat.S_IRGRP, "group"), (stat.S_IROTH, "others")) if mode & bit]
    return " and ".join(who) or None


def check_file_modes(config: Config) -> list[str]:
    """Warnings for secrets others can read: literal secrets in the config, key files."""
    warnings: list[str] = []
    origin = config.origin
    if origin is not None and (who := _readable_by_others(origin)):
        try:
            document = tomllib.loads(origin.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            document = {}
        for key in _literal_secrets(document):
            warnings.append(
                f"{origin}: {key} is a literal secret and the file is readable by {who}: "
                f"run chmod 600 {origin}, or read it from the environment with ${{VAR}}"
            )
    holders: dict[str, PrivateKeyHolder] = {
        f"sources.{name}": source for name, source in config.sources.items()
    }
    if config.okta.oauth is not None:
        holders["okta.oauth"] = config.okta.oauth
    for where, holder in holders.items():
        if holder.private_key_file and (who := _readable_by_others(Path(holder.private_key_file))):
            warnings.append(
                f"{where}.private_key_file: {holder.private_key_file} is readable by {who}: "
                f"run chmod 600 {holder.private_key_file}"
            )
    return warnings


def explain_activation(name: str, source: SourceConfig) -> tuple[bool | None, str]:
    """How the source's new Okta users are created, and why; a warning (None) for a federated
    source without ``okta_idp_id``, whose users could never sign in."""
    mode = source.activation_mode
    why = "as set" if source.activation is not None else "the default"
    if mode == "federated":
        if not source.okta_idp_id:
            return None, (
                f"sources.{name}.activation = federated without okta_idp_id: new Okta users "
                "get no password and are linked to no IdP, so they could never sign in; set "
                "okta_idp_id to the Okta IdP of this tenant, or use activation = email"
            )
        reason = f"{why}, with okta_idp_id {source.okta_idp_id}"
        effect = "ACTIVE at once, sign in through the IdP, no password, Okta mails nothing"
    elif mode == "email":
        reason = why if source.activation is not None else f"{why} without okta_idp_id"
        effect = "PROVISIONED; Okta mails each an activation link to choose an Okta password"
    else:
        reason = why
        effect = "STAGED, no email; activate them in Okta by other means"
    return True, f"sources.{name}.activation = {mode} ({reason}): new Okta users are {effect}"


async def _check_okta_oauth(config: Config, clients: Clients, console: Console) -> bool:
    """Obtain the Okta OAuth token; False when that fails or it lacks a scope a sync needs."""
    token = clients.okta_oauth
    if token is None:
        return True
    try:
        await token.header(clients.okta.session)
    except ApiError as exc:
        _say(console, False, explain(exc, config)[1])
        return False
    granted = token.granted_scopes or token.scopes
    required = config.required_okta_scopes()
    lacking = missing_scopes(granted, required)
    if lacking:
        _say(
            console,
            False,
            f"okta: OAuth token lacks scope {', '.join(lacking)} (granted: {' '.join(granted)}); "
            "grant it in the Okta Admin Console: Applications > the app > Okta API Scopes "
            "(and list it in okta.oauth.scopes if you set them)",
        )
        return False
    _say(console, True, f"okta: OAuth token obtained with {' '.join(granted)}")
    return True


async def _resolve(config: Config, clients: Clients) -> Resolution:
    """The bindings resolved; with template bindings, against the state's recorded groups
    (so that the groups spokesync made are told apart from others of the same name)."""
    if not any(b.kind == "organizations" for b in config.bindings) or not state_exists(
        config.state.url
    ):
        return await resolve_all(config, clients)
    with open_store(config.state.url) as store:
        return await resolve_all(config, clients, store)


def _bound(binding: Binding) -> str:
    group = f"group {binding.group_name} = {binding.group_id}"
    if not binding.organization_id:
        return f"role {binding.role_name} = {binding.role_id} ({binding.source}) -> {group}"
    role = f" role {binding.role_name} = {binding.role_id} in" if binding.role_id else ""
    org = f"organization {binding.organization_name} = {binding.organization_id}"
    if binding.group_id.startswith("planned:"):
        group = f"group {binding.group_name!r} (created by the first sync)"
    return f"{role} {org} ({binding.source}) -> {group}".strip()


def _group_line(state: GroupState) -> tuple[bool | None, str]:
    """How ``config check`` shows the group a template binding needs for one organization."""
    org = f"organization {state.organization_name} ({state.source})"
    if state.status is GroupStatus.MISSING:
        return True, f"{org}: group {state.name!r} would be created"
    if state.status is GroupStatus.OURS:
        if state.current_name != state.name:
            return True, f"{org}: group {state.current_name!r} would be renamed {state.name!r}"
        return True, f"{org}: group {state.name!r} = {state.group_id} (made by spokesync)"
    if state.status is GroupStatus.ADOPTABLE:
        return True, f"{org}: group {state.name!r} = {state.group_id} would be adopted"
    if state.status is GroupStatus.CLAIMABLE:
        return True, f"{org}: group {state.name!r} = {state.group_id} (an interrupted run made it)"
    return None, f"{org}: {state.detail}"


async def check(
    config: Config, console: Console, transport_for: TransportFor | None = None
) -> bool:
    """Print one line per check; True when nothing failed (warnings allowed)."""
    ok = True
    _say(
        console,
        True,
        f"config parsed: {len(config.sources)} source(s), {len(config.bindings)} binding(s)",
    )
    for attr in login_sources_from_user_metadata(config.mapping_rules()):
        _say(
            console,
            None,
            f"mapping.{attr} reads user_metadata, which users can edit themselves: "
            "anyone could pick their Okta login; map it from email instead",
        )
    if config.policy.allow_unverified_email:
        _say(
            console,
            None,
            "policy.allow_unverified_email = true: an Auth0 sign-up with someone else's address "
            "could be linked to that person's Okta account",
        )
    for warning in check_file_modes(config):
        _say(console, None, warning)
    for name, source in config.sources.items():
        _say(console, *explain_activation(name, source))
    async with open_clients(config, transport_for) as clients:
        if not await _check_okta_oauth(config, clients, console):
            ok = False
        #: the credential failures said already (resolving names would meet them again)
        refused: set[str] = set()
        for name, client in clients.auth0.items():
            try:
                granted = set(await client.check_scopes())
            except ApiError as exc:
                line = explain(exc, config)[1]
                refused.add(line)
                _say(console, False, line)
                ok = False
                continue
            required = config.required_auth0_scopes(name)
            missing = [s for s in required if s not in granted]
            if missing:
                ok = False
                _say(
                    console,
                    False,
                    f"source {name}: the Auth0 application {config.sources[name].client_id} "
                    f"(sources.{name}.client_id) lacks {', '.join(missing)}; {AUTH0_GRANT}",
                )
            else:
                _say(
                    console,
                    True,
                    f"source {name}: token obtained with {', '.join(required)}",
                )
            if config.live.enabled and not granted.intersection(LOG_SCOPES):
                ok = False
                _say(
                    console,
                    False,
                    f"source {name}: the Auth0 application {config.sources[name].client_id} "
                    f"lacks read:logs, which live mode needs ([live] enabled); {AUTH0_GRANT}",
                )
            lacking = [s for s in WRITE_BACK_SCOPES if s not in granted]
            if lacking:
                _say(
                    console,
                    None,
                    f"source {name}: token lacks {', '.join(lacking)}: write-back of hub status "
                    "to Auth0 will fail",
                )
        try:
            resolution = await _resolve(config, clients)
            bindings = resolution.bindings
            user_types = await resolve_user_type_records(config, clients)
        except ResolveError as exc:
            _say(console, False, str(exc))
            return False
        except ApiError as exc:
            # Credentials, scopes or reachability, said as such (once): naming what to fix.
            line = explain(exc, config)[1]
            if line not in refused:
                _say(console, False, line)
            return False
        except StoreError as exc:  # the recorded organization groups could not be read
            _say(console, False, f"{exc}; check [state] url and the file's permissions")
            return False
        for binding in bindings:
            if binding.organization_gone:
                continue
            _say(console, True, f"bindings[{binding.index}]: {_bound(binding)}")
        for state in resolution.groups:
            verdict, text = _group_line(state)
            _say(console, verdict, text)
        for name, user_type in user_types.items():
            wanted = config.sources[name].okta_user_type
            _say(console, True, f"sources.{name}.okta_user_type {wanted} = {user_type.id}")
        if not await _check_mapping_targets(config, clients, user_types, console):
            ok = False
    return ok


async def _check_mapping_targets(
    config: Config, clients: Clients, user_types: dict[str, UserType], console: Console
) -> bool:
    """One line per mapping target that Okta's profile schema (of each source's user type)
    does not define or types otherwise; False when there is one."""
    targets = custom_targets(config.mapping_rules())
    if not targets:
        return True
    try:
        schemas = await resolve_profile_schemas(config, clients, user_types)
    except ApiError as exc:
        _say(
            console,
            False,
            f"okta: the user profile schema could not be read, so mapping.{targets[0]} "
            f"cannot be checked: {exc}; grant okta.schemas.read",
        )
        return False
    problems = target_problems(list(config.mapping_rules()), schemas)
    for problem in problems:
        _say(console, False, problem.check_line())
    held = [t for t in targets if t not in {p.attribute for p in problems}]
    if held:
        where = " and ".join(schemas)
        _say(console, True, f"mapping: Okta's user profile ({where}) holds {', '.join(held)}")
    return not problems
