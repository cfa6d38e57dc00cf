"""Auth0 Management API client: token, checkpoint paginator, roles, users, export jobs."""
