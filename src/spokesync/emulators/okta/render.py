"""JSON renderings of the org's objects, shaped like the recorded Okta answers."""

from __future__ import annotations

from typing import Any

from spokesync.emulators.okta.formats import iso_timestamp
from spokesync.emulators.okta.state import (
    GroupRecord,
    IdpLink,
    IdpRecord,
    UserRecord,
    UserTypeRecord,
)
from spokesync.emulators.okta.user_schema import schema_id_of

#: the id of the default user schema (Okta: ``osc`` + 17)
_DEFAULT_SCHEMA = "osc1defaultuserschem"

#: link relations a single user carries in each status (recordings + spec ``User._links``)
_LIFECYCLE_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "STAGED": (("activate", "lifecycle/activate"),),
    "PROVISIONED": (
        ("reactivate", "lifecycle/reactivate"),
        ("resetPassword", "lifecycle/reset_password"),
        ("deactivate", "lifecycle/deactivate"),
    ),
    "ACTIVE": (
        ("suspend", "lifecycle/suspend"),
        ("resetPassword", "lifecycle/reset_password"),
        ("forgotPassword", "credentials/forgot_password"),
        ("expirePassword", "lifecycle/expire_password"),
        ("changeRecoveryQuestion", "credentials/change_recovery_question"),
        ("changePassword", "credentials/change_password"),
        ("deactivate", "lifecycle/deactivate"),
    ),
    "SUSPENDED": (
        ("unsuspend", "lifecycle/unsuspend"),
        ("deactivate", "lifecycle/deactivate"),
    ),
    "DEPROVISIONED": (("activate", "lifecycle/activate"),),
}
_OTHER_STATUS_LINKS = (
    ("resetPassword", "lifecycle/reset_password"),
    ("deactivate", "lifecycle/deactivate"),
)


def _time(epoch: float | None) -> str | None:
    return None if epoch is None else iso_timestamp(epoch)


def user_json(user: UserRecord, base: str, *, in_collection: bool = False) -> dict[str, Any]:
    """A ``User``; in collections ``_links`` holds only ``self`` (spec, recordings)."""
    self_href = f"{base}/api/v1/users/{user.id}"
    links: dict[str, Any]
    if in_collection:
        links = {"self": {"href": self_href}}
    else:
        links = {"schema": {"href": f"{base}/api/v1/meta/schemas/user/{_DEFAULT_SCHEMA}"}}
        for relation, path in _LIFECYCLE_LINKS.get(user.status, _OTHER_STATUS_LINKS):
            links[relation] = {"href": f"{self_href}/{path}", "method": "POST"}
        links["self"] = {"href": self_href}
        links["resetFactors"] = {"href": f"{self_href}/lifecycle/reset_factors", "method": "POST"}
        links["type"] = {"href": f"{base}/api/v1/meta/types/user/{user.type_id}"}
    # As recorded from 2025 on: no ``emails``; without a password only the provider
    # (okta/terraform/users-update-all-attributes.json #0, users-update-credentials.json #0).
    credentials: dict[str, Any] = {}
    if user.has_password:
        credentials["password"] = {}
    if user.recovery_question is not None:
        credentials["recovery_question"] = {"question": user.recovery_question}
    credentials["provider"] = {"type": user.provider_type, "name": user.provider_name}
    return {
        "id": user.id,
        "status": user.status,
        "created": iso_timestamp(user.created),
        "activated": _time(user.activated),
        "statusChanged": _time(user.status_changed),
        "lastLogin": None,
        "lastUpdated": iso_timestamp(user.last_updated),
        "passwordChanged": _time(user.password_changed),
        "realmId": user.realm_id,
        "type": {"id": user.type_id},
        "profile": dict(user.profile),
        "credentials": credentials,
        "_links": links,
    }


def user_type_json(user_type: UserTypeRecord, base: str) -> dict[str, Any]:
    """A ``UserType`` as in the spec's ``ListsAllUserTypes`` example."""
    created = iso_timestamp(user_type.created)
    # Each type links its own schema, as recorded (user-types-crud.json #0).
    schema = f"{base}/api/v1/meta/schemas/user/{schema_id_of(user_type)}"
    this = f"{base}/api/v1/meta/types/user/{user_type.id}"
    return {
        "id": user_type.id,
        "displayName": user_type.display_name,
        "name": user_type.name,
        "description": user_type.description,
        "createdBy": "spr1emulatoradmin000",
        "lastUpdatedBy": "spr1emulatoradmin000",
        "created": created,
        "lastUpdated": created,
        "default": user_type.default,
        "_links": {
            "schema": {"rel": "schema", "href": schema, "method": "GET"},
            "self": {"rel": "self", "href": this, "method": "GET"},
        },
    }


def group_json(group: GroupRecord, base: str, users_count: int | None = None) -> dict[str, Any]:
    """A ``Group`` as recorded in 2025 (``objectClass``, logo, users and apps links)."""
    href = f"{base}/api/v1/groups/{group.id}"
    body: dict[str, Any] = {
        "id": group.id,
        "created": iso_timestamp(group.created),
        "lastUpdated": iso_timestamp(group.last_updated),
        "lastMembershipUpdated": iso_timestamp(group.last_membership_updated),
        "objectClass": ["okta:user_group"],
        "type": group.type,
        "profile": {"name": group.name, "description": group.description},
        "_links": {
            "logo": [
                {
                    "name": size,
                    "href": f"{base}/assets/img/logos/groups/okta-{size}.png",
                    "type": "image/png",
                }
                for size in ("medium", "large")
            ],
            "users": {"href": f"{href}/users"},
            "apps": {"href": f"{href}/apps"},
        },
    }
    if users_count is not None:
        body["_embedded"] = {"stats": {"usersCount": users_count}}
    return body


def idp_json(idp: IdpRecord, base: str) -> dict[str, Any]:
    """A minimal ``IdentityProvider``: enough to name and address it."""
    created = iso_timestamp(idp.created)
    return {
        "id": idp.id,
        "type": idp.type,
        "issuerMode": "ORG_URL",
        "name": idp.name,
        "status": "ACTIVE",
        "created": created,
        "lastUpdated": created,
        "protocol": {"type": "OIDC" if idp.type == "OIDC" else idp.type},
        "_links": {"users": {"href": f"{base}/api/v1/idps/{idp.id}/users"}},
    }


def idp_link_json(link: IdpLink, base: str) -> dict[str, Any]:
    """An ``IdentityProviderApplicationUser``: the Okta user id and its IdP ``externalId``."""
    return {
        "id": link.user_id,
        "externalId": link.external_id,
        "created": iso_timestamp(link.created),
        "lastUpdated": iso_timestamp(link.last_updated),
        "profile": {},
        "_links": {
            "self": {
                "href": f"{base}/api/v1/idps/{link.idp_id}/users/{link.user_id}",
                "hints": {"allow": ["GET", "DELETE"]},
            },
            "idp": {"href": f"{base}/api/v1/idps/{link.idp_id}"},
            "user": {"href": f"{base}/api/v1/users/{link.user_id}"},
        },
    }
