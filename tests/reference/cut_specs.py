"""Cut the official OpenAPI files down to what spokesync's emulators and tests touch.

The full files (8.6 MB) are research material kept outside the repository; the cut keeps the
paths and components named in ``KEEP`` plus everything they reference, transitively, so the
tests can validate against the official schemas from a plain clone. Regenerate with::

    .venv/bin/python -m tests.reference.cut_specs --from /path/to/full/specs

A new endpoint is one line in ``KEEP`` and that command.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.reference import SPECS, load

#: a reference into the document's own components, e.g. ``#/components/schemas/User``
COMPONENTS = "#/components/"

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Cut:
    """What to keep of one spec file: whole path items and extra components by pointer."""

    paths: tuple[str, ...] = ()
    #: components read by name though no kept path reaches them, e.g. ``schemas/sapi``
    components: tuple[str, ...] = ()


AUTH0_MANAGEMENT_PATHS = (
    "/users",
    "/users/{id}",
    "/users/{id}/roles",
    "/users-by-email",
    "/user-blocks/{id}",
    "/roles",
    "/roles/{id}",
    "/roles/{id}/users",
    "/jobs/users-exports",
    "/jobs/{id}",
    "/connections",
    "/logs",  # live mode
    "/logs/{id}",
    "/organizations",  # organization bindings
    "/organizations/name/{name}",
    "/organizations/{id}",
    "/organizations/{id}/members",
    "/organizations/{id}/members/{user_id}/roles",
    "/users/{id}/organizations",
)

OKTA_MANAGEMENT_PATHS = (
    "/api/v1/users",
    "/api/v1/users/{id}",
    "/api/v1/users/{id}/groups",
    "/api/v1/users/{id}/idps",
    "/api/v1/users/{id}/lifecycle/activate",
    "/api/v1/users/{id}/lifecycle/reactivate",
    "/api/v1/users/{id}/lifecycle/deactivate",
    "/api/v1/users/{id}/lifecycle/suspend",
    "/api/v1/users/{id}/lifecycle/unsuspend",
    "/api/v1/users/{id}/lifecycle/reset_password",
    "/api/v1/meta/types/user",
    "/api/v1/meta/types/user/{typeId}",
    "/api/v1/groups",
    "/api/v1/groups/{groupId}",
    "/api/v1/groups/{groupId}/users",
    "/api/v1/groups/{groupId}/users/{userId}",
    "/api/v1/idps",
    "/api/v1/idps/{idpId}",
    "/api/v1/idps/{idpId}/users",
    "/api/v1/idps/{idpId}/users/{userId}",
    "/api/v1/logs",  # live mode
)

#: tenant-log event types an identity sync meets: Management API writes, signups, deletions,
#: profile changes, imports and the recorded ones (recordings/auth0/logs*.json)
AUTH0_LOG_TYPES = (
    "sapi",
    "mgmt_api_read",
    "ss",
    "fs",
    "sdu",
    "fdu",
    "sce",
    "fce",
    "scu",
    "fcu",
    "scp",
    "fcp",
    "sv",
    "sui",
    "fui",
    "s",
    "seccft",
    "feccft",
    "fn",
    "ublkdu",
    "limit_wc",
    "limit_mu",
    "organization_member_added",  # invitation or auto-membership at login
)

#: the one place that says what is kept, by file name in the full specs folder
KEEP: dict[str, Cut] = {
    "auth0-management-api-oas.json": Cut(paths=AUTH0_MANAGEMENT_PATHS),
    "auth0-authentication-api-oas.json": Cut(paths=("/oauth/token",)),
    "auth0-tenant-logs-schema.json": Cut(
        components=tuple(f"schemas/{name}" for name in AUTH0_LOG_TYPES)
    ),
    "okta-management-oneOfInheritance.yaml": Cut(
        paths=OKTA_MANAGEMENT_PATHS,
        # tests/test_mapping.py reads the name limits of Okta's default user schema
        components=("examples/UserSchemaDefaultResponse",),
    ),
    "okta-oauth-oneOfInheritance.yaml": Cut(paths=("/oauth2/v1/token",)),
}


def dump(document: Any, path: Path) -> None:
    """Write ``document`` in the format ``path``'s suffix names, deterministically."""
    if path.suffix == ".json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, "utf-8")


