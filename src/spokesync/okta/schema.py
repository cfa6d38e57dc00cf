"""Okta's user profile schema: which attributes a user type's profile may hold, and their types.

Okta refuses a create or update whose profile holds a property its schema does not define
(400 E0000001, cause "Property name 'X' is not defined in profile": recorded by
terraform-provider-okta, tests/reference/recordings/okta/terraform/
users-invalid-custom-profile-attribute-400.json). The schema is
``GET /api/v1/meta/schemas/user/{schemaId}`` (scope ``okta.schemas.read``); each user type has
its own (its ``_links.schema``), ``default`` names the default type's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from spokesync.okta.models import ShapeError

#: the base attributes of every Okta user profile, all strings (recorded default schema:
#: users-custom-profile-attributes.json #1; spec ``UserProfile``). They cannot be removed, so
#: a mapping onto them needs no schema read.
BASE_ATTRIBUTES = frozenset(
    {
        "login",
        "firstName",
        "lastName",
        "middleName",
        "honorificPrefix",
        "honorificSuffix",
        "email",
        "title",
        "displayName",
        "nickName",
        "profileUrl",
        "secondEmail",
        "mobilePhone",
        "primaryPhone",
        "streetAddress",
        "city",
        "state",
        "zipCode",
        "countryCode",
        "postalAddress",
        "preferredLanguage",
        "locale",
        "timezone",
        "userType",
        "employeeNumber",
        "costCenter",
        "organization",
        "division",
        "department",
        "managerId",
        "manager",
    }
)
#: the schema id of the default user type, as a path segment
DEFAULT_SCHEMA = "default"


@dataclass(frozen=True, slots=True)
class ProfileSchema:
    """The attributes one user type's profile may hold: name -> type (``string``,
    ``boolean``, ``integer``, ``number``, ``array``; an array as ``array<string>``)."""

    id: str
    types: Mapping[str, str]

    def type_of(self, attribute: str) -> str | None:
        """The attribute's type, or None when the schema does not define it."""
        return self.types.get(attribute)


def _properties(definitions: Mapping[str, Any], part: str) -> Mapping[str, Any]:
    section = definitions.get(part)
    if section is None:
        return {}
    if not isinstance(section, dict) or not isinstance(section.get("properties", {}), dict):
        raise ShapeError(f"user schema.definitions.{part}.properties is not a JSON object")
    properties: Mapping[str, Any] = section.get("properties", {})
    return properties


def _type(name: str, definition: Any) -> str:
    if not isinstance(definition, dict) or not isinstance(definition.get("type"), str):
        raise ShapeError(f"user schema attribute {name!r} has no type")
    kind = str(definition["type"])
    items = definition.get("items")
    if kind == "array" and isinstance(items, dict) and isinstance(items.get("type"), str):
        return f"array<{items['type']}>"
    return kind


def parse_user_schema(value: Any, schema_id: str) -> ProfileSchema:
    """A ``UserSchema``: the base and custom attributes of ``definitions``."""
    if not isinstance(value, dict) or not isinstance(value.get("definitions"), dict):
        raise ShapeError("user schema has no definitions object")
    definitions = value["definitions"]
    types: dict[str, str] = {}
    for part in ("base", "custom"):
        for name, definition in _properties(definitions, part).items():
            types[str(name)] = _type(str(name), definition)
    return ProfileSchema(schema_id, types)


def custom_targets(attributes: Iterable[str]) -> list[str]:
    """The attributes beyond the base profile, in order: only these may be undefined."""
    return [name for name in attributes if name not in BASE_ATTRIBUTES]
