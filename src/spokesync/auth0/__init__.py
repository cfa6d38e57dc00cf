"""Auth0 Management API client: token, checkpoint paginator, roles, users, export jobs."""

from spokesync.auth0.client import READ_SCOPES, Auth0Client
from spokesync.auth0.models import Role, RoleMember
from spokesync.auth0.token import AccessToken, ClientCredentials

__all__ = ["READ_SCOPES", "AccessToken", "Auth0Client", "ClientCredentials", "Role", "RoleMember"]
