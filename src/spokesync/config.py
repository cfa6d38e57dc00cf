"""The TOML config file, validated with pydantic; ``${VAR}`` reads the environment.

Every problem is raised as :class:`ConfigError`, whose message names the file, the key and
what to do, so the command line can print one line and exit 2 instead of a traceback.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import ssl
import tomllib
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from spokesync.redact import redact, register_secret

DEFAULT_PATH = "spokesync.toml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: Default mapping: attribute -> ordered source paths (first usable value wins).
DEFAULT_MAPPING: dict[str, list[str]] = {
    "login": ["email"],
    "email": ["email"],
    "firstName": ["user_metadata.firstName", "given_name", "name|first_word"],
    "lastName": ["user_metadata.lastName", "family_name", "name|after_first_word"],
}


#: Keys whose values are secrets: never echoed in a message, registered for redaction.
SECRET_KEYS = frozenset({"token", "client_secret", "private_key"})

#: Okta scopes every OAuth service app needs: read and change users, read and change members.
#: A ``.manage`` scope includes the matching ``.read`` (Okta's scope descriptions).
OKTA_BASE_SCOPES = ("okta.users.manage", "okta.groups.manage")
#: Needed besides when a source links users to an Okta identity provider (``okta_idp_id``).
OKTA_IDP_SCOPE = "okta.idps.manage"
#: Signing algorithms Okta and Auth0 accept for a ``private_key_jwt`` client assertion.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
SigningAlgorithm = Literal["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]


class ConfigError(Exception):
    """A config problem, phrased for the person who edits the file."""


class KeyedValueError(ValueError):
    """A validation problem about a key other than the one being validated (``bindings[2]``)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.problem = problem


def is_loopback_host(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1: the only hosts where http:// is allowed."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: str, *, allow_bare_host: bool = False) -> str:
    """Validate an https URL (http only on loopback); return it without a trailing slash."""
    raw = value.strip()
    if allow_bare_host and "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    try:
        parts = urlsplit(raw)
        hostname = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        raise ValueError(f"must be a URL such as https://host, not {value!r}") from None
    if parts.scheme not in ("https", "http") or not hostname:
        raise ValueError(f"must be a URL such as https://host, not {value!r}")
    if parts.scheme == "http" and not is_loopback_host(hostname):
        raise ValueError(
            f"must use https:// ({value!r} is not a loopback address; "
            "http:// is accepted only for 127.0.0.1 and localhost)"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"must not carry a query or fragment ({value!r})")
    return raw.rstrip("/")


def _check_base_url(value: str, *, allow_bare_host: bool = False) -> str:
    """:func:`check_url` for an API's base address: the paths are added by the clients."""
    url = check_url(value, allow_bare_host=allow_bare_host)
    path = urlsplit(url).path
    if path not in ("", "/"):
        raise ValueError(f"must be the base address without a path (remove {path!r})")
    return url


def _check_secret(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise ValueError("is empty; set it, or export the environment variable it reads")
    return value


def _base_dir(info: ValidationInfo) -> Path:
    """The directory relative file paths in the config are read from: the config file's."""
    context = info.context if isinstance(info.context, dict) else {}
    base = context.get("base_dir")
    return Path(base) if base is not None else Path.cwd()


def _readable_file(value: str, info: ValidationInfo) -> Path:
    """``value`` as a path (relative to the config file), or ValueError saying why it is not."""
    if not value.strip():
        raise ValueError("is empty; give the path of a file")
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = _base_dir(info) / path
    if not path.exists():
        raise ValueError(f"names {str(path)!r}, which does not exist")
    if not path.is_file():
        raise ValueError(f"names {str(path)!r}, which is not a file")
    return path


def _unescape_pem(text: str) -> str:
    # A PEM kept in an environment variable often has its line breaks written as "\n".
    return text.replace("\\n", "\n") if "\n" not in text else text


def check_private_key(pem: str, algorithm: str) -> str:
    """``pem`` if it is an unencrypted PEM private key fit for ``algorithm``; else ValueError.

    The message never quotes the key: it says only what kind of problem there is.
    """
    text = _unescape_pem(pem).strip()
    if "-----BEGIN" not in text or "PRIVATE KEY-----" not in text:
        raise ValueError(
            "is not a PEM private key (it must start with -----BEGIN PRIVATE KEY----- "
            "or -----BEGIN RSA PRIVATE KEY-----)"
        )
    try:
        key = load_pem_private_key(text.encode(), password=None)
    except TypeError:
        raise ValueError(
            "is an encrypted private key; spokesync needs it unencrypted "
            "(openssl pkey -in KEY -out KEY.pem), kept in a file only you can read"
        ) from None
    except (ValueError, UnicodeError):
        raise ValueError("is not a readable PEM private key (damaged or truncated)") from None
    if algorithm.startswith("RS") and not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"is not an RSA key, which algorithm {algorithm} needs")
    if algorithm.startswith("ES") and not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"is not an EC key, which algorithm {algorithm} needs")
    return text + "\n"


