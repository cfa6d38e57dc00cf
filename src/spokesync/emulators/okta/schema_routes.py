"""``/api/v1/meta/schemas/user/{schemaId}``: the user profile schema of each user type (spec
tag Schema, ``getUserSchema`` with scope ``okta.schemas.read``, ``updateUserProfile`` with
``okta.schemas.manage``); ``default`` names the default type's. Shapes: :mod:`user_schema`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import base_url, endpoint, json_object
from spokesync.emulators.okta.errors import not_found
from spokesync.emulators.okta.state import Org, UserTypeRecord
from spokesync.emulators.okta.user_schema import schema_json, type_of_schema, update_custom

#: the keys of a ``UserSchema`` a client may send back (terraform sends only ``definitions``)
_UPDATE_KEYS = (
    "definitions",
    "id",
    "$schema",
    "name",
    "title",
    "description",
    "type",
    "properties",
    "created",
    "lastUpdated",
    "_links",
)


def _schema_type(request: Request, org: Org) -> UserTypeRecord:
    schema_id = request.path_params["schemaId"]
    found = type_of_schema(org, schema_id)
    if found is None:
        raise not_found(schema_id, "UserSchema")
    return found


@endpoint("okta.schemas.read")
async def get_user_schema(request: Request, org: Org) -> Response:
    """The schema: base and custom attributes (recorded shape)."""
    user_type = _schema_type(request, org)
    return JSONResponse(schema_json(org, user_type, base_url(request)))


@endpoint("okta.schemas.manage")
async def update_user_schema(request: Request, org: Org) -> Response:
    """Add, replace or remove (``null``) custom attributes; 200 and the whole schema."""
    user_type = _schema_type(request, org)
    body = await json_object(request, _UPDATE_KEYS)
    update_custom(org, user_type, body)
    return JSONResponse(schema_json(org, user_type, base_url(request)))


ROUTES = [
    Route("/api/v1/meta/schemas/user/{schemaId}", get_user_schema, methods=["GET"]),
    Route("/api/v1/meta/schemas/user/{schemaId}", update_user_schema, methods=["POST"]),
]
