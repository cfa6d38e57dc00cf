"""``/api/v1/meta/types/user``: the org's user types (spec tag UserType, ``listUserTypes`` and
``getUserType``; scope ``okta.userTypes.read``). Every org has the default type ``user``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spokesync.emulators.okta.endpoint import base_url, endpoint
from spokesync.emulators.okta.errors import not_found
from spokesync.emulators.okta.render import user_type_json
from spokesync.emulators.okta.state import Org


@endpoint("okta.userTypes.read")
async def list_user_types(request: Request, org: Org) -> Response:
    """All user types, the default among them; a plain array without paging (spec)."""
    base = base_url(request)
    return JSONResponse([user_type_json(t, base) for t in org.user_types.values()])


@endpoint("okta.userTypes.read")
async def get_user_type(request: Request, org: Org) -> Response:
    """One user type by id; ``default`` names the default type (spec ``getUserType``)."""
    type_id = request.path_params["typeId"]
    if type_id == "default":
        found = next(t for t in org.user_types.values() if t.default)
    elif (match := org.user_types.get(type_id)) is not None:
        found = match
    else:
        raise not_found(type_id, "UserType")
    return JSONResponse(user_type_json(found, base_url(request)))


ROUTES = [
    Route("/api/v1/meta/types/user", list_user_types, methods=["GET"]),
    Route("/api/v1/meta/types/user/{typeId}", get_user_type, methods=["GET"]),
]
