"""Saved plans: ``plan --out FILE`` then ``sync --plan FILE`` applies exactly the reviewed plan,
and refuses (exit 3, saying what changed) when Auth0 or the config changed since; the store
keeps the plan of a run the guard refused, and the engine applies it for an approver."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest

from spokesync import config as config_module
from spokesync import saved_plan
from spokesync.engine import Engine
from spokesync.store import open_store
from tests.world_kit import CLIENT_SECRET, GROUP, OKTA_TOKEN, World, auth0_user, okta_user, seed

WorldFactory = Callable[..., World]


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("spokesync:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_saved_plan_is_applied_end_to_end(world_factory: WorldFactory, tmp_path: Path) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 4)]))
    path = tmp_path / "plan.json"
    planned = world.cli("plan", "--json", "--out", str(path))
    assert planned.exit_code == 0, planned.stderr
    assert world.okta().users() == []  # planning changed nothing
    data = json.loads(path.read_text())
    assert data["kind"] == "spokesync-plan" and data["format"] == 1
    assert data["run_id"] == planned.json()["run_id"]
    assert data["actions"] == planned.json()["actions"]  # as plan --json lists them
    assert len(data["fingerprint"]) == 64 and len(data["config_hash"]) == 64
    # No secret, nor anything derived from one only, is in the file.
    text = path.read_text()
    assert CLIENT_SECRET not in text and OKTA_TOKEN not in text
    assert not any("secret" in key or "token" in key for key in data["config_keys"])

    applied = world.sync("--plan", str(path))
    assert applied["summary"]["outcome"] == "succeeded"
    assert applied["summary"]["saved_plan"] == data["run_id"]
    assert applied["summary"]["created"] == 3
    members = world.okta().members()
    assert sorted(members) == [f"user{n}@partner.example" for n in range(1, 4)]


def test_saved_plan_is_refused_after_one_auth0_change(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    world = world_factory(seed([auth0_user(n) for n in range(1, 4)]))
    path = tmp_path / "plan.json"
    assert world.cli("plan", "--out", str(path)).exit_code == 0
    world.auth0().unassign("auth0|u00002")  # one change in Auth0 since the plan

    refused = world.cli("sync", "--plan", str(path))
    assert refused.exit_code == 3, (refused.stdout, refused.stderr)
    assert "partners:auth0|u00002" in refused.stdout  # the identity whose actions changed
    assert "- partners:auth0|u00002: create_user" in refused.stdout
    assert "the plan changed since it was saved" in _one_error_line(refused.stderr)
    assert world.okta().users() == []  # nothing was applied

    as_json = world.cli("sync", "--json", "--plan", str(path))
    assert as_json.exit_code == 3
    difference = as_json.json()["difference"]
    [changed] = difference["identities"]
    assert changed["identity"] == "partners:auth0|u00002" and changed["added"] == []
    [removed] = changed["removed"]
    assert (
        removed.startswith(f"create_user groups {GROUP} (") and "user2@partner.example" in removed
    )
    assert as_json.json()["summary"]["outcome"] == "refused"


def test_saved_plan_is_refused_after_a_config_change(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    path = tmp_path / "plan.json"
    world.write_config()
    assert world.cli("plan", "--out", str(path)).exit_code == 0
    world.write_config(extra="[policy]\nallow_unverified_email = true\n")

    refused = world.cli("sync", "--plan", str(path))
    assert refused.exit_code == 3
    line = _one_error_line(refused.stderr)
    assert "the config changed" in line and "policy.allow_unverified_email" in line
    assert world.okta().users() == []


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"not json at all", "is not JSON"),
        (b'{"kind": "something else"}', "is not a spokesync plan"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_unusable_plan_files_are_one_line_and_exit_2(
    world_factory: WorldFactory, tmp_path: Path, content: bytes, needle: str
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    result = world.cli("sync", "--plan", str(path))
    assert result.exit_code == 2
    assert needle in _one_error_line(result.stderr)
    missing = world.cli("sync", "--plan", str(tmp_path / "nowhere.json"))
    assert missing.exit_code == 2 and "cannot read the plan" in _one_error_line(missing.stderr)


def test_an_edited_plan_file_is_refused(world_factory: WorldFactory, tmp_path: Path) -> None:
    world = world_factory(seed([auth0_user(1)], [okta_user("00uX1", "x@hub.example")]))
    path = tmp_path / "plan.json"
    assert world.cli("plan", "--out", str(path)).exit_code == 0
    data = json.loads(path.read_text())
    data["actions"].append({"action": "delete", "identity": "partners:auth0|victim"})
    path.write_text(json.dumps(data))
    result = world.cli("sync", "--plan", str(path))
    assert result.exit_code == 2
    assert "was changed after it was written" in _one_error_line(result.stderr)
    data["format"] = 99
    path.write_text(json.dumps(data))
    assert "plan format 99" in _one_error_line(world.cli("sync", "--plan", str(path)).stderr)
    assert world.okta().user("user1@partner.example") is None


def test_unwritable_out_file_is_one_line_and_exit_2(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    result = world.cli("plan", "--out", str(tmp_path / "no" / "such" / "dir.json"))
    assert result.exit_code == 2
    assert "cannot write the plan" in _one_error_line(result.stderr)


def _removal_world(world_factory: WorldFactory) -> World:
    """Ten members synced, then nine leave the role: the guard refuses at the defaults."""
    world = world_factory(seed([auth0_user(n) for n in range(1, 11)]))
    world.sync()
    admin = world.auth0()
    for n in range(2, 11):
        admin.unassign(f"auth0|u{n:05d}")
    return world


def test_refused_run_keeps_its_plan_and_an_approval_applies_it(
    world_factory: WorldFactory,
) -> None:
    world = _removal_world(world_factory)
    refused = world.sync(expect=3)
    run_id = refused["run_id"]
    with open_store(world.state_url) as store:
        kept = saved_plan.from_store(store, run_id)
        assert kept is not None and kept.run_id == run_id
        assert kept.guard is not None and "deprovisioning guard" in kept.guard
        assert sorted(a["identity"] for a in kept.actions) == [
            f"partners:auth0|u{n:05d}" for n in range(2, 11)
        ]
        assert saved_plan.from_store(store, "no-such-run") is None

    with mock.patch.dict(os.environ, world.env):
        cfg = config_module.load(world.config_path)
    with open_store(world.state_url) as store:
        # Not approved for the guard: still refused, nothing applied.
        held = asyncio.run(Engine(cfg, store).apply_saved_plan(kept, guard_approved=False))
        assert held.exit_code == 3 and held.difference is None
        approved = asyncio.run(Engine(cfg, store).apply_saved_plan(kept))
    assert approved.exit_code == 0, approved.error
    assert approved.summary["removed_from_group"] == 9
    assert sorted(world.okta().members()) == ["user1@partner.example"]


def test_an_approval_of_a_stale_plan_applies_nothing(world_factory: WorldFactory) -> None:
    world = _removal_world(world_factory)
    run_id = world.sync(expect=3)["run_id"]
    world.auth0().assign("auth0|u00005")  # back in the role since the refusal
    with mock.patch.dict(os.environ, world.env):
        cfg = config_module.load(world.config_path)
    with open_store(world.state_url) as store:
        kept = saved_plan.from_store(store, run_id)
        assert kept is not None
        result = asyncio.run(Engine(cfg, store).apply_saved_plan(kept))
    assert result.exit_code == 3 and result.difference is not None
    assert [c.identity for c in result.difference.removed] == ["partners:auth0|u00005"]
    assert result.difference.added == ()
    assert len(world.okta().members()) == 10  # nothing applied
