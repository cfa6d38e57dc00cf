"""The shape comparator used by the replay tests must itself be able to fail."""

from __future__ import annotations

from tests.emulators.okta.shape import shape_differences


def test_alike_documents() -> None:
    assert shape_differences({"a": 1, "b": [{"c": "x"}]}, {"a": 2.5, "b": [{"c": "y"}]}) == []


def test_missing_extra_and_type_changes_are_reported() -> None:
    found = shape_differences({"a": 1, "b": {"c": "x"}}, {"b": {"c": 3}, "d": True})
    assert found == ["$.a: missing", "$.d: unexpected", "$.b.c: string expected, number found"]


def test_null_matches_any_type_and_list_items_compare_first() -> None:
    assert shape_differences({"a": None, "l": [{"k": 1}]}, {"a": {"x": 1}, "l": [{"k": 2}]}) == []
    assert shape_differences({"l": [{"k": 1}]}, {"l": [{"j": 1}]}) == [
        "$.l[0].k: missing",
        "$.l[0].j: unexpected",
    ]


def test_optional_and_extra_keys() -> None:
    assert shape_differences({}, {"x": 1}, extra_keys_ok=lambda path: path == "$") == []
    assert shape_differences({"x": 1}, {}, optional=lambda _p, key: key == "x") == []
