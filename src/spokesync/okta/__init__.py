"""Okta Management API client: users, groups, lifecycle, IdP links."""

from spokesync.okta.client import OktaClient
from spokesync.okta.models import Group, IdpLink
from spokesync.okta.oauth import PrivateKeyJwtToken

__all__ = ["Group", "IdpLink", "OktaClient", "PrivateKeyJwtToken"]
