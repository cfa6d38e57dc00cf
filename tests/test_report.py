"""The plan a person reads (``plan`` / ``sync`` text) end to end through the CLI: people per
situation, a table per bound group, one line per identity with its actions by group name,
profile changes as ``field: old → new``, and the same ``--limit`` cut in every section."""

from __future__ import annotations

import re
from collections.abc import Callable

from spokesync.report import short_run_id
from tests.world_kit import GROUP, GROUP_NAME, World, auth0_user, okta_user, seed

WorldFactory = Callable[..., World]
GUARD_OFF = '[policy]\nmax_deprovision = "100%"\n'


def _section(text: str, name: str) -> list[str]:
    """The lines of section ``name`` of a plan's text (its header first)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name} ("))
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    return lines[start:end]


def _changed_world(world_factory: WorldFactory) -> World:
    """Twelve members synced (created PROVISIONED: activation by email), then in Auth0: two
    renamed, one blocked (deactivated: Okta suspends only ACTIVE users), three left the role,
    four joined."""
    users = [auth0_user(n) for n in range(1, 13)] + [auth0_user(n, roles=()) for n in (20, 21)]
    users += [auth0_user(n, roles=()) for n in (22, 23)]
    world = world_factory(seed(users))
    world.write_config(extra=GUARD_OFF)
    world.sync()
    admin = world.auth0()
    admin.patch("auth0|u00001", {"family_name": "Lee"})
    admin.patch("auth0|u00002", {"family_name": "X" * 45})
    admin.patch("auth0|u00003", {"blocked": True})
    for n in (4, 5, 6):
        admin.unassign(f"auth0|u{n:05d}")
    for n in (20, 21, 22, 23):
        admin.assign(f"auth0|u{n:05d}")
    return world


def test_the_plan_counts_people_per_group_and_section_and_names_groups(
    world_factory: WorldFactory,
) -> None:
    world = _changed_world(world_factory)
    result = world.cli("plan", "--all")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    head = text.splitlines()[0]
    assert re.fullmatch(r"plan \S+: 10 people with changes, \d+ actions planned", head), head
    # per group: people added (new users among them), removed, updated, suspended
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if line.strip().startswith(GROUP_NAME))
    assert lines[row].split()[2:] == ["+4", "−3", "4", "~2", "1"], lines[row]
    assert lines[row + 1].strip() == GROUP  # the id below the name
    header = lines[row - 2].split()
    assert header == ["group", "(id)", "+added", "−removed", "new", "~updated", "deactivated"]
    assert max(len(line) for line in lines[row - 2 : row + 2]) <= 80
    unmatched = _section(text, "unmatched")
    assert unmatched[0] == "unmatched (4 people)"
    assert all(f"+{GROUP_NAME}" in line and GROUP not in line for line in unmatched[1:])
    linked = _section(text, "linked")
    assert linked[0] == "linked (2 people)"
    line1 = next(line for line in linked if "auth0|u00001" in line)
    assert line1.split("  ")[-1] == "update lastName: Partner → Lee"
    line2 = next(line for line in linked if "auth0|u00002" in line)
    assert line2.endswith("update lastName: Partner → " + "X" * 39 + "…")  # cut at 40
    gone = _section(text, "gone")
    assert gone[0] == "gone (4 people)"
    assert gone[1].split() == ["partners:auth0|u00003", "deactivate"]
    assert all(line.endswith(f"−{GROUP_NAME}") for line in gone[2:])


def test_limit_cuts_every_section_alike_and_json_keeps_everything(
    world_factory: WorldFactory,
) -> None:
    world = _changed_world(world_factory)
    limited = world.cli("plan", "--limit", "2").stdout
    for name, people in (("unmatched", 4), ("gone", 4)):
        section = _section(limited, name)
        assert len(section) == 1 + 2 + 1, section
        assert section[-1].startswith(f"  … and {people - 2} more (--limit N or --all")
    assert len(_section(limited, "linked")) == 1 + 2
    default = world.cli("plan").stdout
    assert "… and" not in default  # 4 people at most per section: all shown by default
    counts = world.cli("plan", "--limit", "0").stdout
    assert _section(counts, "unmatched") == ["unmatched (4 people)"]
    planned = world.plan()
    assert {"actions", "summary"} <= set(planned)
    assert all({"action", "identity", "situation", "reason"} <= set(a) for a in planned["actions"])
    assert len({a["identity"] for a in planned["actions"]}) == 10
    synced = world.cli("sync", "--limit", "2")
    assert synced.exit_code == 0
    assert re.match(r"sync \S+: 10 people with changes", synced.stdout)
    assert _section(synced.stdout, "gone")[-1].startswith("  … and 2 more")


def test_an_unlinked_user_shows_the_link_and_the_fields_okta_will_change(
    world_factory: WorldFactory,
) -> None:
    existing = okta_user("00uExisting000000001", "user1@partner.example")
    world = world_factory(seed([auth0_user(1)], [existing]))
    text = world.cli("plan").stdout
    line = _section(text, "unlinked")[1]
    assert "link to 00uExisting000000001" in line
    assert "firstName: Existing → User1" in line and "lastName: Person → Partner" in line
    assert f"+{GROUP_NAME}" in line


def test_short_run_ids_keep_the_random_tail() -> None:
    assert short_run_id("20261127T041500Z-3f9a1c") == "3f9a1c"
    assert short_run_id("custom-id") == "custom-id"
