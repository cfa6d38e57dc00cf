"""A generic comparator of JSON shapes: the same keys, recursively, and the same JSON types."""

from __future__ import annotations

from typing import Any


def json_kind(value: Any) -> str:
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
    recorded: Any, actual: Any, path: str = "$", allow_extra: frozenset[str] = frozenset()
) -> list[str]:
    """Where ``actual`` differs in shape from ``recorded``; empty when the shapes agree.

    Arrays must have the same length and are compared item by item. ``allow_extra`` names
    paths (like ``$.scope``) that ``actual`` may have although ``recorded`` does not.
    """
    if json_kind(recorded) != json_kind(actual):
        return [f"{path}: recorded {json_kind(recorded)}, got {json_kind(actual)}"]
    if isinstance(recorded, dict):
        problems = [f"{path}.{key}: missing" for key in sorted(set(recorded) - set(actual))]
        problems += [
            f"{path}.{key}: unexpected"
            for key in sorted(set(actual) - set(recorded))
            if f"{path}.{key}" not in allow_extra
        ]
        for key in sorted(set(recorded) & set(actual)):
            problems += shape_differences(recorded[key], actual[key], f"{path}.{key}", allow_extra)
        return problems
    if isinstance(recorded, list):
        if len(recorded) != len(actual):
            return [f"{path}: recorded {len(recorded)} items, got {len(actual)}"]
        problems = []
        for index, (left, right) in enumerate(zip(recorded, actual, strict=True)):
            problems += shape_differences(left, right, f"{path}[{index}]", allow_extra)
        return problems
    return []
