"""The opaque ``next`` cursor of the organization listings (organizations and members).

Recorded (organizations-list-checkpoint.json #3, organization-members-checkpoint.json #5):
unpadded base64 of ``"<YYYY-MM-DD hh:mm:ss.ffffff>UTC,<id>"``, e.g. ``2023-03-14
11:17:19.466000UTC,org_Wz2uMwAVQmfRb03I``. Here the id is the last item of the page, which a
client never needs to know: the cursor is opaque (recordings README, Auth0 fact 9).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from spokesync.emulators.auth0.errors import ApiError


def encode(last_id: str, now: float) -> str:
    stamp = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "UTC"
    return base64.b64encode(f"{stamp},{last_id}".encode()).decode().rstrip("=")


def decode(token: str) -> str:
    """The id a cursor points after; 400 ``invalid_query_string`` when it is not ours."""
    try:
        padded = token + "=" * (-len(token) % 4)
        text = base64.b64decode(padded.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    stamp, sep, last_id = text.partition(",")
    if not sep or not stamp.endswith("UTC") or not last_id:
        raise ApiError(
            400, "The 'from' parameter is not a valid checkpoint.", "invalid_query_string"
        )
    return last_id
