"""spokesync.mapping: Auth0 user -> Okta profile, by example, by property and by hostile input."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spokesync.domain import SourceUser
from spokesync.mapping import (
    DEFAULT_MAPPING,
    OKTA_MAX_LENGTH,
    TRANSFORMS,
    FixedValue,
    MappedProfile,
    MappingRule,
    RuleError,
    Unmappable,
    clean_text,
    login_sources_from_user_metadata,
    map_user,
    parse_path,
    rules_digest,
    validate_rules,
)
from tests import reference

DEFAULTS: dict[str, MappingRule] = {k: list(v) for k, v in DEFAULT_MAPPING.items()}


def user(**fields: Any) -> SourceUser:
    base: dict[str, Any] = {
        "source": "apac",
        "user_id": "auth0|1",
        "email": "ann@partner.example",
        "email_verified": True,
    }
    base.update(fields)
    return SourceUser(**base)


def mapped(result: MappedProfile | Unmappable) -> MappedProfile:
    assert isinstance(result, MappedProfile), result
    return result


def unmappable(result: MappedProfile | Unmappable) -> Unmappable:
    assert isinstance(result, Unmappable), result
    return result


# -- the default rules, one by one --------------------------------------------------------------


def test_defaults_prefer_user_metadata_names() -> None:
    result = mapped(
        map_user(
            user(
                name="Annie L",
                given_name="Annabel",
                family_name="Lee-Smith",
                user_metadata={"firstName": "Ann", "lastName": "Lee"},
            ),
            DEFAULTS,
        )
    )
    assert result.profile == {
        "login": "ann@partner.example",
        "email": "ann@partner.example",
        "firstName": "Ann",
        "lastName": "Lee",
    }
    assert result.warnings == ()


def test_defaults_fall_back_to_given_and_family_name() -> None:
    result = mapped(map_user(user(name="X Y", given_name="Ann", family_name="Lee"), DEFAULTS))
    assert (result.profile["firstName"], result.profile["lastName"]) == ("Ann", "Lee")


def test_defaults_fall_back_to_the_words_of_name() -> None:
    result = mapped(map_user(user(name="Ann  Marie Lee"), DEFAULTS))
    assert (result.profile["firstName"], result.profile["lastName"]) == ("Ann", "Marie Lee")


def test_blank_metadata_name_is_skipped_for_the_next_path() -> None:
    result = mapped(
        map_user(
            user(given_name="Ann", family_name="Lee", user_metadata={"firstName": "  "}), DEFAULTS
        )
    )
    assert result.profile["firstName"] == "Ann"


def test_name_equal_to_email_is_not_a_name() -> None:
    # Auth0 sets name = email when no name is given (reference: users-read recording body).
    result = unmappable(map_user(user(name="Ann@Partner.example"), DEFAULTS))
    assert result.reason == "no firstName: set user_metadata.firstName, given_name or name in Auth0"
    assert result.attribute == "firstName"


def test_single_word_name_leaves_no_last_name() -> None:
    result = unmappable(map_user(user(name="Ann"), DEFAULTS))
    assert result.reason == "no lastName: set user_metadata.lastName, family_name or name in Auth0"


def test_login_and_email_lower_case_the_domain_only() -> None:
    result = mapped(
        map_user(user(email="Ann.Lee@Partner.EXAMPLE", given_name="A", family_name="L"), DEFAULTS)
    )
    assert result.profile["login"] == "Ann.Lee@partner.example"
    assert result.profile["email"] == "Ann.Lee@partner.example"


def test_user_metadata_cannot_set_login_email_or_groups_by_default() -> None:
    hostile = {
        "login": "admin@hub.example",
        "email": "admin@hub.example",
        "groups": ["00gADMINS"],
        "firstName": "Ann",
        "lastName": "Lee",
    }
    result = mapped(map_user(user(user_metadata=hostile), DEFAULTS))
    assert result.profile == {
        "login": "ann@partner.example",
        "email": "ann@partner.example",
        "firstName": "Ann",
        "lastName": "Lee",
    }
    assert login_sources_from_user_metadata(DEFAULTS) == []


# -- transforms and paths -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("name|first_word", "Ann"),
        ("name|after_first_word", "Marie Lee"),
        ("name|lower", "ann marie lee"),
        ("name|upper", "ANN MARIE LEE"),
        ("name|trim", "Ann Marie Lee"),
        ("email|local_part", "ann.lee"),
        ("name|local_part", "Ann Marie Lee"),  # no "@": all of it is local part
        ("name|after_first_word|upper", "MARIE LEE"),
        ("name|after_first_word|first_word", "Marie"),
        ("email_verified", "true"),
        ("blocked", "false"),
        ("user_id", "auth0|1"),
        ("app_metadata.dept.code", "42"),
        ("app_metadata.ratio", "1.5"),
        ("app_metadata.flag", "false"),
    ],
)
def test_transforms_and_paths(path: str, expected: str) -> None:
    source = user(
        email="ann.lee@partner.example",
        name="  Ann  Marie Lee ",
        app_metadata={"dept": {"code": 42}, "ratio": 1.5, "flag": False},
    )
    rules: dict[str, MappingRule] = {**DEFAULTS, "nickName": [path]}
    assert mapped(map_user(source, rules)).profile["nickName"] == expected


def test_every_transform_is_covered_by_an_example() -> None:
    assert set(TRANSFORMS) == {
        "first_word",
        "after_first_word",
        "lower",
        "upper",
        "trim",
        "local_part",
    }


@pytest.mark.parametrize(
    "value",
    [None, [], ["Ann"], {"a": "b"}, "", "   ", "\u200b\u200e", math.nan, math.inf],
)
def test_unusable_values_fall_through(value: Any) -> None:
    source = user(given_name="Ann", family_name="Lee", user_metadata={"a": value, "b": "next"})
    rules: dict[str, MappingRule] = {**DEFAULTS, "nickName": ["user_metadata.a", "user_metadata.b"]}
    assert mapped(map_user(source, rules)).profile["nickName"] == "next"


def test_paths_through_missing_or_plain_values_are_unusable() -> None:
    source = user(
        given_name="Ann",
        family_name="Lee",
        app_metadata={"dept": "sales", "list": [{"code": "x"}]},
    )
    rules: dict[str, MappingRule] = {
        **DEFAULTS,
        "department": ["app_metadata.dept.code", "app_metadata.list.code", "app_metadata.nope.x"],
    }
    assert "department" not in mapped(map_user(source, rules)).profile


def test_optional_attribute_without_value_is_left_out() -> None:
    rules: dict[str, MappingRule] = {**DEFAULTS, "department": ["app_metadata.department"]}
    result = mapped(map_user(user(given_name="Ann", family_name="Lee"), rules))
    assert "department" not in result.profile
    assert result.warnings == ()


def test_fixed_value_is_applied_cleaned() -> None:
    rules: dict[str, MappingRule] = {
        **DEFAULTS,
        "organization": FixedValue(value=" Partner\u200b  Network "),
    }
    result = mapped(map_user(user(given_name="Ann", family_name="Lee"), rules))
    assert result.profile["organization"] == "Partner Network"


# -- hostile input -------------------------------------------------------------------------------


def okta_name_limits() -> dict[str, int]:
    """maxLength of firstName/lastName/login in the spec's default user schema example."""
    examples = reference.spec("okta-management-oneOfInheritance.yaml")["components"]["examples"]
    default_schema = examples["UserSchemaDefaultResponse"]["value"]
    assert default_schema["title"] == "Default Okta user"
    base = default_schema["definitions"]["base"]["properties"]
    return {name: base[name]["maxLength"] for name in ("firstName", "lastName", "login")}


