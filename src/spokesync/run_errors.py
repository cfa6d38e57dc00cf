"""What an error that stops a run tells a person: which source or Okta org, which config key,
what to do, and the exit code it earns.

The clients raise :mod:`spokesync.http.errors` exceptions that know the service, the call and
the answer, but not the config: this module maps them onto it. Credentials refused and scopes
missing are config problems (exit 2): no retry fixes them. A service that could not be reached,
or answered 5xx (or 429, or nonsense) through every retry, is exit 5: try again later. Anything
else that stops a whole run is exit 1.
"""

from __future__ import annotations

import re

from spokesync.config import Config
from spokesync.http.errors import (
    ApiError,
    AuthError,
    MalformedResponse,
    RateLimited,
    ScopeError,
    ServerError,
    TransportError,
)
from spokesync.oauth_scopes import scope_for

EXIT_PARTIAL = 1
EXIT_CONFIG = 2
EXIT_UNREACHABLE = 5

_AUTH0_SCOPE = re.compile(r"expected (?:any|all) of: ([\w:, ]+)")
_OKTA_SCOPE = re.compile(r"\bokta\.[A-Za-z]+\.[A-Za-z]+\b")
AUTH0_GRANT = (
    "grant it in the Auth0 dashboard: Applications > APIs > Auth0 Management API > "
    "Machine To Machine Applications, the application's API permissions"
)


def explain(exc: ApiError, config: Config) -> tuple[int, str]:
    """The exit code and the one line for ``exc``, which stopped a run of ``config``."""
    source = _source_of(exc, config)
    answer = _answer(exc)
    if isinstance(exc, AuthError):
        return EXIT_CONFIG, _refused_credentials(exc, config, source, answer)
    if isinstance(exc, ScopeError):
        return EXIT_CONFIG, _missing_scope(exc, config, source, answer)
    where = f"source {source} ({config.sources[source].base_url})" if source else _okta(config)
    key = f"sources.{source}.domain" if source else "okta.org_url"
    call = f"{exc.method} {exc.url}".strip()
    if isinstance(exc, TransportError):
        return EXIT_UNREACHABLE, (
            f"{where} could not be reached: {call}: {exc.message}; "
            f"check {key} and the network, then run again"
        )
    if isinstance(exc, ServerError | RateLimited | MalformedResponse):
        what = "answered nonsense" if isinstance(exc, MalformedResponse) else "kept failing"
        return EXIT_UNREACHABLE, (
            f"{where} {what} through every retry: {call} {answer}: {exc.message}; "
            "nothing more was applied: run again later"
        )
    return EXIT_PARTIAL, f"the run stopped: {exc}"


def _okta(config: Config) -> str:
    return f"okta org {config.okta.org_url}"


def _answer(exc: ApiError) -> str:
    status = f"-> {exc.status}" if exc.status is not None else ""
    code = f" ({exc.code})" if exc.code else ""
    return f"{status}{code}".strip()


def _source_of(exc: ApiError, config: Config) -> str | None:
    """The source whose tenant answered, or None for Okta."""
    if exc.service == "okta":
        return None
    for name, source in config.sources.items():
        if exc.url.startswith(source.base_url.rstrip("/")):
            return name
    return next(iter(config.sources)) if len(config.sources) == 1 else None


def _refused_credentials(exc: ApiError, config: Config, source: str | None, answer: str) -> str:
    call = f"{exc.method} {exc.url} {answer}: {exc.message}".strip()
    if source is not None:
        spec = config.sources[source]
        if spec.client_secret is not None:
            key = f"sources.{source}.client_secret"
        elif spec.private_key_file:
            key = f"sources.{source}.private_key_file"
        else:
            key = f"sources.{source}.private_key"
        return (
            f"source {source}: Auth0 refused the credentials of client {spec.client_id} "
            f"({call}); check {key} (and sources.{source}.client_id) against the application's "
            "Credentials in the Auth0 dashboard"
        )
    oauth = config.okta.oauth
    if oauth is None:
        return (
            f"{_okta(config)} refused the API token ({call}); check okta.token: it must be an "
            "active SSWS token (Okta Admin Console: Security > API > Tokens)"
        )
    key = "okta.oauth.private_key_file" if oauth.private_key_file else "okta.oauth.private_key"
    return (
        f"{_okta(config)} refused the service app {oauth.client_id} ({call}); check {key} "
        "(and okta.oauth.key_id) against the app's public keys, and okta.oauth.client_id"
    )


def _missing_scope(exc: ApiError, config: Config, source: str | None, answer: str) -> str:
    call = f"{exc.method} {exc.url} {answer}: {exc.message}".strip()
    if source is not None:
        found = _AUTH0_SCOPE.search(exc.message)
        scope = found.group(1).strip() if found else "a scope this call needs"
        client = config.sources[source].client_id
        return (
            f"source {source}: the Auth0 application {client} (sources.{source}.client_id) "
            f"lacks {scope} ({call}); {AUTH0_GRANT}"
        )
    named = _OKTA_SCOPE.findall(exc.message)
    path = exc.url.split("://", 1)[-1].partition("/")[2]
    scope = " ".join(dict.fromkeys(named)) or scope_for(exc.method, "/" + path) or "a scope"
    oauth = config.okta.oauth
    if oauth is None:
        return (
            f"{_okta(config)}: the admin of okta.token may not make this call ({call}, "
            f"{scope}); give that admin a role that may manage the bound groups and their users"
        )
    return (
        f"{_okta(config)}: the service app {oauth.client_id} (okta.oauth.client_id) lacks "
        f"{scope} ({call}); grant it in the Okta Admin Console: Applications > the app > "
        "Okta API Scopes" + (" (and add it to okta.oauth.scopes)" if oauth.scopes else "")
    )
