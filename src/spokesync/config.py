"""The TOML config file, validated with pydantic; ``${VAR}`` reads the environment.

Every problem is raised as :class:`ConfigError`, whose message names the file, the key and
what to do, so the command line can print one line and exit 2 instead of a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_PATH = "spokesync.toml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: Default mapping: attribute -> ordered source paths (first usable value wins).
DEFAULT_MAPPING: dict[str, list[str]] = {
    "login": ["email"],
    "email": ["email"],
    "firstName": ["user_metadata.firstName", "given_name", "name|first_word"],
    "lastName": ["user_metadata.lastName", "family_name", "name|after_first_word"],
}


class ConfigError(Exception):
    """A config problem, phrased for the person who edits the file."""


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
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{value!r} is not a URL; write it as https://host")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(
            f"{value!r} uses http:// to a host that is not loopback; use https:// "
            "(http:// is accepted only for 127.0.0.1 and localhost)"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{value!r} must not carry a query or fragment")
    return raw.rstrip("/")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateConfig(_Model):
    url: str = "sqlite:///spokesync.db"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if not (v.startswith("sqlite:") or v.startswith("postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return v


class OktaConfig(_Model):
    org_url: str
    token: SecretStr
    rate_limit_share: float = Field(default=0.5, gt=0, le=1)
    max_concurrency: int = Field(default=10, ge=1, le=75)
    timeout_seconds: float = Field(default=30.0, gt=0)
    ca_bundle: str | None = None

    @field_validator("org_url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_url(v)


class SourceConfig(_Model):
    domain: str
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    audience: str | None = None
    okta_idp_id: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)
    ca_bundle: str | None = None

    @field_validator("domain")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_url(v, allow_bare_host=True)

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
    block_in_source: bool = False

    @field_validator("max_deprovision")
    @classmethod
    def _share(cls, v: str) -> str:
        text = v.strip()
        number = text[:-1] if text.endswith("%") else text
        try:
            amount = float(number)
        except ValueError as exc:
            raise ValueError('write a share such as "10%" or an absolute count such as "25"') from exc
        if amount < 0 or (text.endswith("%") and amount > 100):
            raise ValueError("must be between 0 and 100% (or a count >= 0)")
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
                raise ValueError(f"source name {name!r} may hold only letters, digits, _ . -")
        return v

    @model_validator(mode="after")
    def _bindings_name_sources(self) -> Config:
        for i, binding in enumerate(self.bindings):
            if binding.source not in self.sources:
                known = ", ".join(sorted(self.sources))
                raise ValueError(
                    f"bindings[{i}].source {binding.source!r} is not a [sources.*] table "
                    f"(known: {known})"
                )
        return self

    def mapping_rules(self) -> dict[str, MappingRule]:
        """The effective mapping: the defaults, overridden attribute by attribute."""
        rules: dict[str, MappingRule] = {k: list(v) for k, v in DEFAULT_MAPPING.items()}
        rules.update(self.mapping)
        return rules


def _interpolate(value: Any, path: str, missing: list[str]) -> Any:
    if isinstance(value, str):

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                missing.append(f"{path} reads ${{{name}}}, which is not set in the environment")
                return ""
            return os.environ[name]

        return _VAR.sub(repl, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, f"{path}.{k}" if path else k, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, f"{path}[{i}]", missing) for i, v in enumerate(value)]
    return value


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


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known key (check its spelling)"
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def parse(data: dict[str, Any], origin: str = "<config>") -> Config:
    """Validate a parsed TOML document (after ``${VAR}`` interpolation)."""
    missing: list[str] = []
    resolved = _interpolate(data, "", missing)
    if missing:
        raise ConfigError(f"{origin}: {missing[0]}; export it or edit the file")
    try:
        return Config.model_validate(resolved)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{origin}: {_loc(first['loc'])} {_describe(first)}") from None


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
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse(data, str(file))
