"""The Okta spec's component schemas as JSON Schema validators.

The management spec is a 90,000-line YAML file that takes seconds to parse, so its
``components.schemas`` are kept in pytest's cache, keyed by the file's size and mtime.
OpenAPI 3.0.3 ``nullable: true`` becomes ``anyOf: [schema, {type: null}]``.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.shared_material import shared_path

SPEC = shared_path("specs", "okta-management-oneOfInheritance.yaml")
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


def component_schemas(config: pytest.Config) -> dict[str, Any]:
    """``components.schemas`` of the spec, converted; parsed once and then cached."""
    stat = SPEC.stat()
    key = f"okta-spec/schemas-{stat.st_size}-{int(stat.st_mtime)}"
    cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    cached = cache.get(key, None) if cache else None
    if cached is None:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with SPEC.open() as handle:
            document = yaml.load(handle, Loader=loader)
        cached = _without_nullable(document["components"]["schemas"])
        if cache:
            cache.set(key, cached)
    return dict(cached)


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
