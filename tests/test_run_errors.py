"""Errors that stop a run, through the command line against the emulators: one line naming
the source or the Okta org, the config key and what to do, and the exit code the README's
table gives (2 credentials, scopes, unusable state, an unknown --user; 5 unreachable)."""

from __future__ import annotations

from collections.abc import Callable

from tests.world_kit import OKTA_TOKEN, World, auth0_user, seed

WorldFactory = Callable[..., World]


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("spokesync:")]
    assert len(lines) == 1, stderr[-3000:]
    return lines[0]


def test_a_wrong_client_secret_names_the_key(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config()
    # Another secret of the environment in its place: wrong, and still masked in output.
    text = world.config_path.read_text()
    wrong = text.replace(
        'client_secret = "${TEST_AUTH0_SECRET}"', 'client_secret = "${TEST_OKTA_TOKEN}"'
    )
    world.config_path.write_text(wrong)
    for command in ("sync", "plan"):
        result = world.cli(command)
        assert result.exit_code == 2, result.stderr[-2000:]
        line = _one_line(result.stderr)
        assert "source partners" in line and "sources.partners.client_secret" in line
        assert OKTA_TOKEN not in result.stderr + result.stdout
    check = world.cli("config", "check")
    assert check.exit_code == 2
    assert "sources.partners.client_secret" in check.stdout
    assert check.stdout.count("sources.partners.client_secret") == 1  # said once
    assert "resolving names to ids failed" not in check.stdout
    assert world.okta().users() == []


def test_a_missing_auth0_scope_names_it_and_where_to_grant_it(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)], client_scopes=("read:users",)))  # no read:roles
    result = world.cli("sync")
    assert result.exit_code == 2
    line = _one_line(result.stderr)
    assert "source partners" in line and "sources.partners.client_id" in line
    assert "read:roles" in line and "API permissions" in line
    check = world.cli("config", "check")
    assert check.exit_code == 2
    assert "lacks read:roles" in check.stdout and "API permissions" in check.stdout


def test_an_unreachable_okta_is_exit_5_naming_the_url(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config()
    unreachable = "http://127.0.0.1:9"  # discard port: nothing listens
    text = world.config_path.read_text().replace(world.okta_url, unreachable)
    world.config_path.write_text(text)
    result = world.cli("sync")
    assert result.exit_code == 5, result.stderr[-2000:]
    line = _one_line(result.stderr)
    assert f"okta org {unreachable} could not be reached" in line
    assert "okta.org_url" in line


def test_a_read_only_state_database_is_one_line_and_exit_2(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config()
    assert world.cli("sync").exit_code == 0
    # mode=ro: read-only whoever runs the test (root ignores file permissions).
    read_only = f"sqlite:///{world.db_path}?mode=ro"
    text = world.config_path.read_text().replace(world.state_url, read_only)
    world.config_path.write_text(text)
    for command in ("sync", "plan"):
        result = world.cli(command)
        assert result.exit_code == 2, (command, result.stderr[-2000:])
        line = _one_line(result.stderr)
        assert "readonly" in line and "[state] url" in line
    assert world.cli("status").exit_code == 0  # reading still works


def test_sync_user_of_an_identity_in_no_source_says_so(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    result = world.cli("sync", "--user", "auth0|nobody")
    assert result.exit_code == 2
    line = _one_line(result.stderr)
    assert "auth0|nobody" in line and "no source (partners) has this user" in line
    assert world.okta().users() == []
    assert world.sync("--user", "auth0|u00001")["summary"]["created"] == 1
