"""Signing in and out: the token form (a service without OIDC), ``/auth/login`` and
``/auth/callback`` (OpenID Connect with the hub), and sign-out, which ends the session.

Every sign-in makes a new server-side session (a fresh random id; the old one, if any, is not
reused). The session cookie is SameSite=Strict; only the login cookie, which must come back
with the issuer's cross-site redirect to ``/auth/callback``, is SameSite=Lax. Because a
Strict cookie set during that cross-site redirect would not be sent on a further redirect,
the callback answers with a page that moves on to the dashboard from our own origin.
"""

from __future__ import annotations

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from spokesync.web.auth import Throttled
from spokesync.web.context import context_of
from spokesync.web.oidc import LOGIN_SECONDS, OidcError
from spokesync.web.pages import message, read_form, render
from spokesync.web.sessions import (
    SESSION_COOKIE,
    TOKEN,
    Principal,
    cookie_name,
    delete_cookie,
    set_cookie,
)

log = structlog.get_logger("spokesync.web.signin")

LOGIN_COOKIE = "spokesync_oidc"


def token_form(request: Request) -> Response:
    if context_of(request).guard.oidc_enabled:
        return RedirectResponse("/auth/login", 303)
    return render(request, "signin.html", error=None)


async def token_sign_in(request: Request) -> Response:
    """Check the token once (throttled per client) and start a session."""
    guard = context_of(request).guard
    if guard.oidc_enabled:
        return RedirectResponse("/auth/login", 303)
    form = await read_form(request)
    if form is None or not form.csrf_ok:
        return render(request, "signin.html", 403, error="The form expired: try again.")
    try:
        matches = guard.check_token(request, form.get("token"))
    except Throttled as exc:
        throttled = render(request, "signin.html", 429, error=f"Too many wrong tokens: {exc}.")
        throttled.headers["Retry-After"] = str(exc.retry_after)
        return throttled
    if not matches:
        return render(request, "signin.html", 401, error="That is not the service's token.")
    session_id = await run_in_threadpool(guard.sessions.start, TOKEN)
    response = RedirectResponse("/", 303)
    set_cookie(request, response, SESSION_COOKIE, session_id)
    log.info("signed in", subject="token")
    return response


async def sign_out(request: Request) -> Response:
    """End the session (its cookie is refused from now on, wherever it was copied)."""
    guard = context_of(request).guard
    form = await read_form(request)
    if form is None or not form.csrf_ok:
        return message(request, "Refused", "The form expired: reload the page and try again.", 403)
    cookie = request.cookies.get(cookie_name(request, SESSION_COOKIE))
    who = await run_in_threadpool(guard.sessions.find, cookie) if cookie else None
    if who is not None:
        await run_in_threadpool(guard.sessions.end, who)
        log.info("signed out", subject=who.subject)
    if guard.oidc_enabled:
        response: Response = render(request, "signed_out.html")
    else:
        response = RedirectResponse("/signin", 303)
    delete_cookie(request, response, SESSION_COOKIE)
    return response


async def oidc_login(request: Request) -> Response:
    """Send the browser to the issuer, keeping state, nonce and the PKCE verifier in a cookie."""
    context = context_of(request)
    if context.oidc is None:
        return RedirectResponse("/signin", 303)
    try:
        url, login = await context.oidc.begin()
    except OidcError as exc:
        log.warning("sign-in cannot start", error=str(exc))
        return message(request, "Sign-in unavailable", f"Sign-in cannot start: {exc}.", 502)
    response = RedirectResponse(url, 303)
    set_cookie(
        request,
        response,
        LOGIN_COOKIE,
        context.oidc.seal(login),
        samesite="lax",
        max_age=LOGIN_SECONDS,
    )
    return response


async def oidc_callback(request: Request) -> Response:
    """Finish the sign-in: verify the ID token, map its groups to roles, start a session."""
    context = context_of(request)
    if context.oidc is None:
        return RedirectResponse("/signin", 303)
    params = request.query_params
    login = context.oidc.unseal(request.cookies.get(cookie_name(request, LOGIN_COOKIE)))
    if params.get("error"):
        # The issuer's own words are attacker-reachable text: shown escaped and cut short.
        reason = str(params.get("error_description") or params["error"])[:200]
        return _refused(request, f"The hub did not sign you in: {reason}", 403)
    if login is None:
        return _refused(
            request,
            "The sign-in took too long or began in another browser: sign in again.",
            400,
        )
    try:
        person = await context.oidc.finish(login, params.get("state", ""), params.get("code", ""))
    except OidcError as exc:
        log.warning("sign-in refused", error=str(exc))
        return _refused(request, f"Sign-in refused: {exc}.", 401)
    roles = context.config.serve.roles.roles_of(person.groups)
    who = Principal(person.subject, person.email, person.name, roles)
    if not roles:
        log.info("signed in without a role", subject=person.subject)
        response = render(request, "no_role.html", 403, who=who)
        delete_cookie(request, response, LOGIN_COOKIE, samesite="lax")
        return response
    session_id = await run_in_threadpool(context.guard.sessions.start, who)
    log.info("signed in", subject=who.subject, roles=sorted(roles))
    response = render(request, "signed_in.html", who=who)
    set_cookie(request, response, SESSION_COOKIE, session_id)
    delete_cookie(request, response, LOGIN_COOKIE, samesite="lax")
    return response


def _refused(request: Request, text: str, status: int) -> Response:
    response = message(
        request, "Not signed in", text, status, link=("/auth/login", "Sign in again")
    )
    delete_cookie(request, response, LOGIN_COOKIE, samesite="lax")
    return response
