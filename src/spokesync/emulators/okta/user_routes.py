"""``/api/v1/users/{id}``: create, read, update, replace and delete users, and their groups
and IdPs. Listing lives in :mod:`user_listing`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import (
    base_url,
    endpoint,
    json_object,
    no_content,
    query_bool,
)
from spokesync.emulators.okta.errors import (
    OktaError,
    forbidden,
    malformed_body,
    not_found,
    wrong_status,
)
from spokesync.emulators.okta.formats import login_key
from spokesync.emulators.okta.log_events import group_target, log_event, user_target
from spokesync.emulators.okta.paging import link_headers, page_of, parse_limit
from spokesync.emulators.okta.profile import duplicate_login, validate_profile
from spokesync.emulators.okta.render import group_json, idp_json, user_json
from spokesync.emulators.okta.state import DEFAULT_USER_TYPE, IDP_PROVIDERS, Org, UserRecord
from spokesync.emulators.okta.user_schema import check_profile

MAX_GROUP_IDS = 20
_CREATE_KEYS = ("profile", "credentials", "groupIds", "type", "realmId")
_UPDATE_KEYS = ("profile", "credentials", "type", "realmId")


def find_user(org: Org, id_or_login: str) -> UserRecord:
    """A user by id or by login (URL-decoded); 404 E0000007 ``(User)`` otherwise."""
    user = org.users.get(id_or_login) or org.user_by_login(id_or_login)
    if user is None:
        raise not_found(id_or_login, "User")
    return user


def _user_response(user: UserRecord, base: str) -> JSONResponse:
    return JSONResponse(user_json(user, base))


def _profile_of(body: Mapping[str, Any]) -> dict[str, Any]:
    profile = body.get("profile", {})
    if not isinstance(profile, dict):
        raise malformed_body()
    return profile


def _apply_credentials(user: UserRecord, credentials: Any, now: float) -> None:
    """Record what the credentials say without keeping any secret value."""
    if credentials is None:
        return
    if not isinstance(credentials, dict):
        raise malformed_body()
    password = credentials.get("password")
    if password is not None:
        if not isinstance(password, dict):
            raise malformed_body()
        if any(password.get(key) for key in ("value", "hash", "hook")):
            user.has_password = True
            user.password_changed = now
    provider = credentials.get("provider")
    if provider is not None:
        if not isinstance(provider, dict):
            raise malformed_body()
        user.provider_type = str(provider.get("type") or "OKTA")
        user.provider_name = str(provider.get("name") or user.provider_type)
    recovery = credentials.get("recovery_question")
    if recovery is not None:
        if not isinstance(recovery, dict):
            raise malformed_body()
        user.recovery_question = str(recovery.get("question") or "")


def _user_type(org: Org, body: Mapping[str, Any]) -> str | None:
    """The ``type.id`` of a create body, if any; an unknown type is 404 E0000007 (UserType),
    as for ``groupIds`` (the spec documents no specific error)."""
    given = body.get("type")
    if given is None:
        return None
    if not isinstance(given, dict) or not isinstance(given.get("id"), str):
        raise malformed_body()
    type_id = str(given["id"])
    if type_id not in org.user_types:
        raise not_found(type_id, "UserType")
    return type_id


def _group_ids(org: Org, body: Mapping[str, Any]) -> list[str]:
    raw = body.get("groupIds") or []
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise malformed_body()
    if len(raw) > MAX_GROUP_IDS:
        raise OktaError(
            400,
            "E0000093",
            "Target count limit exceeded",
            ["The number of group targets is too large"],
        )
    chosen: list[str] = []
    for group_id in dict.fromkeys(raw):
        group = org.groups.get(group_id)
        if group is None:
            raise not_found(group_id, "UserGroup")
        if group.id == org.everyone_id:
            continue  # every user is in Everyone already
        if group.type != "OKTA_GROUP":
            raise forbidden()
        chosen.append(group_id)
    return chosen


@endpoint("okta.users.manage")
async def create_user(request: Request, org: Org) -> Response:
    """``POST /api/v1/users``: 200 and the new user, already in its ``groupIds``."""
    activate = query_bool(request, "activate", True)
    federated = query_bool(request, "provider", False)
    body = await json_object(request, _CREATE_KEYS)
    profile = _profile_of(body)
    group_ids = _group_ids(org, body)
    type_id = _user_type(org, body)
    validate_profile(profile)
    check_profile(org, type_id or DEFAULT_USER_TYPE, profile)
    if org.login_owner(str(profile["login"])) is not None:
        raise duplicate_login()
    now = org.clock()
    user = UserRecord(
        id=org.new_user_id(),
        status="STAGED",
        created=now,
        activated=None,
        status_changed=now,
        last_updated=now,
        password_changed=None,
        profile={
            "mobilePhone": None,
            "secondEmail": None,
            **{key: value for key, value in profile.items() if value is not None},
        },
    )
    if type_id is not None:
        user.type_id = type_id
    _apply_credentials(user, body.get("credentials"), now)
    if federated and user.provider_type not in IDP_PROVIDERS:
        user.provider_type = user.provider_name = "FEDERATION"
    if activate:
        # Status after create, per the spec's "User creation scenarios" table.
        user.status = "ACTIVE" if user.can_sign_in_at_once else "PROVISIONED"
        # PROVISIONED counts as activated too: ``activated`` is set (okta/terraform/users-
        # custom-profile-attributes.json #5, users-list-search.json #0)
        user.activated = now
        if user.status == "PROVISIONED":
            # "The user is emailed a one-time activation token if activated without a
            # password" (legacy users reference, Create User); an IdP user needs none.
            org.emails["activation"] += 1
    org.add_user(user, group_ids)
    target = [user_target(user)]
    log_event(request, org, "user.lifecycle.create", target)
    if activate:
        log_event(request, org, "user.lifecycle.activate", target)
    for group_id in group_ids:
        group = org.groups[group_id]
        log_event(request, org, "group.user_membership.add", [*target, group_target(group)])
    return _user_response(user, base_url(request))


@endpoint("okta.users.read")
async def get_user(request: Request, org: Org) -> Response:
    """``GET /api/v1/users/{id}`` with an ``ETag``."""
    user = find_user(org, request.path_params["id"])
    response = _user_response(user, base_url(request))
    digest = hashlib.sha256(f"{user.id}:{user.last_updated}".encode()).hexdigest()[:20]
    response.headers["etag"] = f'"{digest}"'
    return response


async def _change_user(request: Request, org: Org, *, replace: bool) -> Response:
    user = find_user(org, request.path_params["id"])
    body = await json_object(request, _UPDATE_KEYS)
    if user.status == "DEPROVISIONED":
        # Okta allows this only with the org setting "Edit Deactivated User Profile Updates",
        # which is off by default.
        raise wrong_status()
    given = _profile_of(body)
    if replace and "profile" not in body:
        # A PUT of credentials alone keeps the profile (okta/terraform/users-update-
        # credentials.json #3: 200 with the profile unchanged).
        profile = dict(user.profile)
    elif replace:
        profile = {"mobilePhone": None, "secondEmail": None}
        profile.update({key: value for key, value in given.items() if value is not None})
    else:
        profile = dict(user.profile)
        for key, value in given.items():
            if value is None:
                profile.pop(key, None)
            else:
                profile[key] = value
        profile.setdefault("mobilePhone", None)
        profile.setdefault("secondEmail", None)
    validate_profile(profile)
    # Only what the body sends: a seeded profile may hold keys no schema defines.
    check_profile(org, user.type_id, given)
    new_login = str(profile["login"])
    owner = org.login_owner(new_login)
    if owner is not None and owner != user.id:
        raise duplicate_login()
    now = org.clock()
    _apply_credentials(user, body.get("credentials"), now)
    if login_key(new_login) != login_key(str(user.profile["login"])):
        org.change_login(user, new_login)
    user.profile = profile
    user.last_updated = now
    log_event(request, org, "user.account.update_profile", [user_target(user)])
    return _user_response(user, base_url(request))


@endpoint("okta.users.manage")
async def update_user(request: Request, org: Org) -> Response:
    """``POST /api/v1/users/{id}``: partial update; a null value deletes the property."""
    return await _change_user(request, org, replace=False)


@endpoint("okta.users.manage")
async def replace_user(request: Request, org: Org) -> Response:
    """``PUT /api/v1/users/{id}``: profile properties left out are deleted."""
    return await _change_user(request, org, replace=True)


@endpoint("okta.users.manage")
async def delete_user(request: Request, org: Org) -> Response:
    """``DELETE /api/v1/users/{id}``: deactivates first; deletes a DEPROVISIONED user."""
    user = find_user(org, request.path_params["id"])
    send_email = query_bool(request, "sendEmail", False)
    if user.status == "DEPROVISIONED":
        org.delete_user(user.id)
        log_event(request, org, "user.lifecycle.delete.initiated", [user_target(user)])
    else:
        deactivate(org, user, send_email=send_email)
        log_event(request, org, "user.lifecycle.deactivate", [user_target(user)])
    return no_content()


def deactivate(org: Org, user: UserRecord, *, send_email: bool) -> None:
    """Move a user to DEPROVISIONED at once; its group memberships stay. ``sendEmail=true``
    mails the admin a deactivation notice (legacy users reference, Deactivate User)."""
    now = org.clock()
    user.status = "DEPROVISIONED"
    user.status_changed = now
    user.last_updated = now
    if send_email:
        org.emails["deactivation"] += 1


@endpoint("okta.users.read")
async def list_user_groups(request: Request, org: Org) -> Response:
    """``GET /api/v1/users/{id}/groups``: the user's groups, Everyone included."""
    user = find_user(org, request.path_params["id"])
    base = base_url(request)
    limit = parse_limit(request.query_params.get("limit"), 200, 200)
    after = request.query_params.get("after")
    page = page_of(org.groups_of(user.id), after, limit)
    response = JSONResponse([group_json(org.groups[gid], base) for gid in page.ids])
    path = f"/api/v1/users/{user.id}/groups"
    for link in link_headers(base, path, limit, [], after=after, next_cursor=page.next_cursor):
        response.headers.append("link", link)
    return response


@endpoint("okta.users.read")
async def list_user_idps(request: Request, org: Org) -> Response:
    """``GET /api/v1/users/{id}/idps``: the IdPs the user is linked to; no Link header."""
    user = find_user(org, request.path_params["id"])
    base = base_url(request)
    return JSONResponse([idp_json(idp, base) for idp in org.idps_of(user.id)])


ROUTES = [
    Route("/api/v1/users", create_user, methods=["POST"]),
    Route("/api/v1/users/{id}", get_user, methods=["GET"]),
    Route("/api/v1/users/{id}", update_user, methods=["POST"]),
    Route("/api/v1/users/{id}", replace_user, methods=["PUT"]),
    Route("/api/v1/users/{id}", delete_user, methods=["DELETE"]),
    Route("/api/v1/users/{id}/groups", list_user_groups, methods=["GET"]),
    Route("/api/v1/users/{id}/idps", list_user_idps, methods=["GET"]),
]
