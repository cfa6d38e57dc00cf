"""Okta Management API client: users, groups, lifecycle, IdP links."""
