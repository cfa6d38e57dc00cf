"""Keep secrets out of logs, messages and reprs.

A process-wide registry holds every secret spokesync knows (client secrets, API tokens, private
keys, access tokens obtained at run time); :func:`redact` replaces each of them, and whatever
looks like a credential by its shape (``Authorization: ...``, ``SSWS ...``, ``Bearer ...``,
``client_secret=...``), by ``[REDACTED]``. One compiled regex does it all; it is rebuilt only
when the registry changes.

Values shorter than :data:`MIN_SECRET_LENGTH` (6) characters are not registered: they would
redact ordinary words and numbers. Real secrets are far longer; short ones only occur in tests.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"
MIN_SECRET_LENGTH = 6

#: Keys whose values are credentials wherever they appear (JSON, repr, form or query strings).
SECRET_KEYS = (
    "client_secret",
    "client_assertion",
    "access_token",
    "refresh_token",
    "id_token",
    "api_token",
    "private_key",
    "password",
    "token",
)
_KEY = "|".join(SECRET_KEYS)
# Credentials recognised by their shape. Each pattern keeps its first group (the key or scheme)
# and masks the rest. The key must not be the tail of a longer word (next_token is not token).
_SHAPES = (
    # a PEM private key block, whole
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
    # Authorization header in a header dump, a repr or JSON: the whole value
    r"""(?i:(authorization["']?\s*[:=]\s*["']?))[^"'\r\n]+""",
    # scheme word then token, anywhere (a header value logged on its own); real tokens are long
    # (Okta API tokens 42 characters, JWTs hundreds), so "Bearer Jones" in a name is left alone
    r"(?i:\b((?:SSWS|Bearer)\s+))[A-Za-z0-9\-._~+/]{16,}=*",
    # "client_secret": "..." (JSON, with escapes) and 'client_secret': '...' (repr)
    rf"""(?i:((?<![A-Za-z0-9_])(?:{_KEY})["']?\s*:\s*"))(?:[^"\\]|\\.)*""",
    rf"""(?i:((?<![A-Za-z0-9_])(?:{_KEY})["']?\s*:\s*'))(?:[^'\\]|\\.)*""",
    # client_secret=... in a form body or query string, or key=value in a message
    rf"""(?i:((?<![A-Za-z0-9_])(?:{_KEY})\s*=\s*["']?))[^\s&"',;)}}\]]+""",
)


class _Registry:
    """The registered secrets and the regex built from them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] = self._build()

    def add(self, value: str) -> None:
        variants = {v for v in _variants(value) if len(v) >= MIN_SECRET_LENGTH}
        with self._lock:
            if variants <= self._secrets:
                return
            self._secrets |= variants
            self._pattern = self._build()

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._pattern = self._build()

    @property
    def pattern(self) -> re.Pattern[str]:
        return self._pattern

    def _build(self) -> re.Pattern[str]:
        # Longest first, so a secret that contains another is masked whole.
        literals = sorted(self._secrets, key=lambda s: (-len(s), s))
        alternatives = [re.escape(s) for s in literals] + list(_SHAPES)
        return re.compile("|".join(f"(?:{a})" for a in alternatives), re.DOTALL)


def _variants(value: str) -> Iterable[str]:
    """The secret and the forms it takes when logged inside JSON, a URL or a form body."""
    yield value
    yield value.strip()
    yield json.dumps(value)[1:-1]
    yield json.dumps(value, ensure_ascii=False)[1:-1]
    yield quote(value, safe="")
    yield quote_plus(value, safe="")


_REGISTRY = _Registry()


def register_secret(value: str | None) -> None:
    """Remember a secret so :func:`redact` masks it; values under 6 characters are ignored."""
    if value and len(value.strip()) >= MIN_SECRET_LENGTH:
        _REGISTRY.add(value)


def clear_secrets() -> None:
    """Forget every registered secret (for tests, and after rotating credentials)."""
    _REGISTRY.clear()


def _mask(match: re.Match[str]) -> str:
    kept = next((g for g in match.groups() if g is not None), "")
    return kept + MASK


def redact(text: str) -> str:
    """``text`` with every registered secret and every credential-shaped value masked."""
    return _REGISTRY.pattern.sub(_mask, text)


#: Field names whose whole value is a credential, whatever it looks like (a headers dict).
_SECRET_FIELDS = frozenset({*SECRET_KEYS, "authorization", "proxy-authorization", "cookie"})


def _is_secret_field(key: Any) -> bool:
    return isinstance(key, str) and key.lower() in _SECRET_FIELDS


def _value_set(value: Any) -> bool:
    return value is not None and value != ""


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool | int | float | None):
        return value
    if isinstance(value, Mapping):
        return {
            k: MASK if _is_secret_field(k) and _value_set(v) else _redact_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_redact_value(v) for v in value)
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace"))
    # Any other object would be rendered by its repr later, unredacted: render it now.
    return redact(repr(value))


#: structlog keys that later processors need as objects (format_exc_info renders them).
_PASS_THROUGH = frozenset({"exc_info", "stack_info"})


def redact_event(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: redact every string in the event, at any depth.

    Place it after ``format_exc_info`` (so tracebacks are text by then) and before the renderer.
    """
    for key, value in event_dict.items():
        if key in _PASS_THROUGH:
            continue
        secret = _is_secret_field(key) and _value_set(value)
        event_dict[key] = MASK if secret else _redact_value(value)
    return event_dict
