"""Bucket classification per reference okta-api.md §8 (exact path first, then longest prefix)."""

from __future__ import annotations

import pytest

from spokesync.okta import buckets
from spokesync.okta.buckets import bucket_for


@pytest.mark.parametrize(
    ("method", "template", "bucket"),
    [
        ("GET", "/api/v1/users", buckets.USERS_CREATE_LIST),
        ("POST", "/api/v1/users", buckets.USERS_CREATE_LIST),
        ("GET", "/api/v1/users/{id}", buckets.USERS_GET),
        ("POST", "/api/v1/users/{id}", buckets.USERS_UPDATE_DELETE),
        ("DELETE", "/api/v1/users/{id}", buckets.USERS_UPDATE_DELETE),
        ("POST", "/api/v1/users/{id}/lifecycle/suspend", buckets.OTHER),
        ("GET", "/api/v1/groups", buckets.GROUPS_CREATE_LIST),
        ("GET", "/api/v1/groups/{id}", buckets.GROUP_BY_ID),
        ("GET", "/api/v1/groups/{id}/users", buckets.GROUPS_CREATE_LIST),
        ("PUT", "/api/v1/groups/{gid}/users/{uid}", buckets.GROUPS_CREATE_LIST),
        ("GET", "/api/v1/groups/rules", buckets.GROUPS_CREATE_LIST),
        ("POST", "/api/v1/idps/{idp}/users/{uid}", buckets.OTHER),
        ("GET", "/api/v1/apps/{id}", buckets.APPS),
        ("POST", "/oauth2/v1/token", buckets.OAUTH_TOKEN),
    ],
)
def test_bucket_for(method: str, template: str, bucket: str) -> None:
    assert bucket_for(method, template) == bucket
