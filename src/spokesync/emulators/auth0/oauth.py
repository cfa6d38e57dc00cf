"""``POST /oauth/token``: the client-credentials grant, by secret or by private_key_jwt.

Accepts JSON and form bodies (reference §1: auth0-python sends both). Errors are OAuth-shaped.
The client is authenticated before the audience is checked, as a real authorization server does.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from spokesync.emulators.auth0.endpoint import base_url, context_of, is_form
from spokesync.emulators.auth0.errors import OAUTH_CONTENT_TYPE, OAuthError, json_response
from spokesync.emulators.auth0.tokens import JWT_BEARER


async def _parameters(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if is_form(request):
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise OAuthError(400, "invalid_request", "Invalid request body: malformed JSON") from None
    if not isinstance(body, dict):
        raise OAuthError(400, "invalid_request", "Invalid request body: expected an object")
    return body


def _text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) and value else None


async def _token(request: Request) -> Response:
    ctx = context_of(request)
    params = await _parameters(request)
    grant_type = _text(params, "grant_type")
    if grant_type is None:
        raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
    if grant_type != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    here = base_url(request)
    client_id = _text(params, "client_id")
    assertion_type = _text(params, "client_assertion_type")
    if assertion_type is not None:
        assertion = _text(params, "client_assertion")
        if assertion_type != JWT_BEARER or assertion is None:
            raise OAuthError(
                400,
                "invalid_request",
                f"client_assertion_type must be {JWT_BEARER} with a client_assertion",
            )
        client = ctx.tokens.authenticate_assertion(client_id, assertion, f"{here}/")
    else:
        secret = _text(params, "client_secret")
        if client_id is None or secret is None:
            raise OAuthError(401, "access_denied", "Unauthorized")
        client = ctx.tokens.authenticate_secret(client_id, secret)
    audience = _text(params, "audience")
    expected = f"{here}/api/v2/"
    if audience is None:
        raise OAuthError(400, "invalid_request", "Missing required parameter: audience")
    if audience != expected:
        raise OAuthError(403, "access_denied", f"Service not enabled within domain: {audience}")
    return json_response(ctx.tokens.issue(client, here), content_type=OAUTH_CONTENT_TYPE)


async def token_endpoint(request: Request) -> Response:
    try:
        return await _token(request)
    except OAuthError as error:
        return error.response()


ROUTES = [Route("/oauth/token", token_endpoint, methods=["POST"])]