def _check_ca_bundle(value: str | None, info: ValidationInfo) -> str | None:
    """An existing file of PEM CA certificates (relative to the config file), as a full path."""
    if value is None:
        return None
    path = _readable_file(value, info)
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError):
        raise ValueError(
            f"names {str(path)!r}, which holds no PEM CA certificate TLS can load"
        ) from None
    return str(path)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrivateKeyHolder(_Model):
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
        path = _readable_file(v, info)
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
        _check_secret(v)
        algorithm = str(info.data.get("algorithm", "RS256"))
        return SecretStr(check_private_key(v.get_secret_value(), algorithm))

    @model_validator(mode="after")
    def _load_key(self) -> Self:
        if self.private_key_file is not None:
            # Checked by _key_file already; read again because a field validator cannot keep it.
            text = Path(self.private_key_file).read_text(encoding="utf-8")
            self._pem = SecretStr(_unescape_pem(text).strip() + "\n")
        elif self.private_key is not None:
            self._pem = self.private_key
        return self

    def private_key_pem(self) -> SecretStr | None:
        """The signing key's PEM text, whichever way it was given; None when there is none."""
        return self._pem


class StateConfig(_Model):
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


class OktaConfig(_Model):
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
        url = _check_base_url(v)
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
        return None if v is None else _check_secret(v)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, v: str | None, info: ValidationInfo) -> str | None:
        return _check_ca_bundle(v, info)

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
    #: read profiles with a users-export job when at least this many members have none cached
    export_threshold: int = Field(default=500, ge=1)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    ca_bundle: str | None = None

    @field_validator("domain")
    @classmethod
    def _url(cls, v: str) -> str:
        return _check_base_url(v, allow_bare_host=True)

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        return None if v is None else _check_secret(v)

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle(cls, v: str | None, info: ValidationInfo) -> str | None:
        return _check_ca_bundle(v, info)

    @property
    def base_url(self) -> str:
        return self.domain

    @property
    def token_audience(self) -> str:
        """The Management API audience: ``https://{domain}/api/v2/`` (trailing slash)."""
        return self.audience or f"{self.domain}/api/v2/"


class BindingConfig(_Model):
    source: str
    role: str = Field(min_length=1)
    group: str = Field(min_length=1)
    on_leave: Literal["remove_from_group", "none"] = "remove_from_group"


class FixedValue(_Model):
    value: str


MappingRule = list[str] | FixedValue


class PolicyConfig(_Model):
    """Lifecycle and safety policies (see the README for each default and why)."""

    on_unlinked: Literal["link", "report"] = "link"
    on_gone: Literal["none", "suspend", "deactivate", "delete"] = "none"
    on_blocked: Literal["suspend", "none"] = "suspend"
    on_profile_drift: Literal["overwrite", "report"] = "overwrite"
    login_follows_email: bool = True
    allow_unverified_email: bool = False
    max_deprovision: str = "10%"
    hub_status_key: str = "hub_status"
    #: an identity failing this many runs in a row is skipped until --retry-quarantined (0: never)
    quarantine_after: int = Field(default=5, ge=0)
    block_in_source: bool = False

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


class IdentityConfig(_Model):
    shared_across_sources: bool = False


