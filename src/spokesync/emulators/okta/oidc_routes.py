"""The org authorization server as an OpenID provider: discovery, ``/authorize`` with a sign-in
page, the authorization-code grant of ``/token``, ``/keys``, ``/userinfo`` and ``/logout``.

Written from Okta's OAuth spec (``okta-oauth-oneOfInheritance.yaml``): the ``OrgASOidcMetadata``
example for discovery, the ``/authorize`` parameters (``state`` required, PKCE with
``code_challenge_method`` S256 only), the OAuthError examples for ``/token``
(``invalid_grant`` "The authorization code is invalid or has expired.", ``invalid_client`` "No
client credentials found"), ``OAuthKeys`` and ``UserInfo``. Errors about the client or its
redirect URI are shown as a page and never redirected (RFC 6749 4.1.2.1); the others go back to
the redirect URI with ``error`` and ``state``.
"""

from __future__ import annotations

import base64
import hmac
import html
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import base_url
from spokesync.emulators.okta.oidc_state import (
    TOKEN_LIFETIME,
    AuthorizationRequest,
    OidcApp,
    OidcProvider,
    s256,
)
from spokesync.emulators.okta.state import Org, UserRecord

#: The largest form the sign-in page or ``/token`` reads.
MAX_FORM_BYTES = 16384
_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
_AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)
#: every page's head: no icon (a browser would ask for /favicon.ico and log the 404)
_HEAD = "<!doctype html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
#: users whose status lets them sign in
_CAN_SIGN_IN = frozenset({"ACTIVE", "PASSWORD_EXPIRED"})


class OAuthError(Exception):
    """An OAuthError response (``error``, ``error_description``) with its status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, self.status, headers=_NO_STORE)


def _provider(request: Request) -> tuple[Org, OidcProvider]:
    org: Org = request.app.state.org
    return org, org.oidc


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise OAuthError(400, "invalid_request", "The request body is too large.")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise OAuthError(400, "invalid_request", "The request body is not UTF-8.") from None


# discovery and keys ---------------------------------------------------------------------


def openid_configuration(request: Request) -> Response:
    """``GET /.well-known/openid-configuration``: the org authorization server's metadata."""
    issuer = base_url(request)
    return JSONResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth2/v1/authorize",
            "token_endpoint": f"{issuer}/oauth2/v1/token",
            "userinfo_endpoint": f"{issuer}/oauth2/v1/userinfo",
            "jwks_uri": f"{issuer}/oauth2/v1/keys",
            "end_session_endpoint": f"{issuer}/oauth2/v1/logout",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ],
            "claims_supported": [
                "iss",
                "ver",
                "sub",
                "aud",
                "iat",
                "exp",
                "jti",
                "auth_time",
                "amr",
                "idp",
                "nonce",
                "name",
                "preferred_username",
                "email",
                "email_verified",
                "groups",
            ],
            "code_challenge_methods_supported": ["S256"],
        }
    )


def keys(request: Request) -> Response:
    """``GET /oauth2/v1/keys``: the public keys that sign ID tokens."""
    _, provider = _provider(request)
    return JSONResponse(provider.jwks(), headers={"cache-control": "max-age=3600"})


# /authorize -----------------------------------------------------------------------------


def _error_page(status: int, title: str, text: str) -> HTMLResponse:
    page = (
        f"{_HEAD}<title>Okta</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return HTMLResponse(page, status)


class _PageError(Exception):
    """An /authorize problem shown as a page (never redirected to an unverified URI)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _RedirectError(Exception):
    """An /authorize problem sent back to the (verified) redirect URI."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(error)
        self.error = error
        self.description = description


def _redirect(uri: str, params: Mapping[str, str]) -> RedirectResponse:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return RedirectResponse(urlunsplit(parts._replace(query=query)), 302)


def _authorization_request(
    provider: OidcProvider, params: Mapping[str, str]
) -> AuthorizationRequest:
    """The request ``params`` make, checked as ``/authorize`` checks it."""
    app = provider.apps.get(params.get("client_id", ""))
    if app is None:
        raise _PageError("The client_id is not known to this authorization server.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        raise _PageError(
            "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings."
        )
    if params.get("response_type") != "code":
        raise _RedirectError(
            "unsupported_response_type", "The response type is not supported by the client."
        )
    state = params.get("state", "")
    if not state:
        raise _RedirectError("invalid_request", "The 'state' parameter is required.")
    scopes = tuple(params.get("scope", "").split())
    if "openid" not in scopes:
        raise _RedirectError("invalid_scope", "The authentication request has an invalid 'scope'.")
    challenge = params.get("code_challenge") or None
    if challenge is not None and params.get("code_challenge_method") != "S256":
        raise _RedirectError(
            "invalid_request", "'code_challenge_method' is invalid. It must be 'S256'."
        )
    if challenge is None and params.get("code_challenge_method"):
        raise _RedirectError("invalid_request", "'code_challenge' is required with its method.")
    return AuthorizationRequest(
        app.client_id, redirect_uri, scopes, state, params.get("nonce") or None, challenge
    )


def _sign_in_page(params: Mapping[str, str], error: str | None, status: int = 200) -> HTMLResponse:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in _AUTHORIZE_FIELDS
        if params.get(name)
    )
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    page = (
        f"{_HEAD}<title>Sign In</title></head><body>"
        "<main><h1>Sign In</h1>"
        f"{problem}"
        '<form method="post" action="/oauth2/v1/authorize">'
        f"{hidden}"
        '<label>Username <input name="username" autocomplete="username"></label>'
        '<label>Password <input name="password" type="password" '
        'autocomplete="current-password"></label>'
        '<button type="submit">Sign In</button>'
        "</form></main></body></html>"
    )
    return HTMLResponse(page, status, headers={"cache-control": "no-store"})


