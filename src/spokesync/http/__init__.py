"""Shared HTTP mechanics of the API clients: client factory, calls, retries, budgets, errors.

See :mod:`spokesync.http.errors` for the exception tree.
"""

from spokesync.http.budget import BudgetBook, RateBudget
from spokesync.http.errors import (
    AmbiguousName,
    ApiError,
    AuthError,
    BadRequest,
    CursorLost,
    LoginTaken,
    MalformedResponse,
    NotFound,
    RateLimited,
    ScopeError,
    ServerError,
    StateConflict,
    TransportError,
    UnknownAttribute,
    is_transient,
)
from spokesync.http.factory import make_client
from spokesync.http.retry import RetryPolicy
from spokesync.http.session import ApiSession, Authorization, Call, StaticAuthorization, call
from spokesync.http.token_bucket import TokenBucketBudget

__all__ = [
    "AmbiguousName",
    "ApiError",
    "ApiSession",
    "AuthError",
    "Authorization",
    "BadRequest",
    "BudgetBook",
    "Call",
    "CursorLost",
    "LoginTaken",
    "MalformedResponse",
    "NotFound",
    "RateBudget",
    "RateLimited",
    "RetryPolicy",
    "ScopeError",
    "ServerError",
    "StateConflict",
    "StaticAuthorization",
    "TokenBucketBudget",
    "TransportError",
    "UnknownAttribute",
    "call",
    "is_transient",
    "make_client",
]
