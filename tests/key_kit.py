"""Key pairs, seeds and configs for tests of OAuth service apps and private_key_jwt.

Keys are generated once per test process; a seed from :func:`tests.world_kit.seed` gains an
Okta OAuth client and an Auth0 client that authenticate with them.
"""

from __future__ import annotations

import functools
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from tests.world_kit import GROUP_NAME, ROLE_NAME, World

OKTA_APP = "0oaSpokesyncService01"
AUTH0_JWT_APP = "spokesync-jwt"
ALL_OKTA_SCOPES = ("okta.users.manage", "okta.groups.manage", "okta.idps.manage")


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str

    def body_lines(self) -> list[str]:
        """The base64 lines of the private key: none may leak, even one alone."""
        return [line for line in self.private_pem.splitlines() if not line.startswith("-----")]


@functools.cache
def key_pair(name: str) -> KeyPair:
    """An RSA key pair, the same one for ``name`` throughout the test process."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    return KeyPair(private, public)


def with_oauth_clients(
    document: dict[str, Any],
    *,
    okta_key: KeyPair,
    auth0_key: KeyPair | None = None,
    granted: tuple[str, ...] = ALL_OKTA_SCOPES,
    auth0_scopes: tuple[str, ...] = ("read:users", "read:roles", "update:users"),
) -> dict[str, Any]:
    """``document`` with an Okta service app (``okta_key``) and an Auth0 private_key_jwt app."""
    document["okta"]["oauth_clients"] = [
        {"client_id": OKTA_APP, "public_key_pem": okta_key.public_pem, "scopes": list(granted)}
    ]
    if auth0_key is not None:
        document["auth0"]["clients"].append(
            {
                "client_id": AUTH0_JWT_APP,
                "public_key_pem": auth0_key.public_pem,
                "scopes": list(auth0_scopes),
            }
        )
    return document


def write_key(directory: Path, name: str, pem: str, mode: int = 0o600) -> Path:
    path = directory / name
    path.write_text(pem, encoding="utf-8")
    path.chmod(mode)
    return path


def write_oauth_config(
    world: World,
    *,
    okta: str,
    source: str,
    okta_extra: str = "",
    extra: str = "",
    mode: int = 0o600,
) -> Path:
    """A config for ``world`` whose ``[okta]`` credentials are ``okta`` (lines such as
    ``token = ...`` or an ``[okta.oauth]`` table, written last) and whose source's are
    ``source`` (``client_secret = ...`` or ``private_key_file = ...``)."""
    path = world.config_path
    path.write_text(
        f"""[state]
url = "sqlite:///{world.db_path}"

[sources.partners]
domain = "{world.auth0_url}"
{source}

[[bindings]]
source = "partners"
role = "{ROLE_NAME}"
group = "{GROUP_NAME}"
{extra}

[okta]
org_url = "{world.okta_url}"
{okta_extra}
{okta}
""",
        encoding="utf-8",
    )
    path.chmod(mode)
    return path


def okta_oauth_table(key_file: Path, scopes: tuple[str, ...] | None = None) -> str:
    lines = ["[okta.oauth]", f'client_id = "{OKTA_APP}"', f'private_key_file = "{key_file}"']
    if scopes is not None:
        lines.append("scopes = [" + ", ".join(f'"{s}"' for s in scopes) + "]")
    return "\n".join(lines) + "\n"


def auth0_jwt_source(key_file: Path) -> str:
    return f'client_id = "{AUTH0_JWT_APP}"\nprivate_key_file = "{key_file}"\n'


def readable_by_others(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
