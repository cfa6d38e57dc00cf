"""The shape comparator used by the recording replays must itself notice differences."""

from __future__ import annotations

from tests.emulators.auth0.shapes import shape_differences


def test_equal_shapes_with_different_values_agree() -> None:
    assert shape_differences({"a": [1, {"b": "x"}]}, {"a": [2, {"b": "y"}]}) == []


def test_differences_are_reported_with_their_path() -> None:
    assert shape_differences({"a": 1}, {"a": "1"}) == ["$.a: recorded number, got string"]
    assert shape_differences({"a": 1}, {}) == ["$.a: missing"]
    assert shape_differences({}, {"b": None}) == ["$.b: unexpected"]
    assert shape_differences({"a": [1]}, {"a": []}) == ["$.a: recorded 1 items, got 0"]
    assert shape_differences({"a": True}, {"a": 1}) == ["$.a: recorded boolean, got number"]
    assert shape_differences({"u": [{"k": 1}]}, {"u": [{"k": None}]}) == [
        "$.u[0].k: recorded number, got null"
    ]


def test_allowed_extras() -> None:
    assert shape_differences({}, {"scope": "x"}, allow_extra=frozenset({"$.scope"})) == []
