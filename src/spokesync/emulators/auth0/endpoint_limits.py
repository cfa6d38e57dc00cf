"""Per-endpoint rate limits: buckets that some Management API endpoints spend beside the global one.

Auth0 publishes, per subscription, endpoints "with additional rate limits" as a burst and a
sustained rate per minute (docs: rate-limit-policy/rate-limit-configurations/enterprise-public,
and the older management-api-endpoint-rate-limits page, "Enterprise and Startup subscription
limits"). The Enterprise figures for the organization endpoints are modelled; endpoints sharing
a row ("POST, DELETE") share a bucket. A request to such an endpoint spends a token of the
global bucket and one of its own, and its ``x-ratelimit-*`` headers describe its own bucket
(those endpoints "return rate limit-related headers" of their limit; reference §8).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spokesync.emulators.auth0.clock import Clock
from spokesync.emulators.auth0.ratelimit import TokenBucket

_SEGMENT = r"[^/]+"


@dataclass(frozen=True)
class EndpointLimit:
    """One published row: the endpoints it covers, its burst and its sustained rate."""

    name: str
    routes: tuple[tuple[str, str], ...]
    burst: int
    per_minute: int

    def patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        return [
            (method, re.compile("^/api/v2" + re.sub(r"\{[^}]+\}", _SEGMENT, path) + "$"))
            for method, path in self.routes
        ]


ORGANIZATIONS = "/organizations"
ORGANIZATION = "/organizations/{id}"
MEMBERS = "/organizations/{id}/members"
MEMBER_ROLES = "/organizations/{id}/members/{user_id}/roles"

#: the Enterprise rows for the endpoints this emulator serves
ENTERPRISE: tuple[EndpointLimit, ...] = (
    EndpointLimit("Get Organizations", (("GET", ORGANIZATIONS),), 10, 100),
    EndpointLimit("Get Organizations by ID", (("GET", ORGANIZATION),), 40, 500),
    EndpointLimit("Get Organizations by Name", (("GET", "/organizations/name/{name}"),), 20, 200),
    EndpointLimit(
        "Create an Organization",
        (("POST", ORGANIZATIONS), ("PATCH", ORGANIZATION), ("DELETE", ORGANIZATION)),
        5,
        150,
    ),
    EndpointLimit("Get Organization Members", (("GET", MEMBERS),), 40, 500),
    EndpointLimit("Add Organization Members", (("POST", MEMBERS), ("DELETE", MEMBERS)), 20, 200),
    EndpointLimit("Get Organization Member Roles", (("GET", MEMBER_ROLES),), 20, 200),
    EndpointLimit(
        "Create Organization Member Roles",
        (("POST", MEMBER_ROLES), ("DELETE", MEMBER_ROLES)),
        20,
        200,
    ),
    # the older page's "Read user's organizations" row
    EndpointLimit("Read user's organizations", (("GET", "/users/{id}/organizations"),), 40, 500),
)


class EndpointBuckets:
    """One token bucket per published row, found by method and path."""

    def __init__(self, limits: tuple[EndpointLimit, ...], clock: Clock) -> None:
        self._routes: list[tuple[str, re.Pattern[str], TokenBucket]] = []
        for limit in limits:
            bucket = TokenBucket(limit.per_minute / 60, limit.burst, clock)
            self._routes += [(method, pattern, bucket) for method, pattern in limit.patterns()]

    def bucket_for(self, method: str, path: str) -> TokenBucket | None:
        """The bucket of the endpoint ``method path`` answers on, or None (global only)."""
        return next(
            (
                bucket
                for wanted, pattern, bucket in self._routes
                if wanted == method and pattern.match(path)
            ),
            None,
        )
