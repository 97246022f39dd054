"""Errors raised by the Zoom clients. Messages never contain tokens or secrets."""
from __future__ import annotations


class ZoomError(Exception):
    """Base class for every error from the Zoom clients."""


class ZoomUnavailable(ZoomError):
    """Zoom could not be reached, timed out, answered 5xx, or kept rate limiting us.

    Transient: the same call may work later. Never a reason to drop a grant.
    """


class ZoomRateLimited(ZoomUnavailable):
    """Zoom answered 429 more times than we are willing to wait out."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidAccessToken(ZoomError):
    """The API answered 401 (code 124): the access token is expired or was replaced."""


class GrantRevoked(ZoomError):
    """The token endpoint refused our refresh token or code (any 4xx).

    The user has to connect again; retrying cannot help.
    """

    def __init__(self, message: str, *, status: int, error: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


class ZoomApiError(ZoomError):
    """Any other non-success answer of the REST API (4xx other than 401/124 and 429)."""

    def __init__(self, message: str, *, status: int, code: int | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
