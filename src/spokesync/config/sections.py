"""The config file's tables below the top level: ``[state]``, ``[okta]``, ``[sources.*]``,
``[[bindings]]``, ``[policy]``, ``[identity]``, ``[live]``, ``[serve]``."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from spokesync.config.values import (
    KeyedValueError,
    SigningAlgorithm,
    check_base_url,
    check_ca_bundle,
    check_private_key,
    check_secret,
    check_url,
    readable_file,
    unescape_pem,
)

#: Okta scopes every OAuth service app needs: read and change users, read and change members.
#: A ``.manage`` scope includes the matching ``.read`` (Okta's scope descriptions).
OKTA_BASE_SCOPES = ("okta.users.manage", "okta.groups.manage")
#: Needed besides when a source links users to an Okta identity provider (``okta_idp_id``).
OKTA_IDP_SCOPE = "okta.idps.manage"
#: Needed besides in live mode, to read the System Log.
OKTA_LOGS_SCOPE = "okta.logs.read"
#: Needed besides when a source names an Okta user type (``okta_user_type``).
OKTA_USER_TYPES_SCOPE = "okta.userTypes.read"
#: Needed besides when ``[mapping]`` targets an attribute beyond Okta's base profile: the
#: profile schema says whether the user type defines it.
OKTA_SCHEMAS_SCOPE = "okta.schemas.read"

#: How Okta users of a source are created: through the IdP at once (no password, no email),
#: with Okta's activation email, or staged for activation by other means.
Activation = Literal["federated", "email", "staged"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrivateKeyHolder(Section):
    """A ``private_key_jwt`` signing key given inline (``private_key``, usually ``${VAR}``) or
    as a file (``private_key_file``); the PEM is read once, at load time."""

    algorithm: SigningAlgorithm = "RS256"
    private_key_file: str | None = None
    private_key: SecretStr | None = None
    key_id: str | None = Field(default=None, min_length=1)
    _pem: SecretStr | None = PrivateAttr(default=None)

    @field_validator("private_key_file")
    @classmethod
    def _key_file(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return None
        path = readable_file(v, info)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise ValueError(f"names {str(path)!r}, which cannot be read ({reason})") from None
        try:
            check_private_key(text, str(info.data.get("algorithm", "RS256")))
        except ValueError as exc:
            raise ValueError(f"names {str(path)!r}, which {exc}") from None
        return str(path)

    @field_validator("private_key")
    @classmethod
    def _key_text(cls, v: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if v is None:
            return None
        check_secret(v)
        algorithm = str(info.data.get("algorithm", "RS256"))
        return SecretStr(check_private_key(v.get_secret_value(), algorithm))

    @model_validator(mode="after")
    def _load_key(self) -> Self:
        if self.private_key_file is not None:
            # Checked by _key_file already; read again because a field validator cannot keep it.
            text = Path(self.private_key_file).read_text(encoding="utf-8")
            self._pem = SecretStr(unescape_pem(text).strip() + "\n")
        elif self.private_key is not None:
            self._pem = self.private_key
        return self

    def private_key_pem(self) -> SecretStr | None:
        """The signing key's PEM text, whichever way it was given; None when there is none."""
        return self._pem


class StateConfig(Section):
    url: str = "sqlite:///spokesync.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if not (v.startswith("sqlite:") or v.startswith("postgresql")):
            raise ValueError(f"must start with sqlite:/// or postgresql+psycopg://, not {v!r}")
        return v


class OktaOAuthConfig(PrivateKeyHolder):
    """``[okta.oauth]``: an OAuth 2.0 service app, client credentials with private_key_jwt."""

    client_id: str = Field(min_length=1)
    #: None: the scopes this config needs (see :meth:`Config.required_okta_scopes`)
    scopes: list[str] | None = None

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return None
        if not v:
            raise ValueError(
                "must not be empty; leave it out to request the scopes spokesync needs"
            )
        for scope in v:
            if not re.fullmatch(r"okta\.[a-zA-Z]+\.[a-zA-Z]+", scope):
                raise ValueError(
                    f"holds {scope!r}, which is not an Okta scope such as okta.users.manage"
                )
        return list(dict.fromkeys(v))


