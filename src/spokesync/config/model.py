"""The whole config: its tables, and the checks that span them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import Field, PrivateAttr, field_validator, model_validator

from spokesync.config.sections import (
    OKTA_BASE_SCOPES,
    OKTA_IDP_SCOPE,
    OKTA_LOGS_SCOPE,
    OKTA_SCHEMAS_SCOPE,
    OKTA_USER_TYPES_SCOPE,
    BindingConfig,
    IdentityConfig,
    LiveConfig,
    OktaConfig,
    PolicyConfig,
    PrivateKeyHolder,
    Section,
    ServeConfig,
    SourceConfig,
    StateConfig,
)
from spokesync.config.values import KeyedValueError
from spokesync.mapping import DEFAULT_MAPPING, MappingRule, RuleError, validate_rules
from spokesync.okta.schema import custom_targets
from spokesync.organizations.template import TemplateError, is_template, template_fields


class Config(Section):
    state: StateConfig = StateConfig()
    okta: OktaConfig
    sources: Annotated[dict[str, SourceConfig], Field(min_length=1)]
    bindings: Annotated[list[BindingConfig], Field(min_length=1)]
    mapping: dict[str, MappingRule] = Field(default_factory=dict)
    policy: PolicyConfig = PolicyConfig()
    identity: IdentityConfig = IdentityConfig()
    live: LiveConfig = LiveConfig()
    serve: ServeConfig = ServeConfig()

    @field_validator("sources")
    @classmethod
    def _source_names(cls, v: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        for name in v:
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
                raise KeyedValueError(
                    f"sources.{name}", "is not a usable source name: use letters, digits, _ . -"
                )
        return v

    @field_validator("mapping", mode="before")
    @classmethod
    def _mapping_shapes(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        shaped: dict[str, Any] = {}
        for attribute, value in v.items():
            key = f"mapping.{attribute}"
            # firstName = "given_name" is one path
            rule = [value] if isinstance(value, str) else value
            if isinstance(rule, dict):
                if set(rule) != {"value"}:
                    raise KeyedValueError(
                        key, 'must be a list of paths or a fixed value written { value = "..." }'
                    )
            elif not (isinstance(rule, list) and all(isinstance(p, str) for p in rule)):
                raise KeyedValueError(
                    key, 'must be a list of paths such as ["given_name"] or { value = "..." }'
                )
            shaped[attribute] = rule
        return shaped

    @field_validator("mapping")
    @classmethod
    def _mapping_rules(cls, v: dict[str, MappingRule]) -> dict[str, MappingRule]:
        try:
            validate_rules(v)
        except RuleError as exc:
            raise KeyedValueError(f"mapping.{exc.attribute}", exc.problem) from None
        return v

    @model_validator(mode="after")
    def _one_credential_per_source(self) -> Self:
        for name, source in self.sources.items():
            has_key = source.private_key_file is not None or source.private_key is not None
            if source.private_key_file is not None and source.private_key is not None:
                raise KeyedValueError(
                    f"sources.{name}.private_key",
                    "and private_key_file are both set; keep one of them",
                )
            if source.client_secret is None and not has_key:
                raise KeyedValueError(
                    f"sources.{name}.client_secret",
                    "is required but missing (or give private_key_file for private_key_jwt)",
                )
            if source.client_secret is not None and has_key:
                raise KeyedValueError(
                    f"sources.{name}.client_secret",
                    "and a private key are both set; keep one of them",
                )
        oauth = self.okta.oauth
        if oauth is not None:
            if oauth.private_key_file is not None and oauth.private_key is not None:
                raise KeyedValueError(
                    "okta.oauth.private_key", "and private_key_file are both set; keep one of them"
                )
            if oauth.private_key_file is None and oauth.private_key is None:
                raise KeyedValueError(
                    "okta.oauth.private_key_file",
                    'is required but missing (or private_key, e.g. "${OKTA_PRIVATE_KEY}")',
                )
        return self

    _origin: Path | None = PrivateAttr(default=None)

    def set_origin(self, path: Path) -> None:
        """Remember the file this config was read from (``config check`` looks at its mode)."""
        self._origin = path

    @property
    def origin(self) -> Path | None:
        """The file this config was read from; None when it was parsed from a document."""
        return self._origin

    def organization_sources(self) -> frozenset[str]:
        """The sources some binding reads organizations of."""
        return frozenset(b.source for b in self.bindings if b.kind != "role")

    def required_auth0_scopes(self, source: str) -> tuple[str, ...]:
        """The Management API scopes a sync needs of ``source``: users and roles, and the
        organization ones when a binding reads its organizations (member roles only for an
        ``organization_role``)."""
        mine = [b for b in self.bindings if b.source == source and b.kind != "role"]
        scopes = ["read:users", "read:roles"]
        if mine:
            scopes += ["read:organizations", "read:organization_members"]
        if any(b.organization_role is not None for b in mine):
            scopes.append("read:organization_member_roles")
        return tuple(scopes)

    def required_okta_scopes(self) -> tuple[str, ...]:
        """The Okta scopes a sync needs: users and groups, IdPs when a source links them, user
        types when a source names one, the profile schema when the mapping targets a custom
        attribute, and the System Log in live mode."""
        needs_idp = any(s.okta_idp_id for s in self.sources.values())
        needs_types = any(s.okta_user_type for s in self.sources.values())
        needs_schema = bool(custom_targets(self.mapping_rules()))
        return (
            OKTA_BASE_SCOPES
            + ((OKTA_IDP_SCOPE,) if needs_idp else ())
            + ((OKTA_USER_TYPES_SCOPE,) if needs_types else ())
            + ((OKTA_SCHEMAS_SCOPE,) if needs_schema else ())
            + ((OKTA_LOGS_SCOPE,) if self.live.enabled else ())
        )

    def with_live(self) -> Config:
        """This config with ``[live] enabled = true`` (what ``serve --live`` runs with)."""
        if self.live.enabled:
            return self
        # model_copy keeps the private origin (config check reads the file's mode through it).
        return self.model_copy(update={"live": self.live.model_copy(update={"enabled": True})})

    def okta_scopes(self) -> tuple[str, ...]:
        """The scopes to request: ``okta.oauth.scopes`` as written, or the required ones."""
        oauth = self.okta.oauth
        if oauth is not None and oauth.scopes is not None:
            return tuple(oauth.scopes)
        return self.required_okta_scopes()

    def private_keys(self) -> list[str]:
        """Every private key PEM in this config (to register for redaction)."""
        holders: list[PrivateKeyHolder] = [*self.sources.values()]
        if self.okta.oauth is not None:
            holders.append(self.okta.oauth)
        return [pem.get_secret_value() for h in holders if (pem := h.private_key_pem())]

    def secrets(self) -> list[str]:
        """Every secret value in this config: tokens, client secrets and private keys."""
        values = [
            s.client_secret.get_secret_value() for s in self.sources.values() if s.client_secret
        ]
        if self.okta.token is not None:
            values.append(self.okta.token.get_secret_value())
        if self.serve.token is not None:
            values.append(self.serve.token.get_secret_value())
        if self.serve.oidc is not None:
            values.append(self.serve.oidc.client_secret.get_secret_value())
        return values + self.private_keys()

    @model_validator(mode="after")
    def _bindings_name_sources(self) -> Config:
        seen: dict[tuple[str, ...], int] = {}
        templates: dict[tuple[str, str], int] = {}
        for i, binding in enumerate(self.bindings):
            if binding.source not in self.sources:
                known = ", ".join(sorted(self.sources))
                raise KeyedValueError(
                    f"bindings[{i}].source",
                    f"names {binding.source!r}, which is not a [sources.*] table (known: {known})",
                )
            check_binding_shape(i, binding)
            triple = (
                binding.source,
                binding.kind,
                repr(binding.role or binding.organization or binding.organizations),
                binding.organization_role or "",
                binding.group,
            )
            if triple in seen:
                raise KeyedValueError(
                    f"bindings[{i}]",
                    f"repeats bindings[{seen[triple]}] (same source, role or organization, group)",
                )
            seen[triple] = i
            if is_template(binding.group):
                # One group per organization and organization role is recorded (the state's
                # organization_groups key): a second template for the same members would
                # take over, and rename, the first one's groups.
                members = (binding.source, binding.organization_role or "")
                if members in templates:
                    role = binding.organization_role
                    whose = f"organization role {role!r}" if role else "all members"
                    raise KeyedValueError(
                        f"bindings[{i}].group",
                        f"is a second group template for the same members ({whose} of "
                        f"source {binding.source!r}) as bindings[{templates[members]}]: "
                        "spokesync makes one group per organization and organization role; "
                        "keep one template, or give this one another organization_role",
                    )
                templates[members] = i
        return self

    def mapping_rules(self) -> dict[str, MappingRule]:
        """The effective mapping: the defaults, overridden attribute by attribute."""
        rules: dict[str, MappingRule] = {k: list(v) for k, v in DEFAULT_MAPPING.items()}
        rules.update(self.mapping)
        return rules


def check_binding_shape(i: int, binding: BindingConfig) -> None:
    """One ``[[bindings]]`` entry names exactly one membership and a usable group; raise
    :class:`KeyedValueError` naming ``bindings[i].KEY`` otherwise."""
    where = f"bindings[{i}]"
    named = [
        k for k in ("role", "organization", "organizations") if getattr(binding, k) is not None
    ]
    if len(named) != 1:
        problem = (
            "names none of role, organization and organizations; give exactly one"
            if not named
            else f"names {' and '.join(named)}; give exactly one of role, organization, "
            "organizations"
        )
        raise KeyedValueError(where, problem)
    if binding.organization_role is not None and binding.kind == "role":
        raise KeyedValueError(
            f"{where}.organization_role",
            "needs organization or organizations (a tenant role is bound with role)",
        )
    selector = binding.organizations
    if isinstance(selector, list) and (
        not selector or not all(isinstance(n, str) and n for n in selector)
    ):
        raise KeyedValueError(
            f"{where}.organizations", 'must be "*", a glob, or a non-empty list of names'
        )
    if isinstance(selector, str) and not selector.strip():
        raise KeyedValueError(f"{where}.organizations", 'must be "*", a glob, or a list of names')
    if is_template(binding.group):
        if binding.kind != "organizations":
            raise KeyedValueError(
                f"{where}.group",
                "is a template, which only a binding with organizations expands; "
                "give a group name or id",
            )
        try:
            template_fields(binding.group)
        except TemplateError as exc:
            raise KeyedValueError(f"{where}.group", str(exc)) from None