def _authorize_answer(
    provider: OidcProvider,
    params: Mapping[str, str],
    respond: Callable[[AuthorizationRequest], Response],
) -> Response:
    """Check the request, then ``respond`` to it; errors as the spec says to give them."""
    try:
        wanted = _authorization_request(provider, params)
    except _PageError as exc:
        return _error_page(400, "Bad request", exc.text)
    except _RedirectError as exc:
        return _redirect(
            params["redirect_uri"],
            {
                "error": exc.error,
                "error_description": exc.description,
                "state": params.get("state", ""),
            },
        )
    return respond(wanted)


def authorize(request: Request) -> Response:
    """``GET /oauth2/v1/authorize``: show the sign-in page for a valid request."""
    _, provider = _provider(request)
    params = dict(request.query_params)
    return _authorize_answer(provider, params, lambda _wanted: _sign_in_page(params, None))


def _user_signing_in(org: Org, username: str, password: str) -> UserRecord | None:
    user = org.user_by_login(username.strip()) if username.strip() else None
    if user is None or user.status not in _CAN_SIGN_IN:
        org.oidc.password_matches("", password)  # same work whether or not the user exists
        return None
    return user if org.oidc.password_matches(user.id, password) else None


async def sign_in(request: Request) -> Response:
    """``POST /oauth2/v1/authorize`` from the sign-in page: check the password, then send the
    browser back to the redirect URI with ``code`` and ``state``."""
    org, provider = _provider(request)
    try:
        form = await _form(request)
    except OAuthError as exc:
        return _error_page(exc.status, "Bad request", exc.description)

    def respond(wanted: AuthorizationRequest) -> Response:
        user = _user_signing_in(org, form.get("username", ""), form.get("password", ""))
        if user is None:
            return _sign_in_page(form, "Unable to sign in", 401)
        code = provider.issue_code(wanted, user.id)
        return _redirect(wanted.redirect_uri, {"code": code, "state": wanted.state})

    return _authorize_answer(provider, form, respond)


# /token: the authorization_code grant ---------------------------------------------------