class OktaConfig(Section):
    org_url: str
    #: SSWS API token; exactly one of ``token`` and ``[okta.oauth]`` is given
    token: SecretStr | None = None
    oauth: OktaOAuthConfig | None = None
    rate_limit_share: float = Field(default=0.5, gt=0, le=1)
    max_concurrency: int = Field(default=10, ge=1, le=75)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    ca_bundle: str | None = None

    @field_validator("org_url")
    @classmethod
    def _url(cls, v: str) -> str:
        url = check_base_url(v)
        host = urlsplit(url).hostname or ""
        first, _, rest = host.partition(".")
        if first.endswith("-admin") and rest.startswith("okta"):
            raise ValueError(
                f"is the admin console address; the API is at https://{first[:-6]}.{rest}"
            )
        return url

    @field_validator("token")
    @classmethod
    def _token(cls, v: SecretStr | None) -> SecretStr | None:
        return None if v is None else check_secret(v)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, v: str | None, info: ValidationInfo) -> str | None:
        return check_ca_bundle(v, info)

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        if self.token is None and self.oauth is None:
            raise KeyedValueError(
                "okta.token",
                "is required but missing (or add an [okta.oauth] table for an OAuth service app)",
            )
        if self.token is not None and self.oauth is not None:
            raise KeyedValueError(
                "okta.token", "and [okta.oauth] are both set; keep one of them (OAuth is preferred)"
            )
        return self


class SourceConfig(PrivateKeyHolder):
    domain: str
    client_id: str = Field(min_length=1)
    #: exactly one of ``client_secret`` and a private key (``private_key_file``/``private_key``)
    client_secret: SecretStr | None = None
    audience: str | None = None
    okta_idp_id: str | None = None
    #: how new Okta users are created; None: ``federated`` with ``okta_idp_id``, else ``email``
    activation: Activation | None = None
    #: the Okta user type (name or ``oty...`` id) of the users created for this source
    okta_user_type: str | None = Field(default=None, min_length=1)
    #: read profiles with a users-export job when at least this many members have none cached
    export_threshold: int = Field(default=500, ge=1)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    ca_bundle: str | None = None

    @field_validator("domain")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_base_url(v, allow_bare_host=True)

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        return None if v is None else check_secret(v)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, v: str | None, info: ValidationInfo) -> str | None:
        return check_ca_bundle(v, info)

    @property
    def base_url(self) -> str:
        return self.domain

    @property
    def activation_mode(self) -> Activation:
        """``activation`` as written, or its default: ``federated`` when the source's users
        sign in through an Okta IdP (``okta_idp_id``), else ``email`` (Okta's own default)."""
        if self.activation is not None:
            return self.activation
        return "federated" if self.okta_idp_id else "email"

    @property
    def token_audience(self) -> str:
        """The Management API audience: ``https://{domain}/api/v2/`` (trailing slash)."""
        return self.audience or f"{self.domain}/api/v2/"


class BindingConfig(Section):
    """One ``[[bindings]]`` entry: exactly one of ``role``, ``organization`` and
    ``organizations`` (checked by :class:`~spokesync.config.model.Config`, which knows the
    entry's index for the message)."""

    source: str
    role: str | None = Field(default=None, min_length=1)
    #: an organization's name or ``org_...`` id: its members
    organization: str | None = Field(default=None, min_length=1)
    #: ``"*"``, a glob of organization names, or a list of names: one binding per match
    organizations: str | list[str] | None = None
    #: with ``organization(s)``: only members holding this organization role (name or id)
    organization_role: str | None = Field(default=None, min_length=1)
    #: a group name or id; with ``organizations`` also a template such as
    #: ``"Partner {organization.display_name}"``
    group: str = Field(min_length=1)
    on_leave: Literal["remove_from_group", "none"] = "remove_from_group"

    @property
    def kind(self) -> str:
        """``role``, ``organization`` or ``organizations``."""
        if self.organizations is not None:
            return "organizations"
        return "organization" if self.organization is not None else "role"


