"""Checks of single config values: URLs, secrets, key files, CA bundles; the config errors."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import SecretStr, ValidationInfo

#: Keys whose values are secrets: never echoed in a message, registered for redaction.
SECRET_KEYS = frozenset({"token", "client_secret", "private_key"})

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


def check_base_url(value: str, *, allow_bare_host: bool = False) -> str:
    """:func:`check_url` for an API's base address: the paths are added by the clients."""
    url = check_url(value, allow_bare_host=allow_bare_host)
    path = urlsplit(url).path
    if path not in ("", "/"):
        raise ValueError(f"must be the base address without a path (remove {path!r})")
    return url


def check_secret(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().strip():
        raise ValueError("is empty; set it, or export the environment variable it reads")
    return value


def _base_dir(info: ValidationInfo) -> Path:
    """The directory relative file paths in the config are read from: the config file's."""
    context = info.context if isinstance(info.context, dict) else {}
    base = context.get("base_dir")
    return Path(base) if base is not None else Path.cwd()


def readable_file(value: str, info: ValidationInfo) -> Path:
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


def unescape_pem(text: str) -> str:
    # A PEM kept in an environment variable often has its line breaks written as "\n".
    return text.replace("\\n", "\n") if "\n" not in text else text


def check_private_key(pem: str, algorithm: str) -> str:
    """``pem`` if it is an unencrypted PEM private key fit for ``algorithm``; else ValueError.

    The message never quotes the key: it says only what kind of problem there is.
    """
    text = unescape_pem(pem).strip()
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


def check_ca_bundle(value: str | None, info: ValidationInfo) -> str | None:
    """An existing file of PEM CA certificates (relative to the config file), as a full path."""
    if value is None:
        return None
    path = readable_file(value, info)
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError):
        raise ValueError(
            f"names {str(path)!r}, which holds no PEM CA certificate TLS can load"
        ) from None
    return str(path)
