"""The Okta spec's component schemas as JSON Schema validators.

The official management spec, cut to what the emulator serves (tests/reference/specs).
OpenAPI 3.0.3 ``nullable: true`` becomes ``anyOf: [schema, {type: null}]``.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests import reference

SPEC = "okta-management-oneOfInheritance.yaml"
ROOT = "urn:okta-management-spec"


def _without_nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_without_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _without_nullable(value) for key, value in node.items()}
    if converted.pop("nullable", False) is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def component_schemas() -> dict[str, Any]:
    """``components.schemas`` of the spec, converted."""
    converted: dict[str, Any] = _without_nullable(reference.spec(SPEC)["components"]["schemas"])
    return converted


#: (schema, property) pairs the spec gives as non-null but real answers send as null.
#: Recordings win over the spec: groups-create-get-delete.json #0 (2020) and
#: users-list-groups.json #1 (2025) both answer ``"description": null``.
RECORDED_NULLABLE = (("OktaUserGroupProfile", "description"),)


class SpecValidators:
    """Validate documents against ``#/components/schemas/<name>``."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        schemas = dict(schemas)
        for schema_name, property_name in RECORDED_NULLABLE:
            schema = dict(schemas[schema_name])
            properties = dict(schema["properties"])
            properties[property_name] = {"anyOf": [properties[property_name], {"type": "null"}]}
            schemas[schema_name] = {**schema, "properties": properties}
        resource = Resource.from_contents({"components": {"schemas": schemas}}, DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(ROOT, resource)

    def errors(self, name: str, document: Any) -> list[str]:
        validator = Draft4Validator(
            {"$ref": f"{ROOT}#/components/schemas/{name}"}, registry=self.registry
        )
        return [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(document)
        ]
