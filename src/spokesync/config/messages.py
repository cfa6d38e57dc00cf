"""Validation errors as one line for the person who edits the file: the key and what to do."""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from spokesync.config.model import Config
from spokesync.config.values import SECRET_KEYS, KeyedValueError
from spokesync.redact import redact


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("list[str]", "FixedValue"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model that holds the last key of ``loc`` (to suggest the keys it knows)."""
    annotation: Any = Config
    for part in loc[:-1]:
        while get_origin(annotation) in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) in (dict, list):
            annotation = get_args(annotation)[-1]
        else:
            return None
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    while get_origin(annotation) in (Union, types.UnionType):  # an optional table
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unknown_key(loc: tuple[int | str, ...]) -> str:
    model = _model_at(loc)
    if model is None:
        return "is not a known key (check its spelling)"
    known = sorted(model.model_fields)
    near = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if near:
        return f"is not a known key; did you mean {near[0]}?"
    return f"is not a known key (known here: {', '.join(known)})"


_MISSING_HINTS = {
    "okta": "[okta] table is missing; add one with org_url and token (or [okta.oauth])",
    "sources": "no [sources.NAME] table; add one per Auth0 tenant with domain, client_id "
    "and client_secret",
    "bindings": "no [[bindings]]; add at least one with source, role and group",
}
_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "string": "a string in quotes",
    "dict": "a table",
    "model": "a table",
    "model_attributes": "a table",
    "list": "a list [...]",
}
_LIMIT_WORDS = {
    "greater_than": "more than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}
_TOML_TYPES = {str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def _got(error: Any, key: str) -> str:
    """``, not 'ten'`` for a short scalar of a non-secret key, else what kind of value it was."""
    value = error.get("input")
    if key.rsplit(".", 1)[-1] in SECRET_KEYS:
        return ""
    if isinstance(value, str | int | float | bool) and len(repr(value)) <= 40:
        return f", not {value!r}"
    if isinstance(value, dict):
        return ", not a table"
    if isinstance(value, list):
        return ", not a list"
    return ""


def describe(error: Any) -> tuple[str, str]:
    """The key an error is about and what is wrong, as a predicate (``is required...``)."""
    loc: tuple[int | str, ...] = tuple(error["loc"])
    key = _loc(loc)
    kind: str = error["type"]
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, KeyedValueError):
        return cause.key, cause.problem
    if kind == "missing":
        if key in _MISSING_HINTS:
            return "", _MISSING_HINTS[key]
        return key, "is required but missing"
    if kind == "extra_forbidden":
        return key, _unknown_key(loc)
    if kind == "too_short" and key in _MISSING_HINTS:
        return "", _MISSING_HINTS[key].replace("is missing", "is empty")
    base = kind.removesuffix("_type").removesuffix("_parsing").removesuffix("_from_float")
    if base in _TYPE_WORDS:
        return key, f"must be {_TYPE_WORDS[base]}{_got(error, key)}"
    if kind in _LIMIT_WORDS:
        limit = next(iter(ctx.values()))
        return key, f"must be {_LIMIT_WORDS[kind]} {limit}{_got(error, key)}"
    if kind == "literal_error":
        return key, f"must be {ctx['expected']}{_got(error, key)}"
    if kind == "too_short":
        return key, "must not be empty"
    return key, str(error["msg"]).removeprefix("Value error, ")


def scrub(message: str, sensitive: list[str]) -> str:
    """Remove secrets from a message: registered ones and this file's secret-ish values."""
    for value in sorted(set(sensitive), key=len, reverse=True):
        if len(value.strip()) >= 4:
            message = message.replace(value, "[REDACTED]")
    return redact(message)
