"""Inert output: hostile Auth0 data reaches no terminal, log or JSON reader as controls.

The end-to-end test drives ``plan``, ``sync``, ``status`` and ``audit`` (text and ``--json``)
through the CLI against the emulators, with hypothesis choosing every Auth0 field (user_id,
email, names, metadata keys and values, the role's name) and the Okta group's and an existing
Okta user's names, and asserts that no control, bidi or other non-printing character reaches
stdout or stderr raw, that brackets in data are not eaten as markup, and that the JSON still
parses to the data it carries.
"""

from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import structlog
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from spokesync import inert, logs
from tests.world_kit import GROUP, ROLE, auth0_user, make_world, okta_user, seed

# What the forged plans used: clear screen, erase line above, OSC 8 hyperlink,
# OSC 52 (clipboard), C1 CSI, bidi override and isolates, line breaks, markup-looking text.
FRAGMENTS = [
    "\x1b[2J",
    "\x1b[1A\x1b[2K",
    "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "\x1b]52;c;aGVsbG8=\x07",
    "\x9b31m",
    "\x7f",
    "\x00",
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\U000e0001",
    "\ue000",
    "\n",
    "\r",
    "\t",
    "[bold red]ok[/bold red]",
    "[invalid_scope]",
    "Zoë",
    "王",
    "a",
    " ",
]
hostile = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=4),
    ),
    min_size=1,
    max_size=5,
).map("".join)


def raw_non_printing(text: str) -> list[str]:
    """The characters of output ``text`` a terminal would interpret (line breaks excepted)."""
    return sorted(
        {c for c in text if c != "\n" and not (c.isprintable() or unicodedata.category(c) == "Zs")}
    )


def test_escape_shows_every_non_printing_character() -> None:
    text = "a\x1b[2Jb\u202ec\nd\x9b\x7f\t\u2066e\U000e0001\ue000Zoë\u00a0王"
    shown = inert.escape(text)
    assert shown == ("a\\x1b[2Jb\\u202ec\\nd\\x9b\\x7f\\t\\u2066e\\U000e0001\\ue000Zoë\u00a0王")
    assert raw_non_printing(shown) == []
    assert inert.escape("plain Zoë") == "plain Zoë"


def test_json_text_escapes_non_printing_and_keeps_printable_unicode() -> None:
    data = {"k\u202e": "a\x1b\x9b\x7f\u2028Zoë\ud800\U0010ffff", "n": [1, None]}
    text = inert.json_text(data)
    assert raw_non_printing(text) == []
    assert "Zoë" in text and "\\u202e" in text and "\\u009b" in text
    assert json.loads(text) == data


def test_short_says_none_and_cuts_escaped_text() -> None:
    assert inert.short(None, 10) == inert.short("", 10) == "(none)"
    assert inert.short("Zoë", 10) == "Zoë"
    assert inert.short("a\x1bb" * 3, 10) == "a\\x1bba\\x…"  # escaped first, then cut
    assert len(inert.short("x" * 50, 10)) == 10


def test_cell_is_never_markup() -> None:
    from rich.console import Console

    console = Console(width=200, record=True, force_terminal=False)
    console.print(inert.cell("-> 400 [invalid_scope] [bold]x[/bold] \x1b[2J"))
    assert console.export_text().rstrip("\n") == "-> 400 [invalid_scope] [bold]x[/bold] \\x1b[2J"


def test_console_log_lines_are_inert(capsys: Any) -> None:
    logs.configure(json_lines=False, level="INFO")
    structlog.get_logger("t").warning("forged\x1b[2J", user="auth0|\u202e\nx")
    logs.configure(json_lines=True, level="INFO")
    structlog.get_logger("t").warning("forged\x1b[2J", user="auth0|\u202e\nx")
    err = capsys.readouterr().err
    assert raw_non_printing(err) == []
    lines = err.splitlines()
    assert len(lines) == 2, lines
    assert json.loads(lines[1])["user"] == "auth0|\u202e\nx"


def test_warn_once_says_a_warning_once(capsys: Any) -> None:
    logs.configure(json_lines=True, level="INFO")
    log = structlog.get_logger("t")
    for _ in range(3):
        logs.warn_once(log, "plain http to loopback", target="okta")
    logs.warn_once(log, "plain http to loopback", target="source a")
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [e["target"] for e in events] == ["okta", "source a"]


