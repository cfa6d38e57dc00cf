"""Okta's value formats: object ids, timestamps and login equality."""

from __future__ import annotations

import random
import string
import time
import unicodedata

_ALPHANUMERICS = string.ascii_letters + string.digits
#: maps every byte to an alphanumeric, so random bytes become id characters in one pass
_BYTE_TO_ALNUM = bytes((_ALPHANUMERICS * 5)[:256], "ascii")

#: id prefixes Okta uses for the objects this emulator serves
USER_PREFIX = "00u"
GROUP_PREFIX = "00g"
IDP_PREFIX = "0oa"
USER_TYPE_PREFIX = "oty"


def new_id(rng: random.Random, prefix: str) -> str:
    """An Okta object id: a 3-character type prefix and 17 alphanumerics (20 in all)."""
    return prefix + rng.randbytes(17).translate(_BYTE_TO_ALNUM).decode("ascii")


def opaque_token(rng: random.Random, length: int = 25) -> str:
    """A random opaque string such as an ``errorId`` body or an activation token."""
    return "".join(rng.choices(_ALPHANUMERICS, k=length))


def iso_timestamp(epoch: float) -> str:
    """``YYYY-MM-DDTHH:mm:ss.SSSZ`` in UTC, the one date format of the Okta API."""
    whole = int(epoch)
    millis = int((epoch - whole) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def login_key(login: str) -> str:
    """Okta's login equality: logins differing only in case or diacritics are the same."""
    if login.isascii():
        return login.lower()  # no diacritics to drop, and casefold equals lower for ASCII
    decomposed = unicodedata.normalize("NFKD", login)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