def test_length_limits_match_the_published_default_user_schema() -> None:
    # Followed the official spec (no recording shows these limits): firstName/lastName 50,
    # login 100 in UserSchemaDefaultResponse's example; UserProfile agrees.
    limits = okta_name_limits()
    assert limits == {"firstName": 50, "lastName": 50, "login": 100}
    assert {k: OKTA_MAX_LENGTH[k] for k in limits} == limits


@pytest.mark.parametrize("attribute", ["firstName", "lastName"])
def test_names_over_okta_limit_are_unmappable_not_truncated(attribute: str) -> None:
    long = "A" * 51
    metadata = {"firstName": "Ann", "lastName": "Lee", attribute: long}
    result = unmappable(map_user(user(user_metadata=metadata), DEFAULTS))
    assert result.attribute == attribute
    assert "51 characters" in result.reason
    assert "limit of 50" in result.reason
    assert f"user_metadata.{attribute}" in result.reason


def test_name_at_okta_limit_is_kept_whole() -> None:
    metadata = {"firstName": "é" * 50, "lastName": "Lee"}
    assert mapped(map_user(user(user_metadata=metadata), DEFAULTS)).profile["firstName"] == "é" * 50


def test_ten_thousand_character_metadata() -> None:
    huge = "x" * 10_000
    metadata = {"firstName": huge, "notes": huge, "deep": {"deeper": huge}}
    result = unmappable(map_user(user(user_metadata=metadata, family_name="Lee"), DEFAULTS))
    assert "10000 characters" in result.reason
    rules: dict[str, MappingRule] = {**DEFAULTS, "firstName": ["given_name"]}
    ok = mapped(map_user(user(user_metadata=metadata, given_name="Ann", family_name="Lee"), rules))
    assert ok.profile["firstName"] == "Ann"


