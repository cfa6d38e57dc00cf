"""Whether Okta's profile schema can hold what ``[mapping]`` writes: the targets it does not
define, or defines with another type than text (every mapped value is a string).

Okta refuses a create or update that sets such an attribute (400 E0000001), one user at a
time; checked here once, ``config check`` names each target and a run leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from spokesync.okta.schema import ProfileSchema, custom_targets

#: the type of every value the mapping produces (paths give text, fixed values are strings)
MAPPED_TYPE = "string"


@dataclass(frozen=True, slots=True)
class TargetProblem:
    """A mapping target the schemas of ``where`` (labels such as ``the default user type``)
    lack (``okta_type`` None) or type otherwise (``okta_type``, e.g. ``integer``)."""

    attribute: str
    where: tuple[str, ...]
    okta_type: str | None = None

    @property
    def key(self) -> str:
        return f"mapping.{self.attribute}"

    def _what(self) -> str:
        where = " and ".join(self.where)
        if self.okta_type is None:
            return f"Okta's user profile ({where}) does not define {self.attribute}"
        return (
            f"{self.attribute} is {self.okta_type} in Okta's user profile ({where}), "
            "but the mapping gives text"
        )

    def _fix(self) -> str:
        if self.okta_type is None:
            return (
                f"add it in Okta (Directory > Profile Editor > the user type > Add attribute, "
                f"data type string, variable name {self.attribute}) or remove {self.key}"
            )
        return f"map it onto a string attribute or remove {self.key}"

    def check_line(self) -> str:
        """The ``config check`` line: what is wrong and what to do."""
        return f"{self.key}: {self._what()}; {self._fix()}"

    def notice(self) -> str:
        """The run's notice: what it does instead of failing every user."""
        return (
            f"{self.key}: {self._what()}, so Okta would refuse every create and update that "
            f"sets it: left out of this run's creates and updates; {self._fix()}"
        )


def target_problems(
    attributes: list[str], schemas: Mapping[str, ProfileSchema]
) -> list[TargetProblem]:
    """The problems of the mapping targets ``attributes`` with the ``schemas`` in use (label ->
    schema), in the targets' order; one per target, naming every schema concerned."""
    problems: list[TargetProblem] = []
    for attribute in custom_targets(attributes):
        missing = tuple(label for label, s in schemas.items() if s.type_of(attribute) is None)
        if missing:
            problems.append(TargetProblem(attribute, missing))
            continue
        typed = {
            label: kind
            for label, s in schemas.items()
            if (kind := s.type_of(attribute)) not in (None, MAPPED_TYPE)
        }
        if typed:
            kinds = sorted(set(typed.values()))
            problems.append(TargetProblem(attribute, tuple(typed), " or ".join(kinds)))
    return problems
