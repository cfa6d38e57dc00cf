"""spokesync: keep an Okta org (the hub) in sync with the users of Auth0 tenants (the spokes)."""

__version__ = "0.1.0"
