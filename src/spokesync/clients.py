"""Build the API clients a run needs from the config: one per source, one for Okta.

``transport_for`` is the network seam: given a base URL it may return an httpx transport
(tests pass ``httpx.ASGITransport`` of an emulator); None means the real network.

Credentials come from the config: an SSWS token or an OAuth service app (private_key_jwt) for
Okta, a client secret or a private key (private_key_jwt) for each Auth0 source. Every secret,
private key and access token obtained at run time is registered with :mod:`spokesync.redact`.
TLS verification is always on (a source may name a CA bundle); every call has a timeout.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
import structlog

from spokesync import logs
from spokesync.auth0.client import Auth0Client
from spokesync.auth0.token import AccessToken, ClientCredentials
from spokesync.config import Config, SourceConfig, is_loopback_host, register_secrets
from spokesync.http.errors import ScopeError, error_from_response
from spokesync.http.session import ApiSession
from spokesync.oauth_scopes import covers, missing, scope_for
from spokesync.okta.client import OktaClient
from spokesync.okta.oauth import PrivateKeyJwtToken
from spokesync.redact import register_secret

TransportFor = Callable[[str], httpx.AsyncBaseTransport | None]
log = structlog.get_logger("spokesync.clients")


class RedactedClientCredentials(ClientCredentials):
    """Auth0 client credentials whose access tokens are registered for redaction."""

    async def token(
        self, session: ApiSession, *, refresh: bool = False, stale: str | None = None
    ) -> AccessToken:
        token = await super().token(session, refresh=refresh, stale=stale)
        register_secret(token.value)
        return token


class RedactedPrivateKeyJwtToken(PrivateKeyJwtToken):
    """Okta OAuth tokens (private_key_jwt) registered for redaction as soon as they arrive."""

    async def header(
        self, session: ApiSession, *, refresh: bool = False, stale: str | None = None
    ) -> str:
        value = await super().header(session, refresh=refresh, stale=stale)
        register_secret(value.partition(" ")[2])
        return value


@dataclass
class Clients:
    """The clients of one run."""

    auth0: dict[str, Auth0Client]
    okta: OktaClient
    #: the Okta OAuth token source; None when the config uses an SSWS API token
    okta_oauth: PrivateKeyJwtToken | None = None

    def call_counts(self) -> dict[str, int]:
        """API calls sent so far, per service (``auth0`` adds up every source)."""
        return {
            "auth0": sum(c.calls.total() for c in self.auth0.values()),
            "okta": self.okta.calls.total(),
        }

    def rate_limited_counts(self) -> dict[str, int]:
        """429 answers received so far, per service."""
        return {
            "auth0": sum(c.rate_limited for c in self.auth0.values()),
            "okta": self.okta.rate_limited,
        }

    def retry_counts(self) -> dict[str, dict[str, int]]:
        """Calls sent again so far, per service, by what failed (``"429"``, ``"503"``, ...)."""
        auth0: Counter[str] = Counter()
        for client in self.auth0.values():
            auth0.update(client.retried)
        return {"auth0": dict(auth0), "okta": dict(self.okta.retried)}


def _warn_plain_http(url: str, what: str) -> None:
    parts = httpx.URL(url)
    if parts.scheme == "http" and is_loopback_host(parts.host):
        logs.warn_once(log, "plain http to loopback", target=what, url=url)


def source_credentials(source: SourceConfig) -> ClientCredentials:
    """The client-credentials grant of a source: its client secret, or its private key."""
    pem = source.private_key_pem()
    return RedactedClientCredentials(
        source.client_id,
        source.client_secret if pem is None else None,
        private_key_pem=pem,
        key_id=source.key_id,
        algorithm=source.algorithm,
        audience=source.token_audience,
    )


def okta_authorization(config: Config) -> str | PrivateKeyJwtToken:
    """The SSWS token, or the OAuth service app's token source for the scopes to request."""
    oauth = config.okta.oauth
    if oauth is None:
        assert config.okta.token is not None  # the config guarantees one of them
        return config.okta.token.get_secret_value()
    pem = oauth.private_key_pem()
    assert pem is not None  # the config guarantees a key with [okta.oauth]
    return RedactedPrivateKeyJwtToken(
        config.okta.org_url,
        oauth.client_id,
        pem,
        config.okta_scopes(),
        key_id=oauth.key_id,
        algorithm=oauth.algorithm,
    )


def _name_missing_scope(token: PrivateKeyJwtToken) -> Callable[[httpx.Response], object]:
    """A response hook that turns Okta's scope-less 403 into a ScopeError naming the scope.

    Okta answers a call outside the token's scopes with 403 E0000006 ("You do not have
    permission"), which does not say what is missing; the operator needs the scope's name.
    """

    async def hook(response: httpx.Response) -> None:
        request = response.request
        if response.status_code != 403 or not request.headers.get("authorization", "").startswith(
            "Bearer "
        ):
            return
        await response.aread()
        error = error_from_response("okta", response)
        if type(error) is not ScopeError:
            return  # a lifecycle conflict (E0000038 and kin), not a permission problem
        needed = scope_for(request.method, request.url.path)
        granted = token.granted_scopes or token.scopes
        if needed is not None and not covers(granted, needed):
            hint = (
                f"the call needs scope {needed}, which the OAuth token lacks "
                f"(granted: {' '.join(granted) or 'none'}); grant it to the service app "
                "and list it in okta.oauth.scopes"
            )
        else:
            hint = (
                f"the token holds {needed or 'the scopes asked'}: the service app's admin role "
                "does not allow this call"
            )
        raise ScopeError(
            f"{error.message}: {hint}",
            service=error.service,
            method=error.method,
            url=error.url,
            status=error.status,
            code=error.code,
        )

    return hook


@asynccontextmanager
async def open_clients(
    config: Config, transport_for: TransportFor | None = None
) -> AsyncIterator[Clients]:
    """Open every client for the run and close them all afterwards."""
    register_secrets(config)
    pick = transport_for or (lambda _url: None)
    async with AsyncExitStack() as stack:
        auth0: dict[str, Auth0Client] = {}
        for name, source in config.sources.items():
            _warn_plain_http(source.base_url, f"source {name}")
            auth0[name] = await stack.enter_async_context(
                Auth0Client(
                    source.base_url,
                    source_credentials(source),
                    source=name,
                    timeout=source.timeout_seconds,
                    verify=source.ca_bundle or True,
                    transport=pick(source.base_url),
                    max_concurrency=config.okta.max_concurrency,
                )
            )
        _warn_plain_http(config.okta.org_url, "okta")
        authorization = okta_authorization(config)
        okta = await stack.enter_async_context(
            OktaClient(
                config.okta.org_url,
                authorization,
                timeout=config.okta.timeout_seconds,
                verify=config.okta.ca_bundle or True,
                transport=pick(config.okta.org_url),
                max_concurrency=config.okta.max_concurrency,
                rate_limit_share=config.okta.rate_limit_share,
            )
        )
        oauth = authorization if isinstance(authorization, PrivateKeyJwtToken) else None
        if oauth is not None:
            okta.session.http.event_hooks["response"].append(_name_missing_scope(oauth))
            lacking = missing(oauth.scopes, config.required_okta_scopes())
            if lacking:
                log.warning(
                    "okta.oauth.scopes lacks scopes a sync needs",
                    missing=" ".join(lacking),
                    requested=" ".join(oauth.scopes),
                )
        yield Clients(auth0=auth0, okta=okta, okta_oauth=oauth)