class Config(_Model):
    state: StateConfig = StateConfig()
    okta: OktaConfig
    sources: Annotated[dict[str, SourceConfig], Field(min_length=1)]
    bindings: Annotated[list[BindingConfig], Field(min_length=1)]
    mapping: dict[str, MappingRule] = Field(default_factory=dict)
    policy: PolicyConfig = PolicyConfig()
    identity: IdentityConfig = IdentityConfig()

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
        # Imported here: mapping imports this module for FixedValue and MappingRule.
        from spokesync.mapping import RuleError, validate_rules

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

    def required_okta_scopes(self) -> tuple[str, ...]:
        """The Okta scopes a sync needs: users and groups, and IdPs when a source links them."""
        needs_idp = any(s.okta_idp_id for s in self.sources.values())
        return OKTA_BASE_SCOPES + ((OKTA_IDP_SCOPE,) if needs_idp else ())

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
        return values + self.private_keys()

    @model_validator(mode="after")
    def _bindings_name_sources(self) -> Config:
        seen: dict[tuple[str, str, str], int] = {}
        for i, binding in enumerate(self.bindings):
            if binding.source not in self.sources:
                known = ", ".join(sorted(self.sources))
                raise KeyedValueError(
                    f"bindings[{i}].source",
                    f"names {binding.source!r}, which is not a [sources.*] table (known: {known})",
                )
            triple = (binding.source, binding.role, binding.group)
            if triple in seen:
                raise KeyedValueError(
                    f"bindings[{i}]", f"repeats bindings[{seen[triple]}] (same source, role, group)"
                )
            seen[triple] = i
        return self

    def mapping_rules(self) -> dict[str, MappingRule]:
        """The effective mapping: the defaults, overridden attribute by attribute."""
        rules: dict[str, MappingRule] = {k: list(v) for k, v in DEFAULT_MAPPING.items()}
        rules.update(self.mapping)
        return rules


def _interpolate(value: Any, path: str, missing: list[str], used: list[str]) -> Any:
    """Replace ``${VAR}`` from the environment; note missing names and the values used."""
    if isinstance(value, str):

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                missing.append(f"{path} reads ${{{name}}}, which is not set in the environment")
                return ""
            used.append(os.environ[name])
            return os.environ[name]

        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {
            k: _interpolate(v, f"{path}.{k}" if path else k, missing, used)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", missing, used) for i, v in enumerate(value)]
    return value


def _secret_values(value: Any, key: str = "") -> list[str]:
    """Every string held under a secret-named key, at any depth."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _secret_values(v, str(k))]
    if isinstance(value, list):
        return [s for v in value for s in _secret_values(v, key)]
    return [value] if key in SECRET_KEYS and isinstance(value, str) else []


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("list[str]", "FixedValue"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model that holds the last key of ``loc`` (to suggest the keys it knows)."""
    annotation: Any = Config
    for part in loc[:-1]:
        while get_origin(annotation) in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) in (dict, list):
            annotation = get_args(annotation)[-1]
        else:
            return None
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    while get_origin(annotation) in (Union, types.UnionType):  # an optional table
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    model = _model_at(loc)
    if model is None:
        return "is not a known key (check its spelling)"
    known = sorted(model.model_fields)
    near = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if near:
        return f"is not a known key; did you mean {near[0]}?"
    return f"is not a known key (known here: {', '.join(known)})"