class PolicyConfig(Section):
    """Lifecycle and safety policies (see the README for each default and why)."""

    on_unlinked: Literal["link", "report"] = "link"
    on_gone: Literal["none", "suspend", "deactivate", "delete"] = "none"
    on_blocked: Literal["suspend", "none"] = "suspend"
    on_profile_drift: Literal["overwrite", "report"] = "overwrite"
    login_follows_email: bool = True
    allow_unverified_email: bool = False
    max_deprovision: str = "10%"
    #: a run may always deprovision this many members of a group, whatever max_deprovision
    #: allows (a pilot of 4 loses one member without --force)
    deprovision_floor: int = Field(default=5, ge=0)
    hub_status_key: str = "hub_status"
    #: an identity failing this many runs in a row is skipped until --retry-quarantined (0: never)
    quarantine_after: int = Field(default=5, ge=0)
    block_in_source: bool = False
    #: a group of a template's name that spokesync did not create is used (and recorded as
    #: its own) instead of being reported
    adopt_groups: bool = False

    @field_validator("max_deprovision", mode="before")
    @classmethod
    def _count_as_text(cls, v: Any) -> Any:
        # max_deprovision = 25 (a TOML integer) means the count "25".
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("max_deprovision")
    @classmethod
    def _share(cls, v: str) -> str:
        text = v.strip()
        wrong = f'must be a share such as "10%" or a whole count such as "25", not {v!r}'
        if text.endswith("%"):
            try:
                share = float(text[:-1])
            except ValueError:
                raise ValueError(wrong) from None
            if not 0 <= share <= 100:
                raise ValueError(f"must be a share between 0% and 100%, not {v!r}")
        elif not text.isdigit():
            raise ValueError(wrong)
        return text


class IdentityConfig(Section):
    shared_across_sources: bool = False


class LiveConfig(Section):
    """``[live]``: react to the tenant logs and the System Log between scheduled runs.

    ``enabled`` says the config is meant for ``serve --live`` (which sets it for its own
    process), so that ``config check`` and the Okta token ask for the log scopes too.
    """

    enabled: bool = False
    poll_seconds: int = Field(default=10, ge=1, le=300)


#: ``[serve] http`` when the config does not say: the dashboard and probes on loopback only.
DEFAULT_HTTP = "127.0.0.1:8470"
#: The shortest ``[serve] token`` accepted: it guards who may start runs.
MIN_TOKEN_LENGTH = 32
#: Session lifetimes when ``[serve]`` does not say: signed out after 8 idle hours, and after
#: 24 hours whatever happens (a working day and a night, then a fresh sign-in).
DEFAULT_SESSION_IDLE_MINUTES = 8 * 60
DEFAULT_SESSION_MAX_HOURS = 24
#: Role names, from least to most: what ``[serve.roles]`` maps groups to.
ROLES = ("viewer", "operator", "approver")


