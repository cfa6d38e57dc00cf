"""``POST /oauth2/v1/token`` of the org authorization server: client credentials with
``private_key_jwt`` (reference §9), minting one-hour Bearer tokens that carry scopes; the
``authorization_code`` grant of OIDC sign-in is :func:`oidc_routes.exchange_code`'s."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta import oidc_routes
from spokesync.emulators.okta.endpoint import base_url
from spokesync.emulators.okta.oidc_routes import OAuthError
from spokesync.emulators.okta.state import IssuedToken, OAuthClient, Org

TOKEN_LIFETIME = 3600
#: how far ahead a client assertion may expire (Okta: at most one hour), with clock slack
MAX_ASSERTION_LIFETIME = 3600 + 5
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")


def _invalid_client(description: str) -> OAuthError:
    return OAuthError(401, "invalid_client", description)


def _verified_claims(assertion: str, client: OAuthClient, audience: str) -> dict[str, Any]:
    try:
        algorithm = jwt.get_unverified_header(assertion).get("alg")
    except jwt.PyJWTError:
        raise _invalid_client("The client_assertion is not a valid JWT.") from None
    if algorithm not in ALGORITHMS:
        raise _invalid_client("The client_assertion signature algorithm is not supported.")
    for key in client.keys:
        try:
            verification_key = jwt.PyJWK(key).key if isinstance(key, dict) else key
            claims: dict[str, Any] = jwt.decode(
                assertion,
                verification_key,
                algorithms=[algorithm],
                audience=audience,
                options={"verify_exp": False, "require": ["exp", "iss", "sub", "aud"]},
            )
            return claims
        except jwt.InvalidAudienceError:
            raise _invalid_client(
                "The audience claim for client_assertion must be the endpoint invoked."
            ) from None
        except (jwt.PyJWTError, ValueError, TypeError):
            continue  # wrong key for this token; try the next one
    raise _invalid_client("The client_assertion signature is invalid.")


def _check_lifetime(org: Org, claims: dict[str, Any]) -> None:
    now = org.clock()
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires <= now:
        raise _invalid_client("The client_assertion token is expired.")
    if expires > now + MAX_ASSERTION_LIFETIME:
        raise _invalid_client(
            "The client_assertion token has an expiration too far into the future."
        )
    jti = claims.get("jti")
    if isinstance(jti, str):
        # forget used assertions once they have expired anyway
        for old in [key for key, until in org.used_assertions.items() if until <= now]:
            del org.used_assertions[old]
        if jti in org.used_assertions:
            raise _invalid_client("The client_assertion token has already been used.")
        org.used_assertions[jti] = float(expires)


async def token(request: Request) -> Response:
    """Issue an access token for the scopes asked, if the client was granted all of them."""
    org: Org = request.app.state.org
    try:
        return await _issue(request, org)
    except OAuthError as error:
        return error.response()


async def _issue(request: Request, org: Org) -> Response:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise OAuthError(400, "invalid_request", "The request must be form-encoded.")
    # parsed here rather than with request.form(), which needs python-multipart
    try:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise OAuthError(400, "invalid_request", "The request body is not UTF-8.") from None
    if form.get("grant_type") == "authorization_code":  # its OAuthError answers like ours
        return await oidc_routes.exchange_code(request, org, form)
    if form.get("grant_type") != "client_credentials":
        raise OAuthError(
            400,
            "unsupported_grant_type",
            "The grant_type must be client_credentials or authorization_code.",
        )
    if form.get("client_assertion_type") != JWT_BEARER:
        raise _invalid_client("Client authentication must use private_key_jwt.")
    assertion = form.get("client_assertion")
    if not assertion:
        raise _invalid_client("The client_assertion is missing.")
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _invalid_client("The client_assertion is not a valid JWT.") from None
    client_id = unverified.get("iss")
    client = org.oauth_clients.get(client_id) if isinstance(client_id, str) else None
    if client is None or unverified.get("sub") != client_id:
        raise _invalid_client("The client_assertion iss and sub must be a known client_id.")
    named = form.get("client_id")
    if named is not None and named != client_id:
        raise _invalid_client("The client_id does not match the client_assertion.")
    claims = _verified_claims(assertion, client, f"{base_url(request)}/oauth2/v1/token")
    _check_lifetime(org, claims)
    requested = form.get("scope", "").split()
    if not requested:
        raise OAuthError(400, "invalid_scope", "The 'scope' parameter must be provided.")
    missing = [scope for scope in requested if scope not in client.scopes]
    if missing:
        raise OAuthError(
            400,
            "invalid_scope",
            "The following scopes are not granted to the client: " + " ".join(missing),
        )
    access_token = secrets.token_urlsafe(32)
    scopes = frozenset(requested)
    org.access_tokens[access_token] = IssuedToken(
        client.client_id, scopes, org.clock() + TOKEN_LIFETIME
    )
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "access_token": access_token,
            "scope": " ".join(requested),
        },
        headers={"cache-control": "no-store", "pragma": "no-cache"},
    )


ROUTES = [Route("/oauth2/v1/token", token, methods=["POST"])]
