"""Transport security: https only (http on loopback with a warning), TLS verification that
cannot be switched off, CA bundles checked at load time, and a timeout on every call."""

from __future__ import annotations

import asyncio
import datetime
import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from spokesync.clients import open_clients
from spokesync.config import ConfigError, load
from spokesync.http.factory import make_client
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]


def self_signed_ca(path: Path) -> Path:
    """A PEM file holding one self-signed CA certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "spokesync test CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(Encoding.PEM))
    return path


def log_events(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_http_to_loopback_works_and_warns_in_the_logs(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))

    result = world.cli("sync", "--json")

    assert result.exit_code == 0
    warnings = [e for e in log_events(result.stderr) if e["event"] == "plain http to loopback"]
    assert {w["target"] for w in warnings} == {"okta", "source partners"}
    assert all(w["level"] == "warning" for w in warnings)


@pytest.mark.parametrize(
    ("table", "key"),
    [("[okta]", "okta.org_url"), ("[sources.partners]", "sources.partners.domain")],
)
def test_http_to_a_host_that_is_not_loopback_is_refused(
    world_factory: WorldFactory, table: str, key: str
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    path = world.write_config()
    text = path.read_text()
    url = world.okta_url if table == "[okta]" else world.auth0_url
    path.write_text(text.replace(url, "http://hub.example.com"))

    result = world.cli("sync")

    assert result.exit_code == 2
    assert f"{key} must use https://" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("table", ["okta", "sources.partners"])
def test_a_ca_bundle_that_does_not_exist_is_a_config_error(
    world_factory: WorldFactory, tmp_path: Path, table: str
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    path = world.write_config()
    text = path.read_text().replace(f"[{table}]\n", f'[{table}]\nca_bundle = "no-such-ca.pem"\n')
    path.write_text(text)

    result = world.cli("plan")

    assert result.exit_code == 2
    expected = f"{table}.ca_bundle names '{tmp_path / 'no-such-ca.pem'}', which does not exist"
    assert expected in result.stderr


def test_a_ca_bundle_is_read_relative_to_the_config_file(tmp_path: Path) -> None:
    ca = self_signed_ca(tmp_path / "corp-ca.pem")
    (tmp_path / "not-a-ca.pem").write_text("hello\n")
    config = tmp_path / "spokesync.toml"
    base = (
        '[okta]\norg_url = "https://hub.okta.com"\ntoken = "tok-0123456789"\n{extra}'
        '[sources.a]\ndomain = "a.auth0.com"\nclient_id = "c"\nclient_secret = "s-0123456789"\n'
        '[[bindings]]\nsource = "a"\nrole = "R"\ngroup = "G"\n'
    )
    config.write_text(base.format(extra='ca_bundle = "corp-ca.pem"\n'))
    assert load(config).okta.ca_bundle == str(ca)

    config.write_text(base.format(extra='ca_bundle = "not-a-ca.pem"\n'))
    with pytest.raises(ConfigError, match=r"okta\.ca_bundle .* holds no PEM CA certificate"):
        load(config)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("verify = false", "okta.verify is not a known key"),
        ("verify_tls = false", "okta.verify_tls is not a known key"),
        ("ca_bundle = false", "okta.ca_bundle must be a string"),
    ],
)
def test_verification_cannot_be_turned_off_in_the_config(
    tmp_path: Path, line: str, message: str
) -> None:
    config = tmp_path / "spokesync.toml"
    config.write_text(
        f'[okta]\norg_url = "https://hub.okta.com"\ntoken = "tok-0123456789"\n{line}\n'
        '[sources.a]\ndomain = "a.auth0.com"\nclient_id = "c"\nclient_secret = "s-0123456789"\n'
        '[[bindings]]\nsource = "a"\nrole = "R"\ngroup = "G"\n'
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(config)


def test_verification_cannot_be_turned_off_in_code() -> None:
    with pytest.raises(ValueError, match="cannot be switched off"):
        make_client("https://hub.okta.com", timeout=5, verify=False)


def test_every_client_has_the_configured_timeout(tmp_path: Path) -> None:
    config = tmp_path / "spokesync.toml"
    config.write_text(
        '[okta]\norg_url = "https://hub.okta.com"\ntoken = "tok-0123456789"\n'
        "timeout_seconds = 7.5\n"
        '[sources.a]\ndomain = "a.auth0.com"\nclient_id = "c"\nclient_secret = "s-0123456789"\n'
        '[sources.b]\ndomain = "b.auth0.com"\nclient_id = "c"\nclient_secret = "s-0123456789"\n'
        "timeout_seconds = 3\n"
        '[[bindings]]\nsource = "a"\nrole = "R"\ngroup = "G"\n'
    )

    async def timeouts() -> dict[str, httpx.Timeout]:
        # Opening clients sends nothing: the transports below would fail any request.
        refuse = httpx.MockTransport(lambda request: httpx.Response(599))
        async with open_clients(load(config), lambda _url: refuse) as clients:
            found = {name: c.session.http.timeout for name, c in clients.auth0.items()}
            found["okta"] = clients.okta.session.http.timeout
            return found

    found = asyncio.run(timeouts())
    assert found == {
        "a": httpx.Timeout(30.0),
        "b": httpx.Timeout(3.0),
        "okta": httpx.Timeout(7.5),
    }


@pytest.mark.parametrize("value", ["0", "-1", "601"])
def test_a_timeout_must_be_positive_and_bounded(tmp_path: Path, value: str) -> None:
    config = tmp_path / "spokesync.toml"
    config.write_text(
        '[okta]\norg_url = "https://hub.okta.com"\ntoken = "tok-0123456789"\n'
        f"timeout_seconds = {value}\n"
        '[sources.a]\ndomain = "a.auth0.com"\nclient_id = "c"\nclient_secret = "s-0123456789"\n'
        '[[bindings]]\nsource = "a"\nrole = "R"\ngroup = "G"\n'
    )
    with pytest.raises(ConfigError, match=r"okta\.timeout_seconds must be"):
        load(config)


def test_a_call_slower_than_the_timeout_fails_the_run_instead_of_hanging(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    world.write_config()
    path = world.config_path
    path.write_text(path.read_text().replace("[okta]\n", "[okta]\ntimeout_seconds = 0.05\n", 1))
    answer = httpx.put(
        f"{world.okta_url}/_emulator/faults", json={"rate": 0, "latency_ms": 1000}, timeout=10
    )
    assert answer.status_code == 200

    result = world.cli("sync", "--json")

    assert result.exit_code == 5  # a service that could not be reached
    error = result.json()["error"]
    assert error.startswith(f"okta org {world.okta_url} could not be reached: GET")
    assert "Timeout" in error and "okta.org_url" in error
    httpx.put(f"{world.okta_url}/_emulator/faults", json={"rate": 0, "latency_ms": 0}, timeout=10)
    assert world.okta().users() == []