def test_over_limit_optional_attribute_is_left_out_with_a_warning() -> None:
    rules: dict[str, MappingRule] = {**DEFAULTS, "countryCode": ["app_metadata.country"]}
    source = user(given_name="Ann", family_name="Lee", app_metadata={"country": "AUS"})
    result = mapped(map_user(source, rules))
    assert "countryCode" not in result.profile
    assert any("countryCode" in w and "limit of 2" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A\u200bnn", "Ann"),  # zero-width space
        ("\u202eeeL\u202c Ann", "eeL Ann"),  # right-to-left override and pop
        ("\u2067Ann\u2069", "Ann"),  # isolates
        ("Ann\x00\x07\x1b", "Ann"),  # C0 controls
        ("Ann\u0085\u2028Lee", "Ann Lee"),  # NEL and line separator are whitespace
        ("Ann\t\n\r Lee", "Ann Lee"),
        ("\ufeffAnn", "Ann"),  # byte order mark
        ("Ame\u0301lie", "Amélie"),  # NFC composes
        ("\ud800Ann", "Ann"),  # lone surrogate cannot be sent as UTF-8
    ],
)
def test_control_and_invisible_characters_are_removed(raw: str, expected: str) -> None:
    result = mapped(map_user(user(user_metadata={"firstName": raw, "lastName": "Lee"}), DEFAULTS))
    assert result.profile["firstName"] == expected


def test_removed_characters_are_reported_as_a_warning() -> None:
    result = mapped(
        map_user(user(user_metadata={"firstName": "A\u200bnn", "lastName": "Lee"}), DEFAULTS)
    )
    assert result.warnings == (
        "firstName from Auth0 user_metadata.firstName: control or invisible characters removed",
    )


def test_arabic_and_hebrew_names_are_kept() -> None:
    metadata = {"firstName": "محمد", "lastName": "כהן"}
    assert mapped(map_user(user(user_metadata=metadata), DEFAULTS)).profile["lastName"] == "כהן"


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("ann.partner.example", "exactly one @"),
        ("ann@@partner.example", "exactly one @"),
        ("ann@x@partner.example", "exactly one @"),
        ("@partner.example", "before @ is empty"),
        ("ann@localhost", "with a dot"),
        ("ann@partner.", "with a dot"),
        ("ann@.example", "with a dot"),
        ("ann@partner..example", "with a dot"),
        ("ann lee@partner.example", "spaces or invisible"),
        ("ann\u200b@partner.example", "spaces or invisible"),  # zero-width: look-alike of ann@
        ("ann\u202e@partner.example", "spaces or invisible"),
        ("a@b.", "with a dot"),
        ("a" * 90 + "@partner.example", "Okta accepts 5 to 100"),
    ],
)
def test_unusable_emails_are_unmappable(email: str, problem: str) -> None:
    result = unmappable(map_user(user(email=email, given_name="Ann", family_name="Lee"), DEFAULTS))
    assert result.reason.startswith("no usable email for login:")
    assert problem in result.reason
    assert result.attribute == "login"


def test_missing_email_is_unmappable() -> None:
    result = unmappable(map_user(user(email=None, given_name="Ann", family_name="Lee"), DEFAULTS))
    assert result.reason.startswith("no usable email for login: email is empty")
    only_email: dict[str, MappingRule] = {**DEFAULTS}
    del only_email["login"]
    result = unmappable(map_user(user(email="  ", given_name="Ann", family_name="Lee"), only_email))
    assert result.reason.startswith("no usable email: email is empty")


def test_email_at_okta_bounds() -> None:
    for email in ("a@b.c", "a" * 84 + "@partner.example"):  # 5 and 100 characters
        assert mapped(map_user(user(email=email, given_name="A", family_name="L"), DEFAULTS))
    too_long = "a" * 85 + "@partner.example"
    assert unmappable(map_user(user(email=too_long, given_name="A", family_name="L"), DEFAULTS))


def test_look_alike_email_is_mapped_with_a_warning() -> None:
    # Cyrillic "а" (U+0430): a different address Okta will not correlate with ann@; flag it.
    result = mapped(
        map_user(user(email="\u0430nn@partner.example", given_name="A", family_name="L"), DEFAULTS)
    )
    assert result.profile["login"] == "\u0430nn@partner.example"
    assert any("look-alike" in w and w.startswith("login") for w in result.warnings)


