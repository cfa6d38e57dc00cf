"""User documents: defaults on create, PATCH merge rules and field projection.

Facts followed (recordings in shared/recordings/auth0, newest first where they differ):
``name`` defaults to the email and ``nickname`` to the username (users-create.json #0);
``blocked`` appears only when it was set; absent fields are omitted, never null;
metadata PATCH merges key by key and ``null`` removes a key (users-patch-metadata.json #6);
``"app_metadata": {}`` removes it while ``"user_metadata": {}`` leaves ``{}`` (#8);
a PATCH with a password adds ``last_password_reset`` (users-update.json #1).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from spokesync.emulators.auth0 import ids
from spokesync.emulators.auth0.errors import ApiError, invalid_body
from spokesync.emulators.auth0.state import UserDoc

_STRING_FIELDS = (
    "email",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "picture",
    "username",
    "phone_number",
)
_BOOLEAN_FIELDS = ("email_verified", "blocked", "phone_verified")
_METADATA_FIELDS = ("user_metadata", "app_metadata")
#: accepted but never stored or echoed
_WRITE_ONLY = ("password", "connection", "client_id", "verify_email", "verify_phone_number")

#: OAS ``CreateUserRequestContent`` (additionalProperties false)
CREATE_KEYS = frozenset(
    {*_STRING_FIELDS, *_BOOLEAN_FIELDS, *_METADATA_FIELDS, "password", "connection", "user_id"}
    | {"verify_email"}
)

_ALNUM = re.compile(r"[A-Za-z0-9]")
_JSON_TYPE_NAMES = {str: "string", bool: "boolean", dict: "object", list: "array"}


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, as the validator words it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number" if isinstance(value, float) else "integer"
    return _JSON_TYPE_NAMES.get(type(value), "unknown")


def _expect(key: str, value: Any, expected: type) -> None:
    if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
        raise invalid_body(
            f"Payload validation error: 'Expected type {_JSON_TYPE_NAMES[expected]} "
            f"but found type {json_type(value)}' on property {key}."
        )


def _check_types(body: dict[str, Any], *, allow_null: bool) -> None:
    for key, value in body.items():
        if value is None and allow_null:
            continue
        if key in _STRING_FIELDS or key in ("password", "connection", "user_id", "client_id"):
            _expect(key, value, str)
        elif key in _BOOLEAN_FIELDS or key in ("verify_email", "verify_phone_number"):
            _expect(key, value, bool)
        elif key in _METADATA_FIELDS:
            _expect(key, value, dict)


def gravatar(email: str | None, name: str | None) -> str:
    """Auth0's default picture: a gravatar URL falling back to the initials avatar."""
    digest = hashlib.md5((email or "").strip().lower().encode(), usedforsecurity=False)
    initials = "".join(_ALNUM.findall((name or email or "")[:8])[:2]).lower() or "na"
    # initials are ASCII alphanumerics, so the percent-encoded fallback needs no quoting call
    fallback = f"https%3A%2F%2Fcdn.auth0.com%2Favatars%2F{initials}.png"
    return f"https://s.gravatar.com/avatar/{digest.hexdigest()}?s=480&r=pg&d={fallback}"


def identity_for(user_id: str, connection: str) -> dict[str, Any]:
    """The ``identities[0]`` of a user whose id is ``provider|id``."""
    provider, _, local = user_id.partition("|")
    if not local:
        provider, local = "auth0", user_id
    return {
        "connection": connection if provider == "auth0" else provider,
        "user_id": local,
        "provider": provider,
        "isSocial": provider not in ("auth0", "samlp", "oidc", "okta", "waad", "adfs", "ad"),
    }