def component_refs(node: Any) -> Iterator[tuple[str, str]]:
    """Every (section, name) a string in ``node`` points at: ``$ref``s and discriminator maps."""
    if isinstance(node, dict):
        for value in node.values():
            yield from component_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from component_refs(item)
    elif isinstance(node, str) and node.startswith(COMPONENTS):
        parts = node[len(COMPONENTS) :].split("/")
        if len(parts) >= 2:
            yield parts[0], parts[1].replace("~1", "/").replace("~0", "~")


def _section_and_name(pointer: str) -> tuple[str, str]:
    section, _, name = pointer.partition("/")
    return section, name


def dangling_refs(document: Any) -> set[str]:
    """Component references in ``document`` that name no component of it."""
    components = document.get("components", {})
    return {
        f"{section}/{name}"
        for section, name in component_refs(document)
        if name not in components.get(section, {})
    }


def cut(document: dict[str, Any], keep: Cut, source: str, digest: str) -> dict[str, Any]:
    """``document`` reduced to ``keep``'s paths and components and their reference closure."""
    paths = document.get("paths", {})
    missing = [path for path in keep.paths if path not in paths]
    if missing:
        raise SystemExit(f"{source}: no such path(s) {missing}; fix KEEP in {__file__}")
    out: dict[str, Any] = {
        key: document[key]
        for key in ("openapi", "info", "servers", "security", "externalDocs")
        if key in document
    }
    out["x-cut"] = {
        "from": source,
        "sha256": digest,
        "by": "tests/reference/cut_specs.py: the kept paths and components and all they reference",
    }
    kept_paths = {path: paths[path] for path in keep.paths}
    used_tags = {
        tag
        for item in kept_paths.values()
        for method in METHODS
        for tag in item.get(method, {}).get("tags", [])
    }
    tags = [tag for tag in document.get("tags", []) if tag["name"] in used_tags]
    if tags:
        out["tags"] = tags
    if kept_paths:
        out["paths"] = kept_paths

    available = document.get("components", {})
    extras = [_section_and_name(pointer) for pointer in keep.components]
    unknown = [f"{s}/{n}" for s, n in extras if n not in available.get(s, {})]
    if unknown:
        raise SystemExit(f"{source}: no such component(s) {unknown}; fix KEEP in {__file__}")
    components: dict[str, dict[str, Any]] = {}
    if "securitySchemes" in available:  # named by security requirements, not by $ref
        components["securitySchemes"] = available["securitySchemes"]
    pending = extras + list(component_refs(kept_paths))
    while pending:
        section, name = pending.pop()
        if name in components.get(section, {}) or name not in available.get(section, {}):
            continue  # already kept, or dangling in the source too (reported by the caller)
        node = available[section][name]
        components.setdefault(section, {})[name] = node
        pending.extend(component_refs(node))
    out["components"] = {
        section: dict(sorted(components[section].items()))
        for section in available
        if section in components
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        required=True,
        help="folder holding the full official spec files named in KEEP",
    )
    parser.add_argument("--to", type=Path, default=SPECS, help=f"output folder (default {SPECS})")
    args = parser.parse_args(argv)
    args.to.mkdir(parents=True, exist_ok=True)
    for name, keep in KEEP.items():
        source = args.source / name
        raw = source.read_bytes()
        reduced = cut(load(source), keep, name, hashlib.sha256(raw).hexdigest())
        target = args.to / name
        dump(reduced, target)
        dangling = sorted(dangling_refs(reduced))
        note = f"; dangling in the source too: {', '.join(dangling)}" if dangling else ""
        print(f"{name}: {len(raw):,} -> {target.stat().st_size:,} bytes{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