def parse_listen(value: str) -> tuple[str, int] | None:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a pair, or None for ``off``; ValueError else."""
    text = value.strip()
    if text.lower() == "off":
        return None
    wrong = f'must be HOST:PORT such as "127.0.0.1:8470", or "off", not {value!r}'
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(wrong)
    if host.startswith("["):
        if not host.endswith("]"):
            raise ValueError(wrong)
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{wrong} (write an IPv6 address in brackets: [::1]:8470)")
    number = int(port)
    if not 0 < number < 65536:
        raise ValueError(f"names port {number}, which is not between 1 and 65535")
    return host, number


def _proxy_address(entry: str) -> str:
    """A ``forwarded_allow_ips`` entry in the form uvicorn compares (``10.1.2.3/16`` is the
    network ``10.1.0.0/16``)."""
    text = entry.strip()
    try:
        if "/" in text:
            return str(ipaddress.ip_network(text, strict=False))
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError(
            f"{entry!r} is not an IP address or network; list your proxies' addresses, "
            'e.g. ["10.0.0.5", "10.1.0.0/16"]'
        ) from None


class OidcConfig(Section):
    """``[serve.oidc]``: sign in to the dashboard with the hub (OpenID Connect, code + PKCE)."""

    #: the Okta org (https://hub.okta.com) or an authorization server under it
    issuer: str
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    #: where the issuer sends the browser back: this service's /auth/callback
    redirect_url: str
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    ca_bundle: str | None = None

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, v: str) -> str:
        return check_url(v)

    @field_validator("redirect_url")
    @classmethod
    def _redirect(cls, v: str) -> str:
        url = check_url(v)
        if not urlsplit(url).path.endswith("/auth/callback"):
            raise ValueError(f"must be this service's /auth/callback URL, not {v!r}")
        return url

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, v: SecretStr) -> SecretStr:
        return check_secret(v)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, v: str | None, info: ValidationInfo) -> str | None:
        return check_ca_bundle(v, info)


class RolesConfig(Section):
    """``[serve.roles]``: the ID token's ``groups`` values that give each role."""

    viewer: list[str] = []
    operator: list[str] = []
    approver: list[str] = []

    @field_validator("viewer", "operator", "approver")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for name in v:
            if not name.strip():
                raise ValueError("holds an empty group name")
        return list(dict.fromkeys(v))

    def roles_of(self, groups: list[str]) -> frozenset[str]:
        """The roles the groups give (operator and approver include viewer)."""
        held = set(groups)
        roles = {role for role in ROLES if held & set(getattr(self, role))}
        if roles & {"operator", "approver"}:
            roles.add("viewer")
        return frozenset(roles)


class ServeConfig(Section):
    """``spokesync serve``: where the dashboard, probes and metrics listen, their token, the
    OpenID sign-in and roles, sessions, and (with a PostgreSQL state) how soon a standby
    replaces a dead leader."""

    http: str = DEFAULT_HTTP
    #: Bearer token every endpoint but the probes requires (give it as "${VAR}")
    token: SecretStr | None = None
    failover_seconds: float = Field(default=15.0, ge=2, le=300)
    #: A request's head (request line and headers) must arrive within this many seconds
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    #: ... and its body (at most 64 KiB) within this many seconds of its head
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    #: An idle keep-alive connection is closed after this many seconds
    keep_alive_seconds: float = Field(default=5.0, gt=0, le=300)
    #: Connections open at once; past it, the one reading a request longest is closed
    max_connections: int = Field(default=100, ge=8, le=10_000)
    #: Proxies (addresses or networks) whose X-Forwarded-Proto/-For are believed; none by default
    forwarded_allow_ips: tuple[str, ...] = ()

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _forwarded_allow_ips(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for entry in v:
            if entry.strip() == "*":
                raise ValueError(
                    '"*" would believe any client\'s X-Forwarded-* headers; list the addresses '
                    'or networks of your proxies, e.g. ["10.0.0.5", "10.1.0.0/16"]'
                )
        return tuple(_proxy_address(entry) for entry in v)

    #: a session unused this long ends
    session_idle_minutes: int = Field(default=DEFAULT_SESSION_IDLE_MINUTES, ge=1, le=7 * 24 * 60)
    #: a session ends this long after its sign-in, used or not
    session_max_hours: int = Field(default=DEFAULT_SESSION_MAX_HOURS, ge=1, le=30 * 24)
    oidc: OidcConfig | None = None
    roles: RolesConfig = RolesConfig()

    @model_validator(mode="after")
    def _roles_need_oidc(self) -> Self:
        if self.oidc is not None and not (
            self.roles.viewer or self.roles.operator or self.roles.approver
        ):
            raise KeyedValueError(
                "serve.roles",
                "names no group: with [serve.oidc], map groups to roles, e.g. "
                'viewer = ["spokesync-viewers"]',
            )
        return self

    @field_validator("http")
    @classmethod
    def _http(cls, v: str) -> str:
        parse_listen(v)
        return v.strip()

    @field_validator("token")
    @classmethod
    def _token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None:
            return None
        check_secret(v)
        if len(v.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"is shorter than {MIN_TOKEN_LENGTH} characters; use a long random value "
                "(e.g. from `openssl rand -hex 32`)"
            )
        return v