def test_invisible_only_email_falls_through_like_any_blank_value() -> None:
    rules: dict[str, MappingRule] = {**DEFAULTS, "login": ["user_metadata.login", "email"]}
    source = user(user_metadata={"login": "\u200b\u202e "}, given_name="A", family_name="L")
    assert mapped(map_user(source, rules)).profile["login"] == "ann@partner.example"


def test_all_fields_null() -> None:
    result = unmappable(map_user(SourceUser(source="apac", user_id="auth0|9"), DEFAULTS))
    assert result.attribute == "login"


def test_user_metadata_login_rule_is_reported_and_used() -> None:
    rules: dict[str, MappingRule] = {**DEFAULTS, "login": ["user_metadata.login", "email"]}
    assert login_sources_from_user_metadata(rules) == ["login"]
    source = user(user_metadata={"login": "Chosen@Hub.Example"}, given_name="A", family_name="L")
    assert mapped(map_user(source, rules)).profile["login"] == "Chosen@hub.example"


# -- rule validation ------------------------------------------------------------------------------


def test_default_rules_are_valid() -> None:
    validate_rules(DEFAULTS)


@pytest.mark.parametrize(
    ("attribute", "rule", "problem"),
    [
        ("firstName", ["name|uppr"], "unknown transform 'uppr'"),
        ("firstName", ["given_nam"], "did you mean given_name?"),
        ("firstName", ["user_metadata"], "whole object"),
        ("firstName", ["user_metadata..firstName"], "not a path"),
        ("firstName", ["email.domain"], "plain value"),
        ("firstName", ["user metadata.x"], "not a path"),
        ("firstName", [""], "non-empty"),
        ("firstName", ["|lower"], "not a path"),
        ("firstName", [], "no source path"),
        ("login", FixedValue(value="ann@x.example"), "fixed value"),
        ("email", FixedValue(value="ann@x.example"), "fixed value"),
        ("department", FixedValue(value="  \u200b "), "blank fixed value"),
        ("countryCode", FixedValue(value="AUS"), "limit of 2"),
        ("firstname", ["given_name"], "write firstName"),
        ("1st", ["given_name"], "not an Okta attribute name"),
    ],
)
def test_bad_rules_name_their_attribute(attribute: str, rule: MappingRule, problem: str) -> None:
    with pytest.raises(RuleError) as caught:
        validate_rules({**DEFAULTS, attribute: rule})
    assert caught.value.attribute == attribute
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"mapping.{attribute}: ")


def test_map_user_refuses_invalid_rules() -> None:
    with pytest.raises(RuleError):
        map_user(user(), {**DEFAULTS, "firstName": ["name|nope"]})


def test_parse_path_splits_keys_and_transforms() -> None:
    path = parse_path("app_metadata.dept.code | lower|trim")
    assert path.keys == ("app_metadata", "dept", "code")
    assert path.transforms == ("lower", "trim")
    assert path.field == "app_metadata"
    assert path.location == "app_metadata.dept.code"


# -- properties -----------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
metadata_keys = st.sampled_from(["firstName", "lastName", "login", "email", "groups"]) | st.text(
    max_size=8
)
metadata = st.dictionaries(metadata_keys, json_values, max_size=6)
words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))
    | st.sampled_from(" \u200b\u202e\t"),
    max_size=40,
)
built_emails = st.builds(lambda a, b, c: f"{a}@{b}.{c}", words, words, words)
short_emails = st.emails().filter(lambda e: len(e) <= 100)
# Weighted towards plausible values, so that most examples get as far as a mapped profile.
emails = st.one_of(*[short_emails] * 6, st.none(), words, built_emails)
plain_names = st.from_regex(r"[A-Z][a-zé]{0,12}( [A-Z][a-z]{1,12})?", fullmatch=True)
names = st.one_of(plain_names, plain_names, st.none(), words, st.text(min_size=45, max_size=60))
source_users = st.builds(
    SourceUser,
    source=st.just("apac"),
    user_id=st.text(min_size=1, max_size=20),
    email=emails,
    email_verified=st.booleans(),
    name=names | emails,
    given_name=names,
    family_name=names,
    nickname=st.none() | words,
    user_metadata=metadata,
    app_metadata=metadata,
    blocked=st.booleans(),
)
RULES: dict[str, MappingRule] = {
    **DEFAULTS,
    "nickName": ["user_metadata.nick|lower", "nickname|first_word", "app_metadata.a.b"],
    "organization": FixedValue(value="Partner Network"),
}