def _client_credentials(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
    """(client_id, client_secret) from client_secret_basic or client_secret_post."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    basic = None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise OAuthError(
                401, "invalid_client", "Invalid value for 'client_id' parameter."
            ) from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise OAuthError(401, "invalid_client", "Invalid value for 'client_id' parameter.")
        # RFC 6749 2.3.1: both parts are form-urlencoded before they are joined.
        basic = (unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " ")))
    posted = form.get("client_secret")
    if basic is not None and posted is not None:
        raise OAuthError(
            400,
            "invalid_request",
            "Cannot supply multiple client credentials. Use one of the following: credentials in "
            "the Authorization header, credentials in the post body, or a client_assertion in "
            "the post body.",
        )
    if basic is not None:
        named = form.get("client_id")
        if named is not None and named != basic[0]:
            raise OAuthError(401, "invalid_client", "The client_id does not match the credentials.")
        return basic
    if posted is not None and form.get("client_id"):
        return form["client_id"], posted
    raise OAuthError(401, "invalid_client", "No client credentials found.")


def _authenticated_app(provider: OidcProvider, client_id: str, secret: str) -> OidcApp:
    app = provider.apps.get(client_id)
    if app is None:
        raise OAuthError(401, "invalid_client", "Invalid value for 'client_id' parameter.")
    if not hmac.compare_digest(app.client_secret.encode(), secret.encode()):
        raise OAuthError(
            401,
            "invalid_client",
            "The client secret supplied for a confidential client is invalid.",
        )
    return app


def _group_names(org: Org, user_id: str) -> list[str]:
    return sorted(org.groups[group_id].name for group_id in org.groups_of(user_id))


def _display_name(user: UserRecord) -> str:
    profile = user.profile
    parts = [str(profile.get(k) or "") for k in ("firstName", "lastName")]
    return " ".join(p for p in parts if p) or str(profile.get("login"))


async def exchange_code(request: Request, org: Org, form: Mapping[str, str]) -> Response:
    """The ``authorization_code`` grant: redeem the code for an access token and an ID token."""
    provider = org.oidc
    app = _authenticated_app(provider, *_client_credentials(request, form))
    issued = provider.redeem(form.get("code", ""))
    if issued is None:
        raise OAuthError(400, "invalid_grant", "The authorization code is invalid or has expired.")
    wanted = issued.request
    if wanted.client_id != app.client_id:
        raise OAuthError(
            400,
            "invalid_grant",
            "The grant was issued to another client. Ensure that the `client_id` matches the one "
            "used at the authorize request.",
        )
    if form.get("redirect_uri") != wanted.redirect_uri:
        raise OAuthError(
            400,
            "invalid_grant",
            "The 'redirect_uri' does not match the redirection URI used in the authorization "
            "request.",
        )
    if wanted.code_challenge is not None:
        verifier = form.get("code_verifier", "")
        if not verifier or not verifier.isascii():
            raise OAuthError(400, "invalid_grant", "PKCE verification failed.")
        if not hmac.compare_digest(s256(verifier), wanted.code_challenge):
            raise OAuthError(400, "invalid_grant", "PKCE verification failed.")
    user = org.users.get(issued.user_id)
    if user is None or user.status not in _CAN_SIGN_IN:
        raise OAuthError(400, "invalid_grant", "The authorization code is invalid or has expired.")
    now = int(provider.clock())
    issuer = base_url(request)
    claims: dict[str, Any] = {
        "sub": user.id,
        "ver": 1,
        "iss": issuer,
        "aud": app.client_id,
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "jti": "ID." + secrets.token_urlsafe(24),
        "amr": ["pwd"],
        "idp": org.everyone_id,
        "auth_time": int(issued.auth_time),
        "preferred_username": user.profile.get("login"),
        "groups": app.groups_claim(_group_names(org, user.id)),
    }
    if wanted.nonce is not None:
        claims["nonce"] = wanted.nonce
    if "email" in wanted.scopes:
        claims["email"] = user.profile.get("email")
        claims["email_verified"] = True
    if "profile" in wanted.scopes:
        claims["name"] = _display_name(user)
    access_token = provider.issue_access_token(user.id, app.client_id, wanted.scopes)
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "access_token": access_token,
            "scope": " ".join(wanted.scopes),
            "id_token": provider.sign(claims),
        },
        headers=_NO_STORE,
    )


# /userinfo and /logout ------------------------------------------------------------------


def userinfo(request: Request) -> Response:
    """``GET /oauth2/v1/userinfo``: the claims of the access token's user."""
    org, provider = _provider(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = provider.access_token(value.strip()) if scheme.lower() == "bearer" else None
    user = org.users.get(token.user_id) if token is not None else None
    if token is None or user is None:
        challenge = 'Bearer error="invalid_token", error_description="The access token is invalid"'
        return Response(status_code=401, headers={"WWW-Authenticate": challenge})
    claims: dict[str, Any] = {"sub": user.id}
    if "profile" in token.scopes:
        claims.update(
            name=_display_name(user),
            preferred_username=user.profile.get("login"),
            given_name=user.profile.get("firstName"),
            family_name=user.profile.get("lastName"),
        )
    if "email" in token.scopes:
        claims.update(email=user.profile.get("email"), email_verified=True)
    if "groups" in token.scopes:
        app = provider.apps.get(token.client_id)
        names = _group_names(org, user.id)
        claims["groups"] = app.groups_claim(names) if app is not None else names
    return JSONResponse(claims)


async def logout(request: Request) -> Response:
    """``GET|POST /oauth2/v1/logout``: end the (emulated, stateless) Okta session and go to
    the registered ``post_logout_redirect_uri``, or show that the user signed out."""
    _, provider = _provider(request)
    if request.method == "POST":
        try:
            params = await _form(request)
        except OAuthError as exc:
            return _error_page(exc.status, "Bad request", exc.description)
    else:
        params = dict(request.query_params)
    hint = params.get("id_token_hint", "")
    claims = provider.verify(hint) if hint else None
    if claims is None:
        return _error_page(400, "Bad request", "The 'id_token_hint' parameter is not valid.")
    app = provider.apps.get(str(claims.get("aud")))
    target = params.get("post_logout_redirect_uri")
    if target:
        if app is None or target not in app.post_logout_redirect_uris:
            return _error_page(
                400,
                "Bad request",
                "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the "
                "client app settings.",
            )
        state = params.get("state")
        return _redirect(target, {"state": state} if state else {})
    return _error_page(200, "Signed out", "You have been signed out.")


ROUTES = [
    Route("/.well-known/openid-configuration", openid_configuration),
    Route("/oauth2/v1/authorize", authorize),
    Route("/oauth2/v1/authorize", sign_in, methods=["POST"]),
    Route("/oauth2/v1/keys", keys),
    Route("/oauth2/v1/userinfo", userinfo),
    Route("/oauth2/v1/logout", logout, methods=["GET", "POST"]),
]
