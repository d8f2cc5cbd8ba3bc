"""Errors as values with codes.

Two kinds, as DESIGN.md says:

* :class:`AtriumError` — raised, becomes a top-level GraphQL error carrying
  ``extensions.code`` (authentication, not found, limits, internal faults).
* :class:`UserError` — an expected failure of a mutation (validation, conflict, not
  allowed); services raise :class:`UserErrors`, the mutation runner rolls the savepoint
  back and returns them in the payload's ``userErrors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class UserErrorCode(StrEnum):
    """Codes of ``userErrors``: one enum for every mutation, so clients switch on one type."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    LAST_OWNER = "LAST_OWNER"
    INVALID_TRANSITION = "INVALID_TRANSITION"  # e.g. approving a workflow run that is not paused
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    ALREADY_USED = "ALREADY_USED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    # OAuth 2.0 device authorization grant (RFC 8628 §3.5), for pollDeviceToken.
    AUTHORIZATION_PENDING = "AUTHORIZATION_PENDING"
    SLOW_DOWN = "SLOW_DOWN"
    EXPIRED_TOKEN = "EXPIRED_TOKEN"
    ACCESS_DENIED = "ACCESS_DENIED"
    UNSUPPORTED_GRANT_TYPE = "UNSUPPORTED_GRANT_TYPE"


class AtriumError(Exception):
    """A failure reported as a top-level GraphQL error with ``extensions.code``."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(
        self, message: str, *, code: ErrorCode | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}

    @property
    def extensions(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code.value}
        if self.details:
            extensions["details"] = self.details
        return extensions


class Unauthenticated(AtriumError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(AtriumError):
    code = ErrorCode.FORBIDDEN


class NotFound(AtriumError):
    code = ErrorCode.NOT_FOUND

    def __init__(self, resource_type: str, resource_id: str) -> None:
        super().__init__(
            f"{resource_type} with id '{resource_id}' not found",
            details={"resource_type": resource_type, "resource_id": resource_id},
        )


class BadUserInput(AtriumError):
    code = ErrorCode.BAD_USER_INPUT


class RateLimited(AtriumError):
    code = ErrorCode.RATE_LIMITED


class QueryTooComplex(AtriumError):
    code = ErrorCode.QUERY_TOO_COMPLEX


@dataclass(frozen=True)
class UserError:
    message: str
    code: UserErrorCode = UserErrorCode.INVALID
    field: tuple[str, ...] | None = None


@dataclass
class UserErrors(Exception):
    """Raised by services for expected failures; carries one or more :class:`UserError`."""

    errors: Sequence[UserError] = field(default_factory=list)

    @classmethod
    def single(
        cls, message: str, code: UserErrorCode = UserErrorCode.INVALID, field: Sequence[str] = ()
    ) -> UserErrors:
        return cls([UserError(message, code, tuple(field) or None)])

    def __str__(self) -> str:
        return "; ".join(error.message for error in self.errors)