_MISSING_HINTS = {
    "okta": "[okta] table is missing; add one with org_url and token (or [okta.oauth])",
    "sources": "no [sources.NAME] table; add one per Auth0 tenant with domain, client_id "
    "and client_secret",
    "bindings": "no [[bindings]]; add at least one with source, role and group",
}
_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "string": "a string in quotes",
    "dict": "a table",
    "model": "a table",
    "model_attributes": "a table",
    "list": "a list [...]",
}
_LIMIT_WORDS = {
    "greater_than": "more than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}
_TOML_TYPES = {str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def _got(error: Any, key: str) -> str:
    """``, not 'ten'`` for a short scalar of a non-secret key, else what kind of value it was."""
    value = error.get("input")
    if key.rsplit(".", 1)[-1] in SECRET_KEYS:
        return ""
    if isinstance(value, str | int | float | bool) and len(repr(value)) <= 40:
        return f", not {value!r}"
    if isinstance(value, dict):
        return ", not a table"
    if isinstance(value, list):
        return ", not a list"
    return ""


def _describe(error: Any) -> tuple[str, str]:
    """The key an error is about and what is wrong, as a predicate (``is required...``)."""
    loc: tuple[int | str, ...] = tuple(error["loc"])
    key = _loc(loc)
    kind: str = error["type"]
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, KeyedValueError):
        return cause.key, cause.problem
    if kind == "missing":
        if key in _MISSING_HINTS:
            return "", _MISSING_HINTS[key]
        return key, "is required but missing"
    if kind == "extra_forbidden":
        return key, _unknown_key(loc)
    if kind == "too_short" and key in _MISSING_HINTS:
        return "", _MISSING_HINTS[key].replace("is missing", "is empty")
    base = kind.removesuffix("_type").removesuffix("_parsing").removesuffix("_from_float")
    if base in _TYPE_WORDS:
        return key, f"must be {_TYPE_WORDS[base]}{_got(error, key)}"
    if kind in _LIMIT_WORDS:
        limit = next(iter(ctx.values()))
        return key, f"must be {_LIMIT_WORDS[kind]} {limit}{_got(error, key)}"
    if kind == "literal_error":
        return key, f"must be {ctx['expected']}{_got(error, key)}"
    if kind == "too_short":
        return key, "must not be empty"
    return key, str(error["msg"]).removeprefix("Value error, ")


def _scrub(message: str, sensitive: list[str]) -> str:
    """Remove secrets from a message: registered ones and this file's secret-ish values."""
    for value in sorted(set(sensitive), key=len, reverse=True):
        if len(value.strip()) >= 4:
            message = message.replace(value, "[REDACTED]")
    return redact(message)


def register_secrets(config: Config) -> None:
    """Register every secret of ``config`` (tokens, client secrets, private keys) for redaction.

    A private key is registered whole; a fragment of one is masked by redact's PEM-block shape.
    """
    for secret in config.secrets():
        register_secret(secret)


def parse(
    data: dict[str, Any], origin: str = "<config>", *, base_dir: Path | None = None
) -> Config:
    """Validate a parsed TOML document (after ``${VAR}`` interpolation).

    Relative file paths (private keys, CA bundles) are read from ``base_dir`` (the config
    file's directory; the working directory when None). Secret values (tokens, client secrets,
    private keys) are registered with :mod:`spokesync.redact`, and no message ever holds one,
    nor any value read from the environment.
    """
    missing: list[str] = []
    from_env: list[str] = []
    resolved = _interpolate(data, "", missing, from_env)
    secrets = _secret_values(resolved)
    for secret in secrets:
        register_secret(secret)
    if missing:
        raise ConfigError(f"{origin}: {missing[0]}; export it or edit the file")
    try:
        config = Config.model_validate(resolved, context={"base_dir": base_dir})
    except ValidationError as exc:
        # A misspelt key also leaves the real one missing; the spelling is the thing to fix.
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        key, problem = _describe(errors[0])
        message = f"{origin}: {key} {problem}" if key else f"{origin}: {problem}"
        raise ConfigError(_scrub(message, secrets + from_env)) from None
    register_secrets(config)
    return config


def _toml_problem(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """``line 3 (key token in [okta]): not valid TOML: ...``: where, never the value itself."""
    reason = str(exc)
    match = re.search(r"\(at line (\d+), column \d+\)$", reason)
    if not match:
        return f"not valid TOML: {reason}"
    number = int(match.group(1))
    lines = text.splitlines()
    where = [f"line {number}"]
    if 0 < number <= len(lines):
        key = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*=", lines[number - 1])
        table = next(
            (
                m.group(1).strip()
                for line in reversed(lines[: number - 1])
                if (m := re.match(r"\s*\[\[?([^\]]+)\]", line))
            ),
            None,
        )
        if key:
            where.append(f"key {key.group(1)}")
        if table:
            where.append(f"in [{table}]")
    detail = reason[: match.start()].strip()
    context = f" ({' '.join(where[1:])})" if where[1:] else ""
    return f"{where[0]}{context}: not valid TOML: {detail}"


def default_path() -> Path:
    """``$SPOKESYNC_CONFIG`` or ``./spokesync.toml``."""
    return Path(os.environ.get("SPOKESYNC_CONFIG", DEFAULT_PATH))


def load(path: Path | None = None) -> Config:
    """Read, interpolate and validate a config file."""
    file = path or default_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: no such config file; pass --config PATH or set SPOKESYNC_CONFIG"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: is not UTF-8 text; save it as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {_toml_problem(text, exc)}") from None
    config = parse(data, str(file), base_dir=file.parent)
    config.set_origin(file)
    return config
