"""The cut official specs: closed under references, as KEEP declares, covering the emulators."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.routing import Route

from spokesync.emulators.auth0.app import create_app as auth0_app
from spokesync.emulators.okta.app import create_app as okta_app
from tests import reference
from tests.reference.cut_specs import KEEP, Cut, cut, dangling_refs

#: emulator paths no official spec describes: the control plane, and the export download
#: (Auth0 answers a pre-signed storage URL there, outside the Management API)
NOT_IN_SPECS = ("/_emulator/", "/exports/")


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


@pytest.mark.parametrize("name", sorted(KEEP))
def test_each_cut_is_closed_and_keeps_what_keep_declares(name: str) -> None:
    document = reference.spec(name)
    assert dangling_refs(document) == set()
    assert list(document.get("paths", {})) == list(KEEP[name].paths)
    for pointer in KEEP[name].components:
        section, _, component = pointer.partition("/")
        assert component in document["components"][section]


def test_the_readme_names_the_full_file_each_cut_came_from() -> None:
    readme = (reference.SPECS / "README.md").read_text("utf-8")
    for name in KEEP:
        origin = reference.spec(name)["x-cut"]
        assert origin["from"] == name
        assert origin["sha256"] in readme, name


def _spec_for(path: str) -> tuple[str, str]:
    """(spec file, path as that spec spells it) for an emulated path."""
    if path.startswith("/api/v2/"):
        return "auth0-management-api-oas.json", path.removeprefix("/api/v2")
    if path.startswith("/oauth/"):
        return "auth0-authentication-api-oas.json", path
    if path.startswith(("/oauth2/", "/.well-known/")):
        return "okta-oauth-oneOfInheritance.yaml", path
    return "okta-management-oneOfInheritance.yaml", path


def test_every_emulated_endpoint_is_in_the_cut() -> None:
    missing = []
    for app in (auth0_app({}), okta_app({})):
        for route in app.routes:
            if not isinstance(route, Route) or route.path.startswith(NOT_IN_SPECS):
                continue
            name, path = _spec_for(route.path)
            kept = {_template(p) for p in reference.spec(name).get("paths", {})}
            if _template(path) not in kept:
                missing.append(f"{name}: {path}")
    assert missing == [], "add them to KEEP in tests/reference/cut_specs.py and regenerate"


SOURCE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "license": {"name": "MIT"}},
    "tags": [{"name": "kept"}, {"name": "dropped"}],
    "paths": {
        "/a": {
            "get": {
                "tags": ["kept"],
                "responses": {"200": {"$ref": "#/components/responses/Ok"}},
            }
        },
        "/b": {"get": {"tags": ["dropped"], "responses": {"200": {"description": "b"}}}},
    },
    "components": {
        "responses": {"Ok": {"content": {"application/json": {"$ref": "#/components/schemas/A"}}}},
        "schemas": {
            "A": {
                "oneOf": [{"$ref": "#/components/schemas/B"}],
                "discriminator": {"mapping": {"c": "#/components/schemas/C"}},
            },
            "B": {"properties": {"x": {"$ref": "#/components/schemas/A/properties/y"}}},
            "C": {"example": {"$ref": "#/definitions/literal-in-an-example"}},
            "Unused": {"type": "string"},
        },
        "examples": {"E": {"value": {"$ref": "#/components/examples/Missing"}}},
        "securitySchemes": {"bearer": {"type": "http"}},
    },
}


def test_cut_follows_refs_and_discriminator_maps_and_drops_the_rest() -> None:
    result = cut(SOURCE, Cut(paths=("/a",), components=("examples/E",)), "s.json", "abc")
    assert list(result["paths"]) == ["/a"]
    assert result["tags"] == [{"name": "kept"}]
    assert result["info"] == SOURCE["info"]
    assert result["x-cut"]["sha256"] == "abc"
    components = result["components"]
    assert sorted(components["schemas"]) == ["A", "B", "C"]
    assert list(components["responses"]) == ["Ok"]
    assert list(components["examples"]) == ["E"]
    assert components["securitySchemes"] == SOURCE["components"]["securitySchemes"]
    assert dangling_refs(result) == {"examples/Missing"}  # dangling in the source as well


def test_cut_refuses_a_path_or_component_the_source_lacks() -> None:
    with pytest.raises(SystemExit, match="/nope"):
        cut(SOURCE, Cut(paths=("/nope",)), "s.json", "abc")
    with pytest.raises(SystemExit, match="schemas/Nope"):
        cut(SOURCE, Cut(components=("schemas/Nope",)), "s.json", "abc")
