"""Group name templates and organization selection (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spokesync.auth0.organizations import Organization
from spokesync.organizations.selection import selected, selects
from spokesync.organizations.template import (
    TemplateError,
    is_template,
    name_problem,
    render,
    template_fields,
)

ACME = {"id": "org_1", "name": "acme", "display_name": "Acme Corp"}


def test_fields_and_rendering() -> None:
    text = "Partner {organization.display_name} ({organization.name}, {organization.id})"
    assert template_fields(text) == ("display_name", "name", "id")
    assert render(text, ACME) == "Partner Acme Corp (acme, org_1)"
    assert render("{{literal}} {organization.name}", ACME) == "{literal} acme"
    assert is_template(text) and not is_template("Acme Partners")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Partner {organization.displayname}", "not a template field"),
        ("Partner {display_name}", "not a template field"),
        ("Partner {organization.name", "unbalanced"),
        ("Partner organization.name}", "unbalanced"),
    ],
)
def test_bad_templates_say_what_to_write(text: str, says: str) -> None:
    with pytest.raises(TemplateError, match=says):
        template_fields(text)


def test_names_from_the_tenant_are_cleaned_and_checked() -> None:
    hostile = {"display_name": "Evil\u200b\x07 Corp\n\n"}
    assert render("Partner {organization.display_name}", hostile) == "Partner Evil Corp"
    assert name_problem(render("{organization.display_name}", {"display_name": " "}))
    assert name_problem("x" * 256) and name_problem("x" * 255) is None


@given(st.text())
def test_rendering_never_raises_and_gives_clean_text(display_name: str) -> None:
    name = render("P {organization.display_name}", {"display_name": display_name})
    assert name == name.strip() and "\n" not in name


def test_selection_by_star_glob_and_list() -> None:
    orgs = [Organization(f"org_{n}", n) for n in ("zeta", "acme", "partner-b", "partner-a")]
    assert [o.name for o in selected("*", orgs)] == ["acme", "partner-a", "partner-b", "zeta"]
    assert [o.name for o in selected("partner-*", orgs)] == ["partner-a", "partner-b"]
    assert [o.name for o in selected(["zeta", "acme"], orgs)] == ["acme", "zeta"]
    assert not selects("Partner-*", "partner-a")  # names are matched case-sensitively
