"""End to end, through the command line: Okta OAuth service apps and Auth0 private_key_jwt.

The emulators verify each signed client assertion against the public key in their seed and
grant only the scopes the app holds, so a wrong key or a missing scope fails as it would
against the real services.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.key_kit import (
    ALL_OKTA_SCOPES,
    auth0_jwt_source,
    key_pair,
    okta_oauth_table,
    with_oauth_clients,
    write_key,
    write_oauth_config,
)
from tests.world_kit import CLIENT_SECRET, World, auth0_user, okta_user, seed

WorldFactory = Callable[..., World]
SECRET_SOURCE = 'client_id = "spokesync"\nclient_secret = "${TEST_AUTH0_SECRET}"\n'


def one_line_error(stderr: str) -> str:
    """The single ``spokesync: ...`` line on stderr (log lines are JSON), never a traceback."""
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("spokesync: ")]
    assert len(lines) == 1, stderr[-2000:]
    return lines[0]


def test_sync_with_okta_oauth_fetches_one_token_and_reuses_it(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    okta_key = key_pair("okta")
    world = world_factory(
        with_oauth_clients(seed([auth0_user(n) for n in range(1, 6)]), okta_key=okta_key)
    )
    key_file = write_key(tmp_path, "okta-app.pem", okta_key.private_pem)
    write_oauth_config(world, okta=okta_oauth_table(key_file), source=SECRET_SOURCE)
    world.reset_stats()

    result = world.sync()

    assert result["summary"]["created"] == 5
    assert sorted(world.okta().members()) == [f"user{n}@partner.example" for n in range(1, 6)]
    requests = world.stats("okta")["requests"]
    api_calls = sum(n for route, n in requests.items() if route.startswith(("GET", "PUT")))
    assert requests["POST /oauth2/v1/token"] == 1
    assert api_calls >= 3  # groups, members, login search: all on the one token
    assert world.sync()["actions"] == []


def test_missing_groups_manage_scope_fails_the_identity_and_config_check_names_it(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    okta_key = key_pair("okta")
    document = with_oauth_clients(
        # user 2 exists in Okta already: linking it needs a membership call (groups.manage)
        seed([auth0_user(2)], [okta_user("00uExisting000002", "user2@partner.example")]),
        okta_key=okta_key,
        granted=(*ALL_OKTA_SCOPES, "okta.groups.read"),
    )
    world = world_factory(document)
    key_file = write_key(tmp_path, "okta-app.pem", okta_key.private_pem)
    write_oauth_config(
        world,
        okta=okta_oauth_table(key_file, scopes=("okta.users.manage", "okta.groups.read")),
        source=SECRET_SOURCE,
    )

    result = world.cli("sync", "--json")

    assert result.exit_code == 1, result.stderr[-2000:]
    failures = result.json()["summary"]["failures"]
    reasons = " ".join(str(f) for f in failures)
    assert "okta.groups.manage" in reasons, failures
    assert "403" in reasons
    assert world.okta().members() == {}
    assert "okta.groups.manage" in result.stderr  # the run warned before it started

    check = world.cli("config", "check")
    assert check.exit_code == 2
    failing = [line for line in check.stdout.splitlines() if line.startswith("FAIL")]
    assert any("lacks scope okta.groups.manage" in line for line in failing), check.stdout


def test_scope_the_app_was_never_granted_is_named_by_the_token_endpoint(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    okta_key = key_pair("okta")
    world = world_factory(
        with_oauth_clients(seed([auth0_user(1)]), okta_key=okta_key, granted=("okta.users.manage",))
    )
    key_file = write_key(tmp_path, "okta-app.pem", okta_key.private_pem)
    write_oauth_config(world, okta=okta_oauth_table(key_file), source=SECRET_SOURCE)

    result = world.cli("sync", "--json")

    assert result.exit_code == 2  # a missing scope is a config problem, not a failed identity
    line = one_line_error(result.stderr)
    assert "invalid_scope" in line and "okta.groups.manage" in line
    assert "okta.oauth.client_id" in line and "Okta API Scopes" in line  # where to grant it
    check = world.cli("config", "check")
    assert check.exit_code == 2
    assert "invalid_scope" in check.stdout and "okta.groups.manage" in check.stdout
    assert "Okta API Scopes" in check.stdout


def test_okta_key_that_is_not_a_pem_is_a_config_error(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    world = world_factory(with_oauth_clients(seed([auth0_user(1)]), okta_key=key_pair("okta")))
    key_file = write_key(tmp_path, "okta-app.pem", key_pair("okta").public_pem)
    write_oauth_config(world, okta=okta_oauth_table(key_file), source=SECRET_SOURCE)

    for command in (["sync"], ["plan"], ["config", "check"]):
        result = world.cli(*command)
        assert result.exit_code == 2
        line = one_line_error(result.stderr)
        assert "okta.oauth.private_key_file" in line and "not a PEM private key" in line


def test_okta_key_the_app_does_not_know_stops_the_run_with_one_line(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    world = world_factory(with_oauth_clients(seed([auth0_user(1)]), okta_key=key_pair("okta")))
    key_file = write_key(tmp_path, "stranger.pem", key_pair("stranger").private_pem)
    write_oauth_config(world, okta=okta_oauth_table(key_file), source=SECRET_SOURCE)

    result = world.cli("sync", "--json")

    assert result.exit_code == 2  # refused credentials are a config problem
    line = one_line_error(result.stderr)
    assert "POST /oauth2/v1/token" in line.replace(world.okta_url, "")
    assert "invalid_client" in line and "signature is invalid" in line
    assert world.okta().users() == []


def test_auth0_private_key_jwt_sync_works(world_factory: WorldFactory, tmp_path: Path) -> None:
    okta_key, auth0_key = key_pair("okta"), key_pair("auth0")
    world = world_factory(
        with_oauth_clients(
            seed([auth0_user(1), auth0_user(2)]), okta_key=okta_key, auth0_key=auth0_key
        )
    )
    write_oauth_config(
        world,
        okta=okta_oauth_table(write_key(tmp_path, "okta.pem", okta_key.private_pem)),
        source=auth0_jwt_source(write_key(tmp_path, "auth0.pem", auth0_key.private_pem)),
    )

    assert world.sync()["summary"]["created"] == 2
    assert sorted(world.okta().members()) == ["user1@partner.example", "user2@partner.example"]
    check = world.cli("config", "check")
    assert check.exit_code == 0, check.stdout
    assert "source partners: token obtained" in check.stdout


def test_auth0_wrong_key_gives_a_clear_error(world_factory: WorldFactory, tmp_path: Path) -> None:
    world = world_factory(
        with_oauth_clients(
            seed([auth0_user(1)]), okta_key=key_pair("okta"), auth0_key=key_pair("auth0")
        )
    )
    write_oauth_config(
        world,
        okta='token = "${TEST_OKTA_TOKEN}"',
        source=auth0_jwt_source(write_key(tmp_path, "x.pem", key_pair("stranger").private_pem)),
    )

    result = world.cli("sync", "--json")

    assert result.exit_code == 2  # refused credentials are a config problem
    line = one_line_error(result.stderr)
    assert "Auth0" in line and "invalid_client" in line and "assertion" in line
    assert "sources.partners.private_key_file" in line  # the key to fix
    check = world.cli("config", "check")
    assert check.exit_code == 2
    assert "FAIL source partners: Auth0 refused the credentials" in check.stdout


@pytest.mark.parametrize("escaped", [False, True], ids=["pem", "pem-with-escaped-newlines"])
def test_okta_private_key_from_the_environment(
    world_factory: WorldFactory, monkeypatch: pytest.MonkeyPatch, escaped: bool
) -> None:
    okta_key = key_pair("okta")
    world = world_factory(with_oauth_clients(seed([auth0_user(1)]), okta_key=okta_key))
    pem = okta_key.private_pem.replace("\n", "\\n") if escaped else okta_key.private_pem
    monkeypatch.setenv("TEST_OKTA_PRIVATE_KEY", pem)
    write_oauth_config(
        world,
        okta='[okta.oauth]\nclient_id = "0oaSpokesyncService01"\n'
        'private_key = "${TEST_OKTA_PRIVATE_KEY}"\n',
        source=SECRET_SOURCE,
    )

    assert world.sync()["summary"]["created"] == 1


def _issued_okta_tokens(world: World) -> list[str]:
    # The emulator's own record of what it issued: the only place the tokens can be read back.
    app = world.emulators.okta.server.config.app
    return list(app.state.org.access_tokens)


def test_private_keys_and_access_tokens_never_appear_in_output_logs_or_state(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    okta_key, auth0_key = key_pair("okta"), key_pair("auth0")
    world = world_factory(
        with_oauth_clients(
            seed([auth0_user(1), auth0_user(2)]), okta_key=okta_key, auth0_key=auth0_key
        )
    )
    write_oauth_config(
        world,
        okta=okta_oauth_table(write_key(tmp_path, "okta.pem", okta_key.private_pem)),
        source=auth0_jwt_source(write_key(tmp_path, "auth0.pem", auth0_key.private_pem)),
        extra='[policy]\nmax_deprovision = "100%"\n',
    )
    outputs: list[str] = []
    for args in (
        ["plan", "--json"],
        ["sync", "--json"],
        ["status", "--json"],
        ["config", "check"],
        ["audit", "--json"],
    ):
        result = world.cli("--log-level", "DEBUG", *args)
        outputs += [result.stdout, result.stderr]
    world.auth0().unassign("auth0|u00001")
    result = world.cli("--log-level", "DEBUG", "sync")
    outputs += [result.stdout, result.stderr]
    blob = "\n".join(outputs)
    database = world.db_path.read_bytes()
    tokens = _issued_okta_tokens(world)
    assert tokens
    for secret in [*okta_key.body_lines(), *auth0_key.body_lines(), *tokens]:
        assert secret not in blob
        assert secret.encode() not in database
    assert "PRIVATE KEY" not in blob
    assert "eyJ" not in blob  # no JWT at all: neither an assertion nor an Auth0 access token
    assert CLIENT_SECRET not in blob


@pytest.mark.parametrize(
    ("mode", "literal", "warned"),
    [(0o644, True, True), (0o640, True, True), (0o600, True, False), (0o644, False, False)],
    ids=["world-readable", "group-readable", "owner-only", "secret-from-environment"],
)
def test_config_check_warns_when_others_can_read_a_literal_secret(
    world_factory: WorldFactory, mode: int, literal: bool, warned: bool
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    source = (
        f'client_id = "spokesync"\nclient_secret = "{CLIENT_SECRET}"\n'
        if literal
        else SECRET_SOURCE
    )
    path = write_oauth_config(world, okta='token = "${TEST_OKTA_TOKEN}"', source=source, mode=mode)

    result = world.cli("config", "check")

    assert result.exit_code == 0, result.stdout
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warn")]
    expected = "sources.partners.client_secret is a literal secret and the file is readable by"
    assert any(expected in w and f"chmod 600 {path}" in w for w in warnings) == warned, warnings
    assert CLIENT_SECRET not in result.stdout


def test_config_check_warns_about_a_private_key_file_others_can_read(
    world_factory: WorldFactory, tmp_path: Path
) -> None:
    okta_key = key_pair("okta")
    world = world_factory(with_oauth_clients(seed([auth0_user(1)]), okta_key=okta_key))
    key_file = write_key(tmp_path, "okta.pem", okta_key.private_pem, mode=0o644)
    write_oauth_config(world, okta=okta_oauth_table(key_file), source=SECRET_SOURCE)

    result = world.cli("config", "check")

    assert result.exit_code == 0, result.stdout
    assert f"okta.oauth.private_key_file: {key_file} is readable by group and others" in (
        result.stdout
    )
    assert f"chmod 600 {key_file}" in result.stdout