def complete(doc: UserDoc, connection: str, now_iso: str) -> UserDoc:
    """Fill in what Auth0 derives: name, nickname, picture, identities, timestamps."""
    email = doc.get("email")
    if "name" not in doc and isinstance(email, str):
        doc["name"] = email
    if "nickname" not in doc:
        nickname = doc.get("username") or (email.split("@")[0] if isinstance(email, str) else None)
        if nickname:
            doc["nickname"] = nickname
    if "picture" not in doc:
        doc["picture"] = gravatar(email, doc.get("name"))
    doc.setdefault("email_verified", False)
    doc.setdefault("identities", [identity_for(doc["user_id"], connection)])
    doc.setdefault("created_at", now_iso)
    doc.setdefault("updated_at", doc["created_at"])
    if doc.get("app_metadata") == {}:
        del doc["app_metadata"]
    return doc


def create_document(body: Any, connection: str, now_iso: str) -> UserDoc:
    """Validate a ``POST /api/v2/users`` body and build the new user's document."""
    if not isinstance(body, dict):
        raise invalid_body(
            f"Payload validation error: 'Expected type object but found type {json_type(body)}'."
        )
    extra = sorted(set(body) - CREATE_KEYS)
    if extra:
        raise invalid_body(
            f"Payload validation error: 'Additional properties not allowed: {extra[0]}'."
        )
    _check_types(body, allow_null=False)
    for required in ("connection", "email"):
        if required not in body:
            raise invalid_body(
                f"Payload validation error: 'Missing required property: {required}'."
            )
    if body["connection"] != connection:
        raise ApiError(400, "The connection does not exist.", "inexistent_connection")
    local_id = body.get("user_id") or ids.database_user_id()
    doc: UserDoc = {"user_id": f"auth0|{local_id}"}
    for key in (*_STRING_FIELDS, *_BOOLEAN_FIELDS, *_METADATA_FIELDS):
        if key in body:
            doc[key] = body[key]
    return complete(doc, connection, now_iso)


def _merge_metadata(current: dict[str, Any] | None, change: dict[str, Any]) -> dict[str, Any]:
    if not change:
        return {}
    merged = dict(current or {})
    for key, value in change.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def patch_document(doc: UserDoc, body: Any, now_iso: str) -> UserDoc:
    """Apply a ``PATCH /api/v2/users/{id}`` body; returns a new document."""
    if not isinstance(body, dict):
        raise invalid_body(
            f"Payload validation error: 'Expected type object but found type {json_type(body)}'."
        )
    _check_types(body, allow_null=True)
    if "email" in body and body["email"] is None:
        raise invalid_body(
            "Payload validation error: 'Expected type string but found type null' "
            "on property email."
        )
    updated = dict(doc)
    for key, value in body.items():
        if key in _METADATA_FIELDS:
            merged = _merge_metadata(updated.get(key), value or {})
            if key == "app_metadata" and not merged:
                updated.pop(key, None)
            else:
                updated[key] = merged
        elif key in _STRING_FIELDS or key in _BOOLEAN_FIELDS:
            if value is None:
                updated.pop(key, None)
            else:
                updated[key] = value
        elif key == "password":
            updated["last_password_reset"] = now_iso
        # other keys (connection, client_id, verify_*) steer the real service and are not stored
    updated["updated_at"] = now_iso
    return updated


def parse_fields(
    fields: str | None, include_fields: str | None
) -> tuple[frozenset[str], bool] | None:
    """``fields``/``include_fields`` query values as (names, include?), or None for all."""
    if not fields:
        return None
    names = frozenset(name.strip() for name in fields.split(",") if name.strip())
    include = (include_fields or "true").lower() != "false"
    return names, include


def project(doc: UserDoc, selection: tuple[frozenset[str], bool] | None) -> dict[str, Any]:
    """The document restricted to (or stripped of) the selected top-level fields."""
    if selection is None:
        return doc
    names, include = selection
    return {key: value for key, value in doc.items() if (key in names) == include}


def member_view(doc: UserDoc) -> dict[str, Any]:
    """A role-member item: only ``user_id, email, picture, name`` (role-users.json #3)."""
    return {key: doc[key] for key in ("user_id", "email", "picture", "name") if key in doc}