def is_clean(value: str) -> bool:
    return (
        value == value.strip()
        and "  " not in value
        and value == unicodedata.normalize("NFC", value)
        and not any(
            unicodedata.category(ch) in ("Cc", "Cf", "Cs") or (ch.isspace() and ch != " ")
            for ch in value
        )
    )


def is_okta_email(value: str) -> bool:
    local, at, domain = value.partition("@")
    return (
        at == "@"
        and "@" not in domain
        and bool(local)
        and all(domain.split("."))
        and "." in domain
        and not any(ch.isspace() for ch in value)
        and 5 <= len(value) <= 100
        and domain == domain.lower()
    )


@settings(max_examples=300, deadline=None)
@given(source_users)
def test_map_user_is_total_deterministic_and_clean(source: SourceUser) -> None:
    first = map_user(source, RULES)
    assert first == map_user(source, RULES)
    if isinstance(first, Unmappable):
        assert first.reason and first.attribute in RULES
        return
    assert all(is_clean(v) and v for v in first.profile.values())
    assert is_okta_email(first.profile["login"])
    assert is_okta_email(first.profile["email"])
    assert first.profile["organization"] == "Partner Network"
    assert all(1 <= len(first.profile[k]) <= 50 for k in ("firstName", "lastName"))


@settings(max_examples=200, deadline=None)
@given(source_users, metadata)
def test_user_metadata_never_changes_login_or_email_under_defaults(
    source: SourceUser, other: Mapping[str, Any]
) -> None:
    a = map_user(source, DEFAULTS)
    b = map_user(
        SourceUser(**{**source.as_dict(), "source": "apac", "user_metadata": other}), DEFAULTS
    )
    if isinstance(a, MappedProfile) and isinstance(b, MappedProfile):
        assert (a.profile["login"], a.profile["email"]) == (b.profile["login"], b.profile["email"])


def usable_text(value: Any) -> str | None:
    """An oracle for "usable", written apart from the module: scalars that are not blank."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str):
        visible = [
            ch
            for ch in value
            if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
        ]
        return clean_text(value) if visible else None
    return None


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, min_size=3, max_size=3))
def test_first_usable_path_wins(values: list[Any]) -> None:
    keys = ["k0", "k1", "k2"]
    rules: dict[str, MappingRule] = {
        "login": ["email"],
        "email": ["email"],
        "firstName": ["given_name"],
        "lastName": ["family_name"],
        "displayName": [f"user_metadata.{k}" for k in keys],
    }
    source = user(
        given_name="Ann", family_name="Lee", user_metadata=dict(zip(keys, values, strict=True))
    )
    result = mapped(map_user(source, rules))
    expected = next((t for v in values if (t := usable_text(v)) is not None), None)
    assert result.profile.get("displayName") == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_clean_text_is_idempotent_and_clean(text: str) -> None:
    once = clean_text(text)
    assert is_clean(once)
    assert clean_text(once) == once


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet=st.characters(min_codepoint=0x41, max_codepoint=0x7A), min_size=1, max_size=30)
)
def test_fixed_values_are_always_applied(value: str) -> None:
    rules: dict[str, MappingRule] = {**DEFAULTS, "department": FixedValue(value=value)}
    result = mapped(map_user(user(given_name="Ann", family_name="Lee"), rules))
    assert result.profile["department"] == value


def test_rules_digest_follows_the_rules_and_their_order() -> None:
    base = {"login": ["email"], "firstName": ["given_name"], "lastName": ["family_name"]}
    same = {k: list(v) for k, v in base.items()}
    reordered = dict(reversed(list(base.items())))
    assert rules_digest(base) == rules_digest(same)
    # The first attribute that cannot be mapped names the reason: order is part of the rules.
    assert rules_digest(base) != rules_digest(reordered)
    assert rules_digest(base) != rules_digest({**base, "firstName": ["given_name|upper"]})
    assert rules_digest(base) != rules_digest({**base, "firstName": FixedValue(value="given_name")})


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)
def test_plain_ascii_maps_alike_with_and_without_a_transform(given_name: str, local: str) -> None:
    """Plain ASCII without a transform takes a shortcut; a no-op ``trim`` takes the general
    path. Both must give the same profile or the same reason."""
    user = SourceUser(
        source="apac",
        user_id="auth0|1",
        email=f"{local}@partner.example",
        email_verified=True,
        given_name=given_name,
        family_name="Lee",
    )
    plain = {"login": ["email"], "email": ["email"], "firstName": ["given_name"]}
    trimmed = {"login": ["email|trim"], "email": ["email|trim"], "firstName": ["given_name|trim"]}
    rules = {**DEFAULT_MAPPING}
    assert map_user(user, {**rules, **plain}) == map_user(user, {**rules, **trimmed})
