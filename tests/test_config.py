"""spokesync.config: every broken config gives one line naming the file, the key and the fix."""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from spokesync import config
from spokesync.config import DEFAULT_MAPPING, ConfigError, FixedValue, load, parse
from spokesync.mapping import validate_rules
from spokesync.redact import clear_secrets, redact

ENV_SECRET = "env-okta-token-0123456789abcdef"
LITERAL_SECRET = "literal-client-secret-9876543210"

OKTA = """\
[okta]
org_url = "https://hub.okta.com"
token = "${SPOKESYNC_TEST_TOKEN}"
"""
SOURCES = f"""\
[sources.apac]
domain = "apac-partners.au.auth0.com"
client_id = "c1"
client_secret = "{LITERAL_SECRET}"
"""
BINDINGS = """\
[[bindings]]
source = "apac"
role = "Salesforce"
group = "Salesforce Users"
"""
GOOD = OKTA + SOURCES + BINDINGS


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SPOKESYNC_TEST_TOKEN", ENV_SECRET)
    monkeypatch.delenv("SPOKESYNC_TEST_MISSING", raising=False)
    clear_secrets()
    yield
    clear_secrets()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spokesync.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problem(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load(path)
    return str(caught.value)


# (case id, the config text, what the single line must hold besides the file name)
CORPUS: list[tuple[str, str, list[str]]] = [
    ("missing okta", SOURCES + BINDINGS, ["[okta] table is missing", "org_url and token"]),
    (
        "missing okta.token",
        '[okta]\norg_url = "https://hub.okta.com"\n' + SOURCES + BINDINGS,
        ["okta.token is required but missing"],
    ),
    (
        "empty okta.token",
        '[okta]\norg_url = "https://hub.okta.com"\ntoken = ""\n' + SOURCES + BINDINGS,
        ["okta.token is empty"],
    ),
    (
        "max_concurrency of the wrong type",
        GOOD.replace("[sources.apac]", 'max_concurrency = "ten"\n[sources.apac]', 1),
        ["okta.max_concurrency must be a whole number, not 'ten'"],
    ),
    (
        "max_concurrency out of range",
        GOOD.replace("[sources.apac]", "max_concurrency = 500\n[sources.apac]", 1),
        ["okta.max_concurrency must be at most 75, not 500"],
    ),
    (
        "binding naming an unknown source",
        GOOD.replace('source = "apac"', 'source = "emea"'),
        ["bindings[0].source names 'emea'", "not a [sources.*] table", "known: apac"],
    ),
    (
        "repeated binding",
        GOOD + BINDINGS,
        ["bindings[1] repeats bindings[0]"],
    ),
    (
        "bad URL",
        GOOD.replace("https://hub.okta.com", "hub okta com"),
        ["okta.org_url must be a URL such as https://host, not 'hub okta com'"],
    ),
    (
        "http to a host that is not loopback",
        GOOD.replace("https://hub.okta.com", "http://hub.okta.com"),
        ["okta.org_url must use https://", "only for 127.0.0.1 and localhost"],
    ),
    (
        "Okta admin console address",
        GOOD.replace("https://hub.okta.com", "https://hub-admin.okta.com"),
        ["okta.org_url is the admin console address", "https://hub.okta.com"],
    ),
    (
        "API path in the base URL",
        GOOD.replace("https://hub.okta.com", "https://hub.okta.com/api/v1"),
        ["okta.org_url must be the base address without a path", "/api/v1"],
    ),
    (
        "bad source domain",
        GOOD.replace("apac-partners.au.auth0.com", "ftp://apac.example"),
        ["sources.apac.domain must be a URL"],
    ),
    (
        "missing environment variable",
        GOOD.replace("SPOKESYNC_TEST_TOKEN", "SPOKESYNC_TEST_MISSING"),
        ["okta.token reads ${SPOKESYNC_TEST_MISSING}", "not set in the environment"],
    ),
    (
        "unknown key (typo)",
        GOOD.replace("client_id", "clientid"),
        ["sources.apac.clientid is not a known key; did you mean client_id?"],
    ),
    (
        "unknown table (typo)",
        GOOD + '[polcy]\non_gone = "suspend"\n',
        ["polcy is not a known key; did you mean policy?"],
    ),
    ("empty bindings", "bindings = []\n" + OKTA + SOURCES, ["no [[bindings]]", "source, role"]),
    ("no bindings", OKTA + SOURCES, ["no [[bindings]]"]),
    ("no sources", OKTA + BINDINGS, ["no [sources.NAME] table"]),
    (
        "bad source name",
        GOOD.replace("[sources.apac]", '[sources."ap ac"]'),
        ["sources.ap ac is not a usable source name"],
    ),
    (
        "max_deprovision not a share",
        GOOD + '[policy]\nmax_deprovision = "lots"\n',
        ['policy.max_deprovision must be a share such as "10%"', "not 'lots'"],
    ),
    (
        "max_deprovision over 100%",
        GOOD + '[policy]\nmax_deprovision = "150%"\n',
        ["policy.max_deprovision must be a share between 0% and 100%"],
    ),
    (
        "max_deprovision a fractional count",
        GOOD + '[policy]\nmax_deprovision = "2.5"\n',
        ["policy.max_deprovision must be a share", "whole count"],
    ),
    (
        "policy value not allowed",
        GOOD + '[policy]\non_gone = "nuke"\n',
        ["policy.on_gone must be 'none', 'suspend', 'deactivate' or 'delete', not 'nuke'"],
    ),
    (
        "mapping with an unknown transform",
        GOOD + '[mapping]\nfirstName = ["name|uppr"]\n',
        ["mapping.firstName", "unknown transform 'uppr'", "known: after_first_word"],
    ),
    (
        "mapping with a malformed path",
        GOOD + '[mapping]\nlastName = ["user_metadata..lastName"]\n',
        ["mapping.lastName", "not a path"],
    ),
    (
        "mapping path from no Auth0 field",
        GOOD + '[mapping]\nlastName = ["familyname"]\n',
        [
            "mapping.lastName",
            "'familyname' is not an Auth0 user field",
            "did you mean family_name?",
        ],
    ),
    (
        "mapping fixed login",
        GOOD + '[mapping]\nlogin = { value = "all@hub.example" }\n',
        ["mapping.login cannot be a fixed value"],
    ),
    (
        "mapping of the wrong shape",
        GOOD + "[mapping]\nfirstName = 3\n",
        ["mapping.firstName must be a list of paths"],
    ),
    (
        "TOML syntax error",
        GOOD.replace('client_id = "c1"', 'client_id = "c1'),
        ["line 6 (key client_id in [sources.apac]): not valid TOML"],
    ),
    ("TOML syntax error outside a key", "[okta\n", ["line 1: not valid TOML"]),
    (
        "serve.http not an address",
        GOOD + '[serve]\nhttp = "8470"\n',
        ["serve.http", 'HOST:PORT such as "127.0.0.1:8470", or "off"'],
    ),
    (
        "serve.http port out of range",
        GOOD + '[serve]\nhttp = "127.0.0.1:70000"\n',
        ["serve.http", "not between 1 and 65535"],
    ),
    (
        "serve.token too short",
        GOOD + '[serve]\ntoken = "too-short"\n',
        ["serve.token", "shorter than 32 characters"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_broken_config_gives_one_specific_line(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = write(tmp_path, text)
    message = problem(path)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    for part in expected:
        assert part in message, message
    assert ENV_SECRET not in message
    assert LITERAL_SECRET not in message


def test_missing_file(tmp_path: Path) -> None:
    message = problem(tmp_path / "nope.toml")
    hint = "no such config file; pass --config PATH or set SPOKESYNC_CONFIG"
    assert message == f"{tmp_path / 'nope.toml'}: {hint}"


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "spokesync.toml"
    path.write_bytes(b'[okta]\norg_url = "\xff"\n')
    assert problem(path) == f"{path}: is not UTF-8 text; save it as UTF-8"


def test_secret_read_into_the_wrong_key_is_never_echoed(tmp_path: Path) -> None:
    text = GOOD.replace("https://hub.okta.com", "${SPOKESYNC_TEST_TOKEN}")
    message = problem(write(tmp_path, text))
    assert message.startswith(f"{tmp_path / 'spokesync.toml'}: okta.org_url must be a URL")
    assert ENV_SECRET not in message


def test_secret_with_a_toml_error_on_its_line_is_never_echoed(tmp_path: Path) -> None:
    text = GOOD.replace(f'client_secret = "{LITERAL_SECRET}"', f"client_secret = {LITERAL_SECRET}")
    message = problem(write(tmp_path, text))
    assert "key client_secret in [sources.apac]" in message
    assert LITERAL_SECRET not in message


def test_secret_of_the_wrong_type_is_never_echoed(tmp_path: Path) -> None:
    text = GOOD.replace(f'"{LITERAL_SECRET}"', '["' + LITERAL_SECRET + '"]')
    message = problem(write(tmp_path, text))
    assert "sources.apac.client_secret must be a string" in message
    assert LITERAL_SECRET not in message


def test_good_config_loads_and_registers_its_secrets(tmp_path: Path) -> None:
    loaded = load(write(tmp_path, GOOD))
    assert loaded.okta.token.get_secret_value() == ENV_SECRET
    assert loaded.sources["apac"].base_url == "https://apac-partners.au.auth0.com"
    assert ENV_SECRET not in repr(loaded) and LITERAL_SECRET not in repr(loaded)
    assert redact(f"t={ENV_SECRET} s={LITERAL_SECRET}") == "t=[REDACTED] s=[REDACTED]"


def test_loopback_http_is_accepted(tmp_path: Path) -> None:
    text = GOOD.replace("https://hub.okta.com", "http://127.0.0.1:8802/").replace(
        "apac-partners.au.auth0.com", "http://localhost:8801"
    )
    loaded = load(write(tmp_path, text))
    assert loaded.okta.org_url == "http://127.0.0.1:8802"
    assert loaded.sources["apac"].base_url == "http://localhost:8801"


def test_friendly_forms_are_accepted(tmp_path: Path) -> None:
    text = GOOD + (
        "[policy]\nmax_deprovision = 25\n"
        '[mapping]\nfirstName = "given_name"\ndepartment = { value = "Partners" }\n'
    )
    loaded = load(write(tmp_path, text))
    assert loaded.policy.max_deprovision == "25"
    rules = loaded.mapping_rules()
    assert rules["firstName"] == ["given_name"]
    assert rules["department"] == FixedValue(value="Partners")
    assert rules["lastName"] == DEFAULT_MAPPING["lastName"]


def test_default_mapping_passes_its_own_validation() -> None:
    validate_rules({k: list(v) for k, v in DEFAULT_MAPPING.items()})


def test_parse_names_its_origin() -> None:
    with pytest.raises(ConfigError, match=r"^inline: \[okta\] table is missing"):
        parse({}, "inline")


def test_default_path_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOKESYNC_CONFIG", "/etc/spokesync/x.toml")
    assert config.default_path() == Path("/etc/spokesync/x.toml")
    monkeypatch.delenv("SPOKESYNC_CONFIG")
    assert config.default_path() == Path("spokesync.toml")


# -- credentials: Okta OAuth service apps and private_key_jwt sources ---------------------------


@functools.cache
def _keys() -> dict[str, str]:
    """PEM texts: an RSA private key, an EC private key and an RSA public key."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())

    def private(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
        return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()

    public = rsa_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return {"rsa": private(rsa_key), "ec": private(ec_key), "public": public.decode()}


OAUTH_OKTA = """\
[okta]
org_url = "https://hub.okta.com"

[okta.oauth]
client_id = "0oa1service"
private_key_file = "keys/okta.pem"
"""


def _with_key(tmp_path: Path, kind: str = "rsa", name: str = "okta.pem") -> Path:
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    path = keys / name
    path.write_text(_keys()[kind], encoding="utf-8")
    return path


CREDENTIAL_CORPUS: list[tuple[str, str, list[str]]] = [
    (
        "both token and [okta.oauth]",
        OAUTH_OKTA.replace("[okta.oauth]", 'token = "${SPOKESYNC_TEST_TOKEN}"\n[okta.oauth]'),
        ["okta.token and [okta.oauth] are both set"],
    ),
    (
        "[okta.oauth] without a key",
        OAUTH_OKTA.replace('private_key_file = "keys/okta.pem"\n', ""),
        ["okta.oauth.private_key_file is required but missing", "private_key"],
    ),
    (
        "[okta.oauth] with a key file and an inline key",
        OAUTH_OKTA + 'private_key = "${SPOKESYNC_TEST_TOKEN}"\n',
        ["okta.oauth.private_key"],
    ),
    (
        "[okta.oauth] without a client_id",
        OAUTH_OKTA.replace('client_id = "0oa1service"\n', ""),
        ["okta.oauth.client_id is required but missing"],
    ),
    (
        "a key file that does not exist",
        OAUTH_OKTA.replace("keys/okta.pem", "keys/missing.pem"),
        ["okta.oauth.private_key_file names", "missing.pem', which does not exist"],
    ),
    (
        "a public key where the private one belongs",
        OAUTH_OKTA.replace("keys/okta.pem", "keys/public.pem"),
        ["okta.oauth.private_key_file names", "is not a PEM private key"],
    ),
    (
        "an EC key with RS256",
        OAUTH_OKTA.replace("keys/okta.pem", "keys/ec.pem"),
        ["okta.oauth.private_key_file", "is not an RSA key, which algorithm RS256 needs"],
    ),
    (
        "an inline key that is not a PEM",
        OAUTH_OKTA.replace(
            'private_key_file = "keys/okta.pem"', 'private_key = "${SPOKESYNC_TEST_TOKEN}"'
        ),
        ["okta.oauth.private_key is not a PEM private key"],
    ),
    (
        "a scope that is not an Okta scope",
        OAUTH_OKTA + 'scopes = ["users.manage"]\n',
        ["okta.oauth.scopes holds 'users.manage', which is not an Okta scope"],
    ),
    (
        "no scopes",
        OAUTH_OKTA + "scopes = []\n",
        ["okta.oauth.scopes must not be empty"],
    ),
    (
        "an unknown key in [okta.oauth]",
        OAUTH_OKTA + 'scope = ["okta.users.manage"]\n',
        ["okta.oauth.scope is not a known key; did you mean scopes?"],
    ),
    (
        "a source with neither secret nor key",
        OKTA + SOURCES.replace(f'client_secret = "{LITERAL_SECRET}"\n', ""),
        ["sources.apac.client_secret is required but missing", "private_key_file"],
    ),
    (
        "a source with a secret and a key",
        OKTA + SOURCES + 'private_key_file = "keys/okta.pem"\n',
        ["sources.apac.client_secret and a private key are both set"],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [c[1:] for c in CREDENTIAL_CORPUS],
    ids=[c[0] for c in CREDENTIAL_CORPUS],
)
def test_broken_credentials_give_one_line_naming_the_key(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    _with_key(tmp_path)
    _with_key(tmp_path, "ec", "ec.pem")
    _with_key(tmp_path, "public", "public.pem")
    body = text if "[sources." in text else text + SOURCES
    path = write(tmp_path, body + BINDINGS)
    message = problem(path)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    for part in expected:
        assert part in message, message
    assert ENV_SECRET not in message and "PRIVATE KEY-----" not in message


def test_okta_oauth_reads_the_key_relative_to_the_config_and_registers_it(
    tmp_path: Path,
) -> None:
    key_file = _with_key(tmp_path)
    loaded = load(write(tmp_path, OAUTH_OKTA + SOURCES + BINDINGS))
    oauth = loaded.okta.oauth
    assert oauth is not None and loaded.okta.token is None
    assert oauth.private_key_file == str(key_file)
    pem = oauth.private_key_pem()
    assert pem is not None and pem.get_secret_value() == _keys()["rsa"]
    assert _keys()["rsa"] not in repr(loaded)
    assert redact(f"key: {_keys()['rsa']}") == "key: [REDACTED]"


def test_okta_scopes_default_to_what_the_config_needs(tmp_path: Path) -> None:
    _with_key(tmp_path)
    plain = load(write(tmp_path, OAUTH_OKTA + SOURCES + BINDINGS))
    assert plain.okta_scopes() == ("okta.users.manage", "okta.groups.manage")
    idp_source = SOURCES + 'okta_idp_id = "0oaIdp1"\n'
    linking = load(write(tmp_path, OAUTH_OKTA + idp_source + BINDINGS))
    assert linking.okta_scopes() == ("okta.users.manage", "okta.groups.manage", "okta.idps.manage")
    chosen = OAUTH_OKTA + 'scopes = ["okta.users.manage", "okta.users.manage"]\n'
    explicit = load(write(tmp_path, chosen + SOURCES + BINDINGS))
    assert explicit.okta_scopes() == ("okta.users.manage",)
    assert explicit.required_okta_scopes() == ("okta.users.manage", "okta.groups.manage")
    # a base attribute needs no schema read; a custom one does (okta.schemas.read)
    base = load(write(tmp_path, OAUTH_OKTA + SOURCES + BINDINGS + MAPPING_DEPARTMENT))
    assert base.okta_scopes() == ("okta.users.manage", "okta.groups.manage")
    custom = load(write(tmp_path, OAUTH_OKTA + SOURCES + BINDINGS + MAPPING_PARTNER_ORG))
    assert custom.okta_scopes() == ("okta.users.manage", "okta.groups.manage", "okta.schemas.read")


MAPPING_DEPARTMENT = '[mapping]\ndepartment = { value = "Partners" }\n'
MAPPING_PARTNER_ORG = '[mapping]\npartnerOrganization = { value = "x" }\n'


def test_live_mode_asks_for_the_log_scope_and_bounds_the_poll(tmp_path: Path) -> None:
    _with_key(tmp_path)
    plain = load(write(tmp_path, OAUTH_OKTA + SOURCES + BINDINGS))
    assert plain.live.poll_seconds == 10 and not plain.live.enabled
    live = plain.with_live()
    assert live.okta_scopes() == ("okta.users.manage", "okta.groups.manage", "okta.logs.read")
    assert live.origin == plain.origin  # config check still finds the file
    written = load(write(tmp_path, OAUTH_OKTA + SOURCES + BINDINGS + "[live]\nenabled = true\n"))
    assert "okta.logs.read" in written.required_okta_scopes()
    for wrong in (0, 301):
        path = write(
            tmp_path, OAUTH_OKTA + SOURCES + BINDINGS + f"[live]\npoll_seconds = {wrong}\n"
        )
        message = problem(path)
        assert "live.poll_seconds" in message and "\n" not in message, message


def test_a_source_may_authenticate_with_a_private_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The PEM as an environment variable often has its line breaks written as \n.
    monkeypatch.setenv("SPOKESYNC_TEST_KEY", _keys()["ec"].replace("\n", "\\n"))
    source = SOURCES.replace(
        f'client_secret = "{LITERAL_SECRET}"',
        'private_key = "${SPOKESYNC_TEST_KEY}"\nalgorithm = "ES256"\nkey_id = "k1"',
    )
    loaded = load(write(tmp_path, OKTA + source + BINDINGS))
    apac = loaded.sources["apac"]
    pem = apac.private_key_pem()
    assert apac.client_secret is None and apac.key_id == "k1" and apac.algorithm == "ES256"
    assert pem is not None and pem.get_secret_value() == _keys()["ec"]
    assert redact(_keys()["ec"]) == "[REDACTED]"


def test_activation_defaults_to_federated_with_an_okta_idp_and_email_otherwise(
    tmp_path: Path,
) -> None:
    plain = load(write(tmp_path, GOOD)).sources["apac"]
    assert (plain.activation, plain.activation_mode) == (None, "email")
    idp = load(write(tmp_path, OKTA + SOURCES + 'okta_idp_id = "0oaIdp1"\n' + BINDINGS))
    assert idp.sources["apac"].activation_mode == "federated"
    staged = OKTA + SOURCES + 'okta_idp_id = "0oaIdp1"\nactivation = "staged"\n' + BINDINGS
    assert load(write(tmp_path, staged)).sources["apac"].activation_mode == "staged"


def test_an_unknown_activation_names_the_key_and_the_choices(tmp_path: Path) -> None:
    text = problem(write(tmp_path, OKTA + SOURCES + 'activation = "invite"\n' + BINDINGS))
    assert "sources.apac.activation" in text
    assert all(choice in text for choice in ("federated", "email", "staged"))


def test_a_user_type_needs_the_user_types_scope(tmp_path: Path) -> None:
    _with_key(tmp_path)
    typed = OAUTH_OKTA + SOURCES + 'okta_user_type = "Partner"\n' + BINDINGS
    assert load(write(tmp_path, typed)).required_okta_scopes() == (
        "okta.users.manage",
        "okta.groups.manage",
        "okta.userTypes.read",
    )


def test_serve_defaults_to_loopback_and_its_token_is_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load(write(tmp_path, GOOD)).serve.http == "127.0.0.1:8470"
    token = "serve-token-0123456789abcdef0123456789"
    monkeypatch.setenv("SPOKESYNC_TEST_SERVE", token)
    config = load(
        write(tmp_path, GOOD + '[serve]\nhttp = "off"\ntoken = "${SPOKESYNC_TEST_SERVE}"\n')
    )
    assert config.serve.http == "off"
    assert token in config.secrets() and token not in repr(config)
    assert redact(f"the token is {token}") == "the token is [REDACTED]"
