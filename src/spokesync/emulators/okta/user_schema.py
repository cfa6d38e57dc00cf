"""The Okta user profile schema: the base attributes every org has, the custom ones each user
type adds, their JSON, and the check of a profile against them.

Shapes follow the recorded ``GET /api/v1/meta/schemas/user/default`` answers of
terraform-provider-okta (tests/reference/recordings/okta/terraform/
users-custom-profile-attributes.json #1, user-schema-enum-string.json #0): a JSON Schema
document whose ``definitions.base`` holds the 31 base attributes and ``definitions.custom``
the org's own. A profile property neither defines is answered 400 E0000001 "Api validation
failed: newUser", cause "Property name 'X' is not defined in profile" (recorded:
users-invalid-custom-profile-attribute-400.json #0).

Each user type has a schema of its own (``_links.schema`` of the type): the base attributes
and that type's custom ones; the default type's schema answers ``/default`` too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spokesync.emulators.okta.errors import OktaError, validation_failed
from spokesync.emulators.okta.formats import iso_timestamp
from spokesync.emulators.okta.state import DEFAULT_USER_TYPE, Org, UserTypeRecord

#: the default user type's schema id, the one every user's ``_links.schema`` names
#: (render.py ``_DEFAULT_SCHEMA``: keep them equal)
DEFAULT_SCHEMA_ID = "osc1defaultuserschem"
#: the attribute types a custom attribute may have (spec ``UserSchemaAttributeType``)
ATTRIBUTE_TYPES = frozenset({"string", "boolean", "number", "integer", "array"})
#: what an array attribute may hold (spec ``UserSchemaAttributeItems.type``)
ITEM_TYPES = frozenset({"string", "number", "integer"})
#: keys of a custom attribute definition copied into the schema as given
_KEPT_KEYS = ("description", "minLength", "maxLength", "enum", "oneOf", "items", "unique")

#: base attribute -> (title, what the user may do with it, extra keys), in the recorded order
_BASE: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("login", "Username", "READ_ONLY", {"required": True, "minLength": 5, "maxLength": 100}),
    ("firstName", "First name", "READ_WRITE", {"required": True, "minLength": 1, "maxLength": 50}),
    ("lastName", "Last name", "READ_WRITE", {"required": True, "minLength": 1, "maxLength": 50}),
    ("middleName", "Middle name", "READ_ONLY", {}),
    ("honorificPrefix", "Honorific prefix", "READ_ONLY", {}),
    ("honorificSuffix", "Honorific suffix", "READ_ONLY", {}),
    ("email", "Primary email", "READ_WRITE", {"required": True, "format": "email"}),
    ("title", "Title", "READ_ONLY", {}),
    ("displayName", "Display name", "READ_ONLY", {}),
    ("nickName", "Nickname", "READ_ONLY", {}),
    ("profileUrl", "Profile Url", "READ_ONLY", {"format": "uri"}),
    ("secondEmail", "Secondary email", "READ_WRITE", {"format": "email"}),
    ("mobilePhone", "Mobile phone", "READ_WRITE", {"maxLength": 100}),
    ("primaryPhone", "Primary phone", "HIDE", {"maxLength": 100}),
    ("streetAddress", "Street address", "HIDE", {}),
    ("city", "City", "HIDE", {}),
    ("state", "State", "HIDE", {}),
    ("zipCode", "Zip code", "HIDE", {}),
    ("countryCode", "Country code", "HIDE", {"format": "country-code"}),
    ("postalAddress", "Postal Address", "HIDE", {}),
    ("preferredLanguage", "Preferred language", "READ_ONLY", {"format": "language-code"}),
    ("locale", "Locale", "READ_ONLY", {"format": "locale"}),
    ("timezone", "Time zone", "READ_ONLY", {"format": "timezone"}),
    ("userType", "User type", "READ_ONLY", {}),
    ("employeeNumber", "Employee number", "READ_WRITE", {}),
    ("costCenter", "Cost center", "READ_ONLY", {}),
    ("organization", "Organization", "READ_ONLY", {}),
    ("division", "Division", "READ_ONLY", {}),
    ("department", "Department", "READ_ONLY", {}),
    ("managerId", "ManagerId", "READ_ONLY", {}),
    ("manager", "Manager", "READ_ONLY", {}),
)
#: every base attribute is a string
BASE_ATTRIBUTES = frozenset(name for name, *_ in _BASE)
#: the object name E0000001 names for a profile the schema refuses (recorded for a create; no
#: recording or document shows an update's, so updates answer the same)
_PROFILE_OBJECT = "newUser"


def _attribute_json(title: str, action: str, kind: str, extra: Mapping[str, Any]) -> dict[str, Any]:
    """One attribute in the recorded key order."""
    body: dict[str, Any] = {"title": title}
    if "description" in extra:
        body["description"] = extra["description"]
    body["type"] = kind
    if extra.get("required"):
        body["required"] = True
    if "format" in extra:
        body["format"] = extra["format"]
    body["mutability"] = "READ_WRITE"
    body["scope"] = "NONE"
    for key in _KEPT_KEYS[1:]:
        if key in extra:
            body[key] = extra[key]
    body["permissions"] = [{"principal": "SELF", "action": action}]
    body["master"] = {"type": "PROFILE_MASTER"}
    return body


def custom_attribute(name: str, given: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A custom attribute definition from a seed entry or a schema update; ValueError naming
    ``where`` when its type is not one Okta knows."""
    kind = given.get("type")
    if kind not in ATTRIBUTE_TYPES:
        raise ValueError(f"{where}.type must be one of {sorted(ATTRIBUTE_TYPES)}")
    items = given.get("items")
    if kind == "array" and (not isinstance(items, Mapping) or items.get("type") not in ITEM_TYPES):
        raise ValueError(f"{where}.items.type must be one of {sorted(ITEM_TYPES)}")
    title = given.get("title") or name
    extra = {key: given[key] for key in _KEPT_KEYS if key in given}
    permissions = given.get("permissions")
    action = "READ_ONLY"
    if isinstance(permissions, list) and permissions and isinstance(permissions[0], Mapping):
        action = str(permissions[0].get("action") or action)
    return _attribute_json(str(title), action, str(kind), extra)


