"""Compare JSON documents by shape: the same keys, recursively, and the same JSON types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_differences(
    expected: Any,
    actual: Any,
    path: str = "$",
    *,
    extra_keys_ok: Callable[[str], bool] = lambda _: False,
    optional: Callable[[str, str], bool] = lambda _path, _key: False,
) -> list[str]:
    """Where ``actual`` differs in shape from ``expected`` (empty when alike).

    null matches any type (the spec marks these fields nullable and a value depends on the
    object's history); arrays compare their first items when both have one. Keys for which
    ``optional(path, key)`` holds may be absent on either side; ``extra_keys_ok(path)``
    allows keys only ``actual`` has at that path.
    """
    if expected is None or actual is None:
        return []
    kind, other = json_type(expected), json_type(actual)
    if kind != other:
        return [f"{path}: {kind} expected, {other} found"]
    if kind == "array":
        if expected and actual:
            return shape_differences(
                expected[0], actual[0], f"{path}[0]", extra_keys_ok=extra_keys_ok, optional=optional
            )
        return []
    if kind != "object":
        return []
    found = [
        f"{path}.{key}: missing"
        for key in expected
        if key not in actual and not optional(path, key)
    ]
    if not extra_keys_ok(path):
        found += [
            f"{path}.{key}: unexpected"
            for key in actual
            if key not in expected and not optional(path, key)
        ]
    for key in expected:
        if key in actual:
            found += shape_differences(
                expected[key],
                actual[key],
                f"{path}.{key}",
                extra_keys_ok=extra_keys_ok,
                optional=optional,
            )
    return found
