"""Auth0 Organizations: the organizations of a tenant, their members and member roles.

Written from the recorded exchanges (``auth0/go/organization*.json``, recordings README
Auth0 go facts 8-14) and the official Management API spec (``GET /organizations``,
``/organizations/{id}``, ``/organizations/name/{name}``, ``/organizations/{id}/members``,
``/organizations/{id}/members/{user_id}/roles``, ``/users/{id}/organizations``):

- members come in checkpoint pages that carry a ``next`` even on a short page and end with an
  empty ``{"members": []}`` (fact 8); the organizations listing ends on a short page without
  ``next`` (fact 10). Either way a page without ``next`` is the last: the one
  :class:`~spokesync.auth0.paginate.CheckpointPaginator` serves both. Cursors are opaque (fact 9).
- ``fields=user_id,email,name,roles`` brings each member's roles in the same pages (the spec:
  "Use ``fields=roles`` to retrieve the roles assigned to each listed member"); a tenant that
  leaves ``roles`` out is read per member instead (:meth:`OrganizationsApi.member_role_ids`).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from spokesync.auth0.models import ShapeError, optional_str, required_str
from spokesync.auth0.paginate import CheckpointPaginator, OffsetPaginator
from spokesync.domain import NO_METADATA
from spokesync.http.errors import NotFound
from spokesync.http.session import ApiSession, Call, call

ORGANIZATION_ID_PREFIX = "org_"
#: the members listing with each member's roles in the same page
MEMBER_FIELDS_WITH_ROLES = "user_id,email,name,roles"
MEMBER_FIELDS = "user_id,email,name"
#: Scopes reading organizations needs (the spec's ``security`` of each endpoint).
ORGANIZATION_SCOPES = (
    "read:organizations",
    "read:organization_members",
    "read:organization_member_roles",
)
#: Enterprise per-endpoint limits, calls a minute (reference notes, rate limits; issue 19)
ENDPOINT_LIMITS: Mapping[str, int] = {
    "/api/v2/organizations/{id}/members": 500,
    "/api/v2/organizations/{id}/members/{user_id}/roles": 200,
}
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Organization:
    """An Auth0 organization: what group names and mapping paths may use of it."""

    id: str
    name: str
    display_name: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The organization as mapping paths address it (``organization.metadata.tier``)."""
        return {
            "id": self.id,
            "name": self.name,
            "display_name": self.display_name or self.name,
            "metadata": self.metadata,
        }


@dataclass(frozen=True, slots=True)
class OrganizationMember:
    """One member item; ``role_ids`` is None when the answer carried no ``roles``."""

    user_id: str
    email: str | None = None
    name: str | None = None
    role_ids: frozenset[str] | None = None


def parse_organization(value: Any) -> Organization:
    """An organization object ``{id, name, display_name?, metadata?, branding?}``."""
    if not isinstance(value, dict):
        raise ShapeError("organization is not a JSON object")
    metadata = value.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise ShapeError("organization.metadata must be an object")
    return Organization(
        id=required_str(value, "id", "organization"),
        name=required_str(value, "name", "organization"),
        display_name=optional_str(value, "display_name", "organization") or "",
        metadata=metadata or NO_METADATA,
    )


def parse_organization_member(value: Any) -> OrganizationMember:
    """A member item ``{user_id, email?, name?, picture?, roles?: [{id, name}]}``."""
    what = "organization member"
    if not isinstance(value, dict):
        raise ShapeError(f"{what} is not a JSON object")
    roles = value.get("roles")
    role_ids: frozenset[str] | None = None
    if roles is not None:
        if not isinstance(roles, list):
            raise ShapeError(f"{what}.roles must be a list")
        role_ids = frozenset(
            sys.intern(required_str(r if isinstance(r, dict) else {}, "id", f"{what}.roles[]"))
            for r in roles
        )
    return OrganizationMember(
        user_id=sys.intern(required_str(value, "user_id", what)),
        email=optional_str(value, "email", what),
        name=optional_str(value, "name", what),
        role_ids=role_ids,
    )


class OrganizationsApi:
    """The organizations half of :class:`~spokesync.auth0.client.Auth0Client` (a mixin)."""

    session: ApiSession

    def _parsed(self, request: Call, parse: Callable[[Any], T], value: Any) -> T:
        raise NotImplementedError  # provided by Auth0Client

    def _not_found(self, request: Call, message: str) -> NotFound:
        raise NotImplementedError  # provided by Auth0Client

    async def organizations(self, page_size: int = 100) -> AsyncIterator[list[Organization]]:
        """Pages of every organization of the tenant (checkpoint pagination, any count)."""
        request = call("GET", "/api/v2/organizations")
        async for page in CheckpointPaginator("organizations", take=page_size).pages(
            self.session, request
        ):
            yield [self._parsed(request, parse_organization, item) for item in page]

    async def find_organization(self, name_or_id: str) -> Organization:
        """The organization with this id (``org_...``) or name; ``NotFound`` naming it."""
        if name_or_id.startswith(ORGANIZATION_ID_PREFIX):
            request = call("GET", "/api/v2/organizations/{id}", id=name_or_id)
            missing = f"no organization has id {name_or_id!r}"
        else:
            request = call("GET", "/api/v2/organizations/name/{name}", name=name_or_id)
            missing = f"no organization is named {name_or_id!r}"
        try:
            body = await self.session.send_json(request)
        except NotFound as exc:
            raise self._not_found(request, missing) from exc
        return self._parsed(request, parse_organization, body)

    async def get_organization(self, organization_id: str) -> Organization | None:
        """The organization, or None when Auth0 answers 404 (deleted)."""
        try:
            return await self.find_organization(organization_id)
        except NotFound:
            return None

    async def organization_members(
        self, organization_id: str, *, roles: bool, page_size: int = 100
    ) -> AsyncIterator[list[OrganizationMember]]:
        """Pages of the organization's members; with ``roles``, each with its role ids."""
        request = call(
            "GET",
            "/api/v2/organizations/{id}/members",
            params={"fields": MEMBER_FIELDS_WITH_ROLES if roles else MEMBER_FIELDS},
            id=organization_id,
        )
        async for page in CheckpointPaginator("members", take=page_size).pages(
            self.session, request
        ):
            yield [self._parsed(request, parse_organization_member, item) for item in page]

    async def member_role_ids(self, organization_id: str, user_id: str) -> frozenset[str] | None:
        """The roles the user holds in the organization; None when either is gone (404)."""
        request = call(
            "GET",
            "/api/v2/organizations/{id}/members/{user_id}/roles",
            id=organization_id,
            user_id=user_id,
        )
        ids: set[str] = set()
        try:
            async for page in OffsetPaginator("roles").pages(self.session, request):
                for item in page:
                    if not isinstance(item, dict):
                        raise self.session.malformed(request, "a role is not a JSON object")
                    ids.add(self._parsed(request, _role_id, item))
        except NotFound:
            return None
        return frozenset(ids)

    async def user_organizations(self, user_id: str) -> list[Organization] | None:
        """The organizations the user is a member of; None when the user is gone (404)."""
        request = call("GET", "/api/v2/users/{id}/organizations", id=user_id)
        out: list[Organization] = []
        try:
            async for page in OffsetPaginator("organizations").pages(self.session, request):
                out.extend(self._parsed(request, parse_organization, item) for item in page)
        except NotFound:
            return None
        return out


def _role_id(value: Any) -> str:
    return sys.intern(required_str(value, "id", "role"))
