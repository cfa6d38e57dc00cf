"""Names to ids, before a run observes: the bindings' roles, groups and organizations, the
sources' Okta user types and the profile schemas new users get.

Each name is looked up once per run; a name that does not resolve is a config problem
(:class:`ResolveError`, exit 2) naming the key to fix. Organization bindings expand here into
one binding per organization (:mod:`spokesync.organizations.resolve`).
"""

from __future__ import annotations

from collections.abc import Mapping

from spokesync.clients import Clients
from spokesync.config import Config
from spokesync.domain import Binding
from spokesync.http import AmbiguousName, NotFound
from spokesync.okta.models import UserType
from spokesync.okta.schema import DEFAULT_SCHEMA, ProfileSchema, custom_targets
from spokesync.organizations.resolve import (
    OrganizationError,
    Resolution,
    resolve_organization_bindings,
)
from spokesync.store.base import Store


class ResolveError(Exception):
    """A binding's role or group does not resolve; a config problem (exit 2)."""


async def resolve_all(config: Config, clients: Clients, store: Store | None = None) -> Resolution:
    """Resolve every binding to ids: roles and groups by name (each looked up once), and
    organization bindings to one binding per organization, with the states of the groups
    template bindings need (``store`` holds the groups spokesync made)."""
    out = await resolve_role_bindings(config, clients)
    specs = {i: spec for i, spec in enumerate(config.bindings) if spec.kind != "role"}
    if not specs:
        return Resolution(tuple(out))
    recorded = store.organization_groups() if store is not None else ()
    pending = store.pending_actions() if store is not None else ()
    try:
        found = await resolve_organization_bindings(config, clients, specs, recorded, pending)
    except OrganizationError as exc:
        raise ResolveError(str(exc)) from None
    # In the config's order; a template binding's organizations in name order.
    bindings = sorted([*out, *found.bindings], key=lambda b: b.index)
    return Resolution(tuple(bindings), found.groups, found.organizations)


async def resolve_role_bindings(config: Config, clients: Clients) -> list[Binding]:
    """The role bindings resolved (organization bindings left out)."""
    roles: dict[tuple[str, str], tuple[str, str]] = {}
    groups: dict[str, tuple[str, str]] = {}
    out: list[Binding] = []
    for i, spec in enumerate(config.bindings):
        if spec.role is None:
            continue
        where = f"bindings[{i}]"
        if (spec.source, spec.role) not in roles:
            try:
                role = await clients.auth0[spec.source].find_role(spec.role)
            except NotFound:
                raise ResolveError(
                    f"{where}.role {spec.role!r} does not exist in source {spec.source!r}; "
                    "check the role name or id in Auth0"
                ) from None
            roles[(spec.source, spec.role)] = (role.id, role.name)
        if spec.group not in groups:
            try:
                group = await clients.okta.find_group(spec.group)
            except NotFound:
                raise ResolveError(
                    f"{where}.group {spec.group!r} does not exist in Okta; "
                    "check the group name or id"
                ) from None
            if group.type != "OKTA_GROUP":
                # Every org has the BUILT_IN group Everyone, which holds every user
                # (okta/terraform/groups-everyone.json #0); it and APP_GROUP groups take no
                # members through the API, so a run would fail once per user.
                raise ResolveError(
                    f"{where}.group {spec.group!r} is a {group.type} group, whose members Okta "
                    "keeps itself; bind an OKTA_GROUP group"
                )
            groups[spec.group] = (group.id, group.name)
        role_id, role_name = roles[(spec.source, spec.role)]
        group_id, group_name = groups[spec.group]
        out.append(
            Binding(spec.source, role_id, group_id, role_name, group_name, spec.on_leave, index=i)
        )
    return out


async def resolve_user_type_records(config: Config, clients: Clients) -> dict[str, UserType]:
    """source name -> the Okta user type its ``okta_user_type`` names (each looked up once)."""
    found: dict[str, UserType] = {}
    out: dict[str, UserType] = {}
    for name, source in config.sources.items():
        wanted = source.okta_user_type
        if wanted is None:
            continue
        if wanted not in found:
            try:
                found[wanted] = await clients.okta.find_user_type(wanted)
            except (NotFound, AmbiguousName) as exc:
                raise ResolveError(
                    f"sources.{name}.okta_user_type {wanted!r}: {exc.message}; "
                    "create the user type in Okta (Directory > Profile Editor) or give the "
                    "name or oty... id of an existing one"
                ) from None
        out[name] = found[wanted]
    return out


async def resolve_profile_schemas(
    config: Config, clients: Clients, user_types: Mapping[str, UserType]
) -> dict[str, ProfileSchema]:
    """The profile schemas new users get (label -> schema): the default user type's for a
    source without ``okta_user_type``, else its type's. None read (empty) when the mapping
    targets only base attributes, which every schema has."""
    if not custom_targets(config.mapping_rules()):
        return {}
    wanted: dict[str, str] = {}
    for name in config.sources:
        user_type = user_types.get(name)
        if user_type is None:
            wanted["the default user type"] = DEFAULT_SCHEMA
        elif user_type.schema_id is not None:
            wanted[f"user type {user_type.name}"] = user_type.schema_id
    return {label: await clients.okta.user_schema(schema_id) for label, schema_id in wanted.items()}