def _world_document(fields: dict[str, str], role_name: str, group_name: str) -> dict[str, Any]:
    user_id = "auth0|" + fields["user_id"]
    email = fields["email"] + "@partner.example"
    hostile_user = auth0_user(
        1,
        user_id=user_id,
        email=email,
        name=fields["name"],
        given_name=fields["given"],
        family_name=fields["family"],
        user_metadata={fields["meta_key"]: fields["meta_value"], "firstName": fields["name"]},
        app_metadata={"team": fields["meta_value"]},
    )
    # A second user whose Auth0 email an Okta user already has: linked, and its Okta names
    # (hostile too) are shown as "field: old → new".
    other = auth0_user(2, family_name=fields["family"])
    existing = okta_user("00uExisting000000001", other["email"])
    existing["profile"]["firstName"] = fields["okta_name"]
    document = seed(
        [hostile_user, other],
        [existing],
        roles=[{"id": ROLE, "name": "R" + role_name}],
        groups=[{"id": GROUP, "name": "G" + group_name}],
        client_scopes=(
            "read:users",
            "read:roles",
            "update:users",
            "read:organizations",
            "read:organization_members",
        ),
    )
    # An organization of the tenant, its display name and metadata hostile too: they reach the
    # plan, a group name made from a template, a mapped attribute and config check.
    document["auth0"]["organizations"] = [
        {
            "id": "org_Hostile000000001",
            "name": "hostile",
            "display_name": "O" + fields["org_display"],
            "metadata": {"tier": fields["meta_value"][:255]},
            "members": [{"user_id": user_id, "roles": []}],
        }
    ]
    return document


@settings(
    max_examples=6,
    # No shrinking: a failing example is reported as found (shrinking restarts worlds for
    # minutes); the assertion names the command and the output.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    fields=st.fixed_dictionaries(
        {
            name: hostile
            for name in (
                "user_id",
                "email",
                "name",
                "given",
                "family",
                "meta_key",
                "meta_value",
                "okta_name",
                "org_display",
            )
        }
    ),
    role_name=hostile,
    group_name=hostile,
)
def test_hostile_auth0_fields_reach_no_output_raw(
    fields: dict[str, str], role_name: str, group_name: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(Path(tmp), _world_document(fields, role_name, group_name))
        try:
            # Bound by id: the role's and the group's names are the hostile ones.
            world.write_config(
                bindings=f'[[bindings]]\nsource = "partners"\nrole = "{ROLE}"\ngroup = "{GROUP}"\n'
                '[[bindings]]\nsource = "partners"\norganizations = "*"\n'
                'group = "P {organization.display_name}"\n',
                extra='[mapping]\ntitle = ["organization.metadata.tier"]\n',
            )
            outputs = []
            for args in (
                ("plan", "--all"),
                ("plan", "--json"),
                ("sync", "--all"),
                ("status",),
                ("status", "--json"),
                ("audit",),
                ("audit", "--json"),
                ("config", "check"),
            ):
                result = world.cli(*args)
                assert result.exit_code in (0, 1), (args, result.stdout, result.stderr)
                for stream in (result.stdout, result.stderr):
                    assert raw_non_printing(stream) == [], (args, stream)
                    assert "Traceback" not in stream
                if "--json" in args:
                    json.loads(result.stdout)
                outputs.append(result)
            plan_text = outputs[0].stdout
            key = inert.escape("partners:auth0|" + fields["user_id"])
            # One identity, one line: its key (escaped, maybe cut at 80 columns) starts a line.
            assert any(line.strip().startswith(key[:30]) for line in plan_text.splitlines()), (
                key,
                plan_text,
            )
            planned = outputs[1].json()
            # The organization was read: its group is created, or reported (a name Okta would
            # refuse once cleaned).
            org_key = "partners:org_Hostile000000001"
            assert org_key in {a["identity"] for a in planned["actions"]} | {
                n["identity"] for n in planned["notices"]
            }, planned
            assert "partners:auth0|" + fields["user_id"] in {
                a["identity"] for a in planned["actions"]
            } | {n["identity"] for n in planned["notices"]}
            if "[invalid_scope]" in group_name and len(inert.escape(group_name)) < 20:
                assert "[invalid_scope]" in plan_text
        finally:
            world.emulators.stop()