def schema_id_of(user_type: UserTypeRecord) -> str:
    """The id of a user type's schema: ``osc`` and the type id's tail, as recorded
    (``otynkw1sdzpoFCZMq1d7`` -> ``oscnkw1sdzpoFCZMq1d7``); the default type's is fixed."""
    return DEFAULT_SCHEMA_ID if user_type.default else "osc" + user_type.id[3:]


def type_of_schema(org: Org, schema_id: str) -> UserTypeRecord | None:
    """The user type whose schema ``schema_id`` (or ``default``) is; None if none."""
    if schema_id in ("default", DEFAULT_SCHEMA_ID):
        return org.user_types[DEFAULT_USER_TYPE]
    return next((t for t in org.user_types.values() if schema_id_of(t) == schema_id), None)


def schema_json(org: Org, user_type: UserTypeRecord, base: str) -> dict[str, Any]:
    """The ``UserSchema`` of ``user_type``, shaped as recorded."""
    custom = org.custom_attributes.get(user_type.id, {})
    created = iso_timestamp(user_type.created)
    updated = iso_timestamp(org.schema_updated.get(user_type.id, user_type.created))
    # recorded for the default type: ``https://ORG/meta/schemas/user/default``
    named = "default" if user_type.default else schema_id_of(user_type)
    return {
        "id": f"{base}/meta/schemas/user/{named}",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": "user",
        "title": user_type.display_name,
        "description": user_type.description or "",
        "lastUpdated": updated,
        "created": created,
        "definitions": {
            "custom": {
                "id": "#custom",
                "type": "object",
                "properties": {name: dict(attr) for name, attr in custom.items()},
                "required": [],
            },
            "base": {
                "id": "#base",
                "type": "object",
                "properties": {
                    name: _attribute_json(title, action, "string", extra)
                    for name, title, action, extra in _BASE
                },
                "required": [name for name, _, _, extra in _BASE if extra.get("required")],
            },
        },
        "type": "object",
        "properties": {
            "profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}
        },
        "_links": {
            "self": {
                "rel": "self",
                "href": f"{base}/api/v1/meta/schemas/user/{schema_id_of(user_type)}",
                "method": "GET",
            },
            "type": {
                "rel": "type",
                "href": f"{base}/api/v1/meta/types/user/{user_type.id}",
                "method": "GET",
            },
        },
    }


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"


def _fits(value: Any, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, list)


def check_profile(org: Org, type_id: str, profile: Mapping[str, Any]) -> None:
    """Raise 400 E0000001 when ``profile`` holds a property the type's schema does not define
    (the recorded cause), or a value of another type than the schema's.

    No recording or document shows the cause of a type mismatch: it is said in the
    ``NAME: The field ...`` form of the documented field causes (reference §1, the login one).
    Null values are skipped: they delete a property (partial update) or leave it unset.
    """
    custom = org.custom_attributes.get(type_id, {})
    undefined: list[str] = []
    mistyped: list[str] = []
    for name, value in profile.items():
        if value is None:
            continue
        if name in BASE_ATTRIBUTES:
            kind, items = "string", None
        elif name in custom:
            kind, items = str(custom[name]["type"]), custom[name].get("items")
        else:
            undefined.append(f"Property name '{name}' is not defined in profile")
            continue
        fits = _fits(value, kind)
        if fits and kind == "array" and isinstance(items, Mapping):
            fits = all(_fits(item, str(items.get("type"))) for item in value)
        if not fits:
            mistyped.append(f"{name}: The field must be {_article(kind)} {kind}")
    if undefined or mistyped:
        raise validation_failed(_PROFILE_OBJECT, undefined + mistyped)


def update_custom(org: Org, user_type: UserTypeRecord, body: Mapping[str, Any]) -> None:
    """Apply a schema update's ``definitions.custom.properties``: a definition adds or
    replaces an attribute, ``null`` removes it and its values from the type's users (as
    recorded: users-custom-profile-attributes.json #18 to #23). Base changes are ignored."""
    definitions = body.get("definitions")
    if definitions is None:
        return
    if not isinstance(definitions, Mapping):
        raise _bad("definitions")
    custom = definitions.get("custom")
    if custom is None:
        return
    properties = custom.get("properties") if isinstance(custom, Mapping) else None
    if not isinstance(properties, Mapping):
        raise _bad("definitions.custom.properties")
    attributes = org.custom_attributes.setdefault(user_type.id, {})
    made: dict[str, dict[str, Any]] = {}
    removed: list[str] = []
    for name, given in properties.items():
        if given is None:
            removed.append(name)
            continue
        if name in BASE_ATTRIBUTES or not isinstance(given, Mapping):
            raise _bad(name)
        try:
            made[name] = custom_attribute(name, given, name)
        except ValueError:
            raise _bad(name) from None
    attributes.update(made)
    for name in removed:
        attributes.pop(name, None)
    if removed:
        for user in org.users.values():
            if user.type_id == user_type.id:
                for name in removed:
                    user.profile.pop(name, None)
    org.schema_updated[user_type.id] = org.clock()


def _bad(where: str) -> OktaError:
    return validation_failed(where, [f"{where}: The schema definition is not valid"])
