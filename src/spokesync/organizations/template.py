"""Group name templates: ``"Partner {organization.display_name}"`` (pure).

A template names fields of the organization between braces; ``{{`` and ``}}`` stand for
literal braces. The fields are checked when the config loads, so a typo fails there and not
halfway through a run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from spokesync.mapping import clean_text

#: the organization fields a template may use
TEMPLATE_FIELDS = ("id", "name", "display_name")
#: Okta's limit for a group name (``GroupProfile.name``, management spec: maxLength 255)
GROUP_NAME_MAX = 255
_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateError(ValueError):
    """The template cannot be used; the message says what to write instead."""


def is_template(text: str) -> bool:
    """Whether ``text`` holds a ``{field}`` (a plain group name holds no brace)."""
    return "{" in text or "}" in text


def template_fields(text: str) -> tuple[str, ...]:
    """The organization fields ``text`` uses, in order; :class:`TemplateError` when one is
    not a field or a brace is unbalanced."""
    found: list[str] = []
    for match in _PART.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            raise TemplateError(
                f"has an unbalanced {token!r} in {text!r}; write {token * 2} for a literal brace"
            )
        name = match.group(1).strip()
        prefix, _, field = name.partition(".")
        if prefix != "organization" or field not in TEMPLATE_FIELDS:
            known = ", ".join("{organization." + f + "}" for f in TEMPLATE_FIELDS)
            raise TemplateError(f"uses {{{name}}}, which is not a template field (known: {known})")
        found.append(field)
    return tuple(found)


def render(text: str, organization: Mapping[str, str]) -> str:
    """The group name for one organization: fields substituted, cleaned of control and
    invisible characters (organization names come from the tenant, attacker-controlled)."""

    def part(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        field = match.group(1).strip().partition(".")[2]
        return clean_text(str(organization.get(field) or ""))

    return clean_text(_PART.sub(part, text))


def name_problem(name: str) -> str | None:
    """Why Okta would refuse ``name`` as a group name, or None."""
    if not name:
        return "the group name would be empty"
    if len(name) > GROUP_NAME_MAX:
        return f"the group name would be {len(name)} characters, over Okta's {GROUP_NAME_MAX}"
    return None
