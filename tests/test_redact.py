"""spokesync.redact: registered secrets and credential-shaped text never survive."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from spokesync.redact import (
    MASK,
    MIN_SECRET_LENGTH,
    clear_secrets,
    redact,
    redact_event,
    register_secret,
)

SECRET = "s3cr3t-Value_0123456789"


@pytest.fixture(autouse=True)
def empty_registry() -> Iterator[None]:
    clear_secrets()
    yield
    clear_secrets()


def test_registered_secret_is_masked_everywhere() -> None:
    register_secret(SECRET)
    text = f"start {SECRET} middle {SECRET}end"
    assert redact(text) == f"start {MASK} middle {MASK}end"


def test_forms_a_secret_takes_in_json_urls_and_forms_are_masked() -> None:
    secret = 'p@ss "word"/+&=ü'
    register_secret(secret)
    for carrier in (
        json.dumps({"value": secret}),
        json.dumps({"value": secret}, ensure_ascii=False),
        urlencode({"value": secret}),
        f"https://example.test/?v={secret}",
    ):
        assert secret not in redact(carrier)
        assert json.dumps(secret)[1:-1] not in redact(carrier)
        assert "ss%20%22word" not in redact(carrier)
        assert "ss+%22word" not in redact(carrier)


def test_short_values_are_not_registered() -> None:
    # Under 6 characters a "secret" would mask ordinary words ("admin", "12345").
    register_secret("admin")
    register_secret("")
    register_secret(None)
    assert redact("admin logged in") == "admin logged in"
    assert MIN_SECRET_LENGTH == 6


def test_longer_secret_containing_a_shorter_one_is_masked_whole() -> None:
    register_secret("abcdef")
    register_secret("abcdefghij")
    assert redact("x abcdefghij y") == f"x {MASK} y"


def test_clear_forgets() -> None:
    register_secret(SECRET)
    clear_secrets()
    assert redact(SECRET) == SECRET


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: SSWS 00abcDEF-ghi_jkl", f"Authorization: {MASK}"),
        ("authorization=Bearer eyJ.abc.def", f"authorization={MASK}"),
        (
            "{'Authorization': 'Basic dXNlcjpwYXNz', 'Accept': 'x'}",
            f"{{'Authorization': '{MASK}', 'Accept': 'x'}}",
        ),
        ('{"authorization": "SSWS tok123456"}', f'{{"authorization": "{MASK}"}}'),
        ("sent SSWS 00abcDEF-ghi_jkl to okta", f"sent SSWS {MASK} to okta"),
        ("header Bearer eyJhbGciOi.eyJzdWIi.c2ln== ok", f"header Bearer {MASK} ok"),
        (
            "grant_type=client_credentials&client_id=c1&client_secret=abc%2Fdef&audience=x",
            f"grant_type=client_credentials&client_id=c1&client_secret={MASK}&audience=x",
        ),
        (
            '{"client_secret": "ab\\"cd", "client_id": "c1"}',
            f'{{"client_secret": "{MASK}", "client_id": "c1"}}',
        ),
        ("{'client_secret': 'abc', 'x': 1}", f"{{'client_secret': '{MASK}', 'x': 1}}"),
        (
            '{"access_token":"eyJ.x.y","token_type":"Bearer"}',
            f'{{"access_token":"{MASK}","token_type":"Bearer"}}',
        ),
        ("token='00abc' next_token=keep", f"token='{MASK}' next_token=keep"),
        (
            "key -----BEGIN PRIVATE KEY-----\nMIIE\nabc\n-----END PRIVATE KEY----- done",
            f"key {MASK} done",
        ),
        ("nothing secret here: 10% of 25 users", "nothing secret here: 10% of 25 users"),
        ("display name Token Bearer Jones", "display name Token Bearer Jones"),
    ],
)
def test_credential_shapes_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_structlog_processor_redacts_nested_values() -> None:
    register_secret(SECRET)

    class Carrier:
        def __repr__(self) -> str:
            return f"Carrier(secret={SECRET!r})"

    event: dict[str, Any] = {
        "event": f"token is {SECRET}",
        "nested": {"list": [SECRET, ("a", SECRET)], "n": 3, "ok": True, "none": None},
        "headers": {"Authorization": "SSWS abcdefgh"},
        "raw": SECRET.encode(),
        "obj": Carrier(),
        "exc_info": True,
        "client_secret": "short",
        "token_count": 3,
    }
    out = redact_event(None, "info", event)
    rendered = json.dumps(out, default=str)
    assert SECRET not in rendered
    assert "abcdefgh" not in rendered
    assert out["nested"]["n"] == 3 and out["nested"]["ok"] is True and out["nested"]["none"] is None
    assert out["nested"]["list"][1] == ("a", MASK)
    assert out["exc_info"] is True  # left for format_exc_info
    assert out["client_secret"] == MASK  # by its name, however short
    assert out["token_count"] == 3
    assert out["headers"] == {"Authorization": MASK}


def test_processor_in_a_structlog_chain() -> None:
    register_secret(SECRET)
    captured: list[str] = []
    logger = structlog.wrap_logger(
        structlog.PrintLogger(),
        processors=[
            structlog.processors.format_exc_info,
            redact_event,
            lambda _l, _m, ev: captured.append(json.dumps(ev)) or "",
        ],
    )
    try:
        raise RuntimeError(f"failed with {SECRET}")
    except RuntimeError:
        logger.exception("boom", secret=SECRET)
    assert captured and SECRET not in captured[0]
    assert "RuntimeError" in captured[0]


# The mask itself must not be able to spell the secret: no brackets, not part of "[REDACTED]".
secrets = st.text(min_size=MIN_SECRET_LENGTH, max_size=40).filter(
    lambda s: "[" not in s and "]" not in s and s.strip() == s and s not in MASK
)


@settings(max_examples=300, deadline=None)
@given(secrets, st.text(max_size=60), st.text(max_size=60))
def test_registered_secret_never_survives(secret: str, before: str, after: str) -> None:
    clear_secrets()
    register_secret(secret)
    out = redact(before + secret + after)
    assert secret not in out
    assert json.dumps(secret)[1:-1] not in redact(json.dumps({"k": before + secret + after}))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_redact_without_secrets_keeps_plain_text(text: str) -> None:
    # Text with no credential-shaped key or scheme word comes back unchanged.
    lowered = text.lower()
    words = (
        "authorization",
        "ssws",
        "bearer",
        "token",
        "secret",
        "password",
        "private",
        "assertion",
    )
    if not any(w in lowered for w in words):
        assert redact(text) == text
