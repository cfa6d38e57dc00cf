"""Auth0 user -> Okta profile, by the configured mapping rules (pure: no I/O, no clock).

A rule per Okta attribute is either an ordered list of source paths (the first *usable* value
wins) or a :class:`FixedValue`. A path is dotted (``email``,
``user_metadata.firstName``, ``app_metadata.dept.code``) with optional transforms after ``|``
(``name|first_word``). A value is usable when it is a string, number or boolean that is not
blank once cleaned; a ``name`` equal to the email (Auth0 fills ``name`` with the email when no
name is given) is not usable either.

Whatever the user holds, :func:`map_user` returns a :class:`MappedProfile` or an
:class:`Unmappable` whose reason says which field to fix in Auth0; it never raises on user
data, and it never truncates: a value Okta would refuse is reported, not shortened.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from spokesync.domain import SourceUser, shared_strings

#: Default mapping: attribute -> ordered source paths (first usable value wins).
DEFAULT_MAPPING: dict[str, list[str]] = {
    "login": ["email"],
    "email": ["email"],
    "firstName": ["user_metadata.firstName", "given_name", "name|first_word"],
    "lastName": ["user_metadata.lastName", "family_name", "name|after_first_word"],
}


class FixedValue(BaseModel):
    """A rule that sets the attribute to one value (``{ value = "Partners" }`` in the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str


#: one attribute's rule: source paths in order of preference, or a fixed value
MappingRule = list[str] | FixedValue

#: Attributes that must hold an email address (Okta's default ``login`` format is an email).
EMAIL_ATTRIBUTES: tuple[str, ...] = ("login", "email")
#: Attributes Okta's default user schema requires; without one the user cannot be created.
REQUIRED_ATTRIBUTES: tuple[str, ...] = ("login", "email", "firstName", "lastName")
#: Okta's length limits (in characters) for its default profile attributes, from the
#: ``UserProfile`` schema of the published management spec (2026.06.3); the default user
#: schema example there agrees: login 5..100, firstName/lastName 1..50.
OKTA_MAX_LENGTH: Mapping[str, int] = {
    "login": 100,
    "email": 100,
    "firstName": 50,
    "lastName": 50,
    "secondEmail": 100,
    "mobilePhone": 100,
    "primaryPhone": 100,
    "city": 128,
    "state": 128,
    "zipCode": 50,
    "countryCode": 2,
    "streetAddress": 1024,
    "postalAddress": 4096,
}
EMAIL_MIN_LENGTH = 5
EMAIL_MAX_LENGTH = 100


def _first_word(text: str) -> str:
    words = text.split()
    return words[0] if words else ""


def _after_first_word(text: str) -> str:
    return " ".join(text.split()[1:])


def _local_part(text: str) -> str:
    # The domain follows the last "@"; a value without "@" is all local part.
    return text.rpartition("@")[0] if "@" in text else text


#: The transforms a path may apply after ``|``, in the order written.
TRANSFORMS: Mapping[str, Callable[[str], str]] = {
    "first_word": _first_word,
    "after_first_word": _after_first_word,
    "lower": str.lower,
    "upper": str.upper,
    "trim": str.strip,
    "local_part": _local_part,
}

_PROBE = SourceUser(source="", user_id="")
#: The organization an identity is in scope through (organization bindings only):
#: ``organization.id``, ``.name``, ``.display_name``, ``.metadata.KEY``.
ORGANIZATION = "organization"
ORGANIZATION_FIELDS: frozenset[str] = frozenset({"id", "name", "display_name", "metadata"})
#: Top-level fields a path may start with: the keys of :meth:`SourceUser.as_dict`, and
#: ``organization``.
SOURCE_FIELDS: frozenset[str] = frozenset(_PROBE.as_dict()) | {ORGANIZATION}
#: Fields holding JSON objects, which a path must go into (``user_metadata.x``).
OBJECT_FIELDS: frozenset[str] = frozenset(
    k for k, v in _PROBE.as_dict().items() if isinstance(v, Mapping)
) | {ORGANIZATION}
_SEGMENT = re.compile(r"[^\s.|]+")
_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Characters removed from text: controls (Cc), invisible formatting incl. zero-width and bidi
# controls (Cf), and lone surrogates (Cs), which cannot be sent as UTF-8 at all.
_STRIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


@dataclass(frozen=True, slots=True)
class MappedProfile:
    """The Okta profile for one user; ``warnings`` are worth a look but did not stop it."""

    profile: Mapping[str, str]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unmappable:
    """Why no valid Okta profile can be made: a sentence naming the Auth0 field and the fix."""

    reason: str
    #: the Okta attribute that failed (``""`` when not about one attribute)
    attribute: str = ""


#: What :func:`map_user` gives for one user.
Mapped = MappedProfile | Unmappable


class RuleError(ValueError):
    """A mapping rule that cannot work; ``attribute`` is the Okta attribute it is for."""

    def __init__(self, attribute: str, problem: str) -> None:
        super().__init__(f"mapping.{attribute}: {problem}")
        self.attribute = attribute
        self.problem = problem


@dataclass(frozen=True, slots=True)
class SourcePath:
    """A parsed path: the keys to walk from the user, then the transforms to apply."""

    text: str
    keys: tuple[str, ...]
    transforms: tuple[str, ...]

    @property
    def field(self) -> str:
        """The top-level Auth0 field the path reads (``user_metadata`` for ``user_metadata.x``)."""
        return self.keys[0]

    @property
    def location(self) -> str:
        """The path without its transforms, as the user sees the field in Auth0."""
        return ".".join(self.keys)


@lru_cache(maxsize=1024)
def parse_path(text: str) -> SourcePath:
    """Parse ``a.b.c|t1|t2``; raise ValueError saying what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("a source path must be a non-empty string such as 'given_name'")
    location, *transforms = (part.strip() for part in text.split("|"))
    keys = tuple(location.split("."))
    if not all(_SEGMENT.fullmatch(k) for k in keys):
        raise ValueError(
            f"{text!r} is not a path; write dotted keys such as 'user_metadata.firstName'"
        )
    if keys[0] not in SOURCE_FIELDS:
        near = difflib.get_close_matches(keys[0], sorted(SOURCE_FIELDS), n=1)
        hint = f"did you mean {near[0]}?" if near else f"known: {', '.join(sorted(SOURCE_FIELDS))}"
        subject = repr(text) if len(keys) == 1 else f"{text!r} starts with {keys[0]!r}, which"
        raise ValueError(f"{subject} is not an Auth0 user field ({hint})")
    if keys[0] in OBJECT_FIELDS and len(keys) == 1:
        raise ValueError(f"{text!r} names a whole object; add a key, e.g. '{keys[0]}.firstName'")
    if keys[0] not in OBJECT_FIELDS and len(keys) > 1:
        raise ValueError(f"{text!r} goes into {keys[0]!r}, which holds a plain value")
    if keys[0] == ORGANIZATION:
        _check_organization_path(text, keys)
    for name in transforms:
        if name not in TRANSFORMS:
            raise ValueError(
                f"{text!r} uses the unknown transform {name!r} "
                f"(known: {', '.join(sorted(TRANSFORMS))})"
            )
    return SourcePath(text=text, keys=keys, transforms=tuple(transforms))


def _check_organization_path(text: str, keys: tuple[str, ...]) -> None:
    known = (
        "organization.id, organization.name, organization.display_name, organization.metadata.KEY"
    )
    if keys[1] not in ORGANIZATION_FIELDS:
        raise ValueError(f"{text!r} is not an organization field (known: {known})")
    if keys[1] == "metadata" and len(keys) != 3:
        raise ValueError(f"{text!r}: write organization.metadata.KEY (metadata is flat)")
    if keys[1] != "metadata" and len(keys) > 2:
        raise ValueError(f"{text!r} goes into organization.{keys[1]}, which holds a plain value")


def uses_organization(rules: Mapping[str, MappingRule]) -> bool:
    """Whether a rule reads an ``organization.*`` path (the mapping then depends on the
    organization an identity is in scope through, not on its profile alone)."""
    return any(
        isinstance(rule, list) and any(parse_path(t).field == ORGANIZATION for t in rule)
        for rule in rules.values()
    )


def validate_rules(rules: Mapping[str, MappingRule]) -> None:
    """Check every rule so that a bad one fails at config load; raise :class:`RuleError`."""
    for attribute, rule in rules.items():
        if not _ATTRIBUTE.fullmatch(attribute):
            raise RuleError(
                attribute, "is not an Okta attribute name (a letter, then letters, digits or _)"
            )
        near = {k.casefold(): k for k in OKTA_MAX_LENGTH}.get(attribute.casefold())
        if near and near != attribute:
            raise RuleError(attribute, f"Okta attribute names are case-sensitive; write {near}")
        if isinstance(rule, FixedValue):
            _check_fixed(attribute, rule.value)
            continue
        if not rule:
            raise RuleError(attribute, "lists no source path; give at least one, e.g. ['email']")
        for text in rule:
            try:
                parse_path(text)
            except ValueError as exc:
                raise RuleError(attribute, str(exc)) from None


def _check_fixed(attribute: str, value: str) -> None:
    if attribute in EMAIL_ATTRIBUTES:
        raise RuleError(
            attribute, "cannot be a fixed value: every user would get the same one; use a path"
        )
    text = clean_text(value)
    if not text:
        raise RuleError(attribute, "has a blank fixed value; give a value or remove the rule")
    limit = OKTA_MAX_LENGTH.get(attribute)
    if limit is not None and len(text) > limit:
        raise RuleError(attribute, f"fixed value is over Okta's limit of {limit} characters")


def login_sources_from_user_metadata(rules: Mapping[str, MappingRule]) -> list[str]:
    """The email attributes (login/email) whose rule reads ``user_metadata``.

    Users can edit their own ``user_metadata``, so such a rule lets a user choose their hub login.
    """
    out: list[str] = []
    for attribute in EMAIL_ATTRIBUTES:
        rule = rules.get(attribute)
        if isinstance(rule, list) and any(
            parse_path(text).field == "user_metadata" for text in rule
        ):
            out.append(attribute)
    return out


def clean_text(text: str) -> str:
    """NFC text without control or invisible characters, whitespace collapsed and trimmed."""
    if text.isascii() and text.isprintable():
        return " ".join(text.split())  # the common case, without a look at every character
    kept = "".join(
        " " if ch.isspace() else "" if unicodedata.category(ch) in _STRIPPED_CATEGORIES else ch
        for ch in text
    )
    return unicodedata.normalize("NFC", " ".join(kept.split()))


def _has_hidden_characters(text: str) -> bool:
    if text.isascii() and text.isprintable():
        return " " in text
    return any(ch.isspace() or unicodedata.category(ch) in _STRIPPED_CATEGORIES for ch in text)


def _as_text(value: Any) -> str | None:
    """The text of a usable scalar, else None (objects, lists, null, NaN are never usable)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python will print
            return None
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    return None


def _lookup(document: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = document
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


@dataclass(frozen=True, slots=True)
class _Candidate:
    path: SourcePath
    value: str
    altered: bool  # cleaning removed characters other than surrounding/duplicate spaces


def _pick(
    document: Mapping[str, Any], paths: list[str], *, email: str | None, strict: bool
) -> _Candidate | None:
    """The first usable value along ``paths``; ``strict`` keeps hidden characters for checking."""
    for text in paths:
        path = parse_path(text)
        raw = _as_text(_lookup(document, path.keys))
        if raw is None:
            continue
        if path.field == "name" and email is not None and clean_text(raw).casefold() == email:
            continue
        if not path.transforms and raw.isascii() and raw.isprintable():
            # The common case, equal to the general one below: plain ASCII needs no NFC and
            # has nothing hidden to remove, so cleaning is only collapsing the whitespace.
            collapsed = " ".join(raw.split())
            if collapsed:
                return _Candidate(path, raw.strip() if strict else collapsed, False)
            continue
        value = unicodedata.normalize("NFC", raw).strip() if strict else clean_text(raw)
        for name in path.transforms:
            value = TRANSFORMS[name](value)
        value = value.strip() if strict else clean_text(value)
        # Usable means the same in both modes: something visible is left once cleaned.
        if not (clean_text(value) if strict else value):
            continue
        collapsed = unicodedata.normalize("NFC", " ".join(raw.split()))
        altered = not strict and clean_text(raw) != collapsed
        return _Candidate(path, value, altered)
    return None


def _email_problem(value: str) -> str | None:
    """Why ``value`` is not an address Okta accepts as login/email, or None if it is."""
    if _has_hidden_characters(value):
        return "it contains spaces or invisible characters"
    if value.count("@") != 1:
        return "it must hold exactly one @"
    local, domain = value.split("@")
    if not local:
        return "the part before @ is empty"
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        return "the domain after @ must be a name with a dot, such as partner.example"
    if not EMAIL_MIN_LENGTH <= len(value) <= EMAIL_MAX_LENGTH:
        return (
            f"it is {len(value)} characters; Okta accepts {EMAIL_MIN_LENGTH} to {EMAIL_MAX_LENGTH}"
        )
    return None


def _normalise_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local}@{domain.lower()}"


def _fields_named(rule: list[str]) -> str:
    names = list(dict.fromkeys(parse_path(text).location for text in rule))
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _own_code() -> bytes:
    try:
        return Path(__file__).read_bytes()
    except OSError:  # not installed as files (a zip import): the version has to do
        from spokesync import __version__

        return __version__.encode()


_CODE_DIGEST = hashlib.sha256(_own_code()).digest()


def rules_digest(rules: Mapping[str, MappingRule]) -> str:
    """A fingerprint of ``rules`` and of this module's code.

    :func:`map_user` is a pure function of the user and the rules, so a mapped result stored
    with this digest stays right for as long as the digest matches: the profile cache keeps
    results under it and unchanged users are not mapped again (see ``observe``). Editing the
    rules, or upgrading spokesync to a different mapping, changes it.
    """
    # In order: the first attribute that cannot be mapped gives the reason.
    canonical = [
        [attr, {"fixed": rule.value} if isinstance(rule, FixedValue) else list(rule)]
        for attr, rule in rules.items()
    ]
    text = json.dumps(canonical, separators=(",", ":"))
    return hashlib.sha256(_CODE_DIGEST + text.encode()).hexdigest()[:32]


def map_user(
    user: SourceUser,
    rules: Mapping[str, MappingRule],
    organization: Mapping[str, Any] | None = None,
) -> Mapped:
    """Map one Auth0 user to an Okta profile by ``rules`` (``Config.mapping_rules()``);
    ``organization`` (its ``id``, ``name``, ``display_name``, ``metadata``) is what
    ``organization.*`` paths read: the organization the identity is in scope through.

    Never raises on user data; raises :class:`RuleError` only for rules that
    :func:`validate_rules` would refuse (config loading has already caught those).
    """
    document = user.as_dict()
    document[ORGANIZATION] = organization or {}
    raw_email = _as_text(user.email)
    own_email = clean_text(raw_email).casefold() if raw_email else None
    profile: dict[str, str] = {}
    warnings: list[str] = []
    for attribute, rule in rules.items():
        if isinstance(rule, FixedValue):
            _check_fixed(attribute, rule.value)
            profile[attribute] = clean_text(rule.value)
            continue
        try:
            strict = attribute in EMAIL_ATTRIBUTES
            found = _pick(document, rule, email=own_email, strict=strict)
        except ValueError as exc:
            raise RuleError(attribute, str(exc)) from None
        outcome = _accept(attribute, rule, found, warnings)
        if isinstance(outcome, Unmappable):
            return outcome
        if outcome is not None:
            profile[attribute] = outcome
    # Shared strings: the same values sit in the Okta profile and the link of every identity.
    return MappedProfile(profile=shared_strings(profile), warnings=tuple(warnings))


def _accept(
    attribute: str, rule: list[str], found: _Candidate | None, warnings: list[str]
) -> str | Unmappable | None:
    """The value to put in the profile, an Unmappable, or None to leave the attribute out."""
    if found is None:
        fields = _fields_named(rule)
        if attribute in EMAIL_ATTRIBUTES:
            return Unmappable(
                f"no usable email{_for(attribute)}: {fields} is empty; "
                "give the user an email address in Auth0",
                attribute,
            )
        if attribute in REQUIRED_ATTRIBUTES:
            return Unmappable(f"no {attribute}: set {fields} in Auth0", attribute)
        return None
    source = found.path.location
    if attribute in EMAIL_ATTRIBUTES:
        problem = _email_problem(found.value)
        if problem:
            return Unmappable(
                f"no usable email{_for(attribute)}: Auth0 {source} is not an address Okta "
                f"accepts ({problem}); correct it in Auth0",
                attribute,
            )
        if not found.value.isascii():
            warnings.append(
                f"{attribute} from Auth0 {source} has non-ASCII characters; "
                "check it is not a look-alike of another address"
            )
        return _normalise_email(found.value)
    limit = OKTA_MAX_LENGTH.get(attribute)
    if limit is not None and len(found.value) > limit:
        message = (
            f"{attribute} from Auth0 {source} is {len(found.value)} characters, over "
            f"Okta's limit of {limit}; shorten it in Auth0"
        )
        if attribute in REQUIRED_ATTRIBUTES:
            return Unmappable(message, attribute)
        warnings.append(message + f" ({attribute} left out)")
        return None
    if found.altered:
        warnings.append(f"{attribute} from Auth0 {source}: control or invisible characters removed")
    return found.value


def _for(attribute: str) -> str:
    return "" if attribute == "email" else f" for {attribute}"
