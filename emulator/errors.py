"""One way to refuse a request, and the JSON error bodies the reference documents.

400 bodies are ``{"reason", "message"}`` (plus ``deviceName`` where documented); every other error is
``{"message"}`` (A-9 allows optional JSON). Logic modules raise :class:`Refusal` and never build HTTP
responses, so the same rule yields the same body wherever it fires.
"""

from __future__ import annotations

from typing import Any

from starlette import status
from starlette.responses import JSONResponse

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Basic realm="UCX"'}


class Refusal(Exception):
    """A documented non-2xx answer."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        reason: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.reason = reason
        self.extra = extra or {}
        self.headers = headers

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {}
        if self.reason is not None:
            body["reason"] = self.reason
        body["message"] = self.message
        body.update(self.extra)
        return JSONResponse(body, status_code=self.status_code, headers=self.headers)


def bad_request(reason: int, message: str, **extra: Any) -> Refusal:
    return Refusal(status.HTTP_400_BAD_REQUEST, message, reason=reason, extra=extra)


def unauthorized() -> Refusal:
    return Refusal(status.HTTP_401_UNAUTHORIZED, "missing or invalid credentials", headers=WWW_AUTHENTICATE)


def forbidden(message: str = "the user lacks the permission for this operation") -> Refusal:
    return Refusal(status.HTTP_403_FORBIDDEN, message)


def not_found(message: str) -> Refusal:
    return Refusal(status.HTTP_404_NOT_FOUND, message)


def conflict(message: str) -> Refusal:
    return Refusal(status.HTTP_409_CONFLICT, message)


def too_many(message: str) -> Refusal:
    """429 here is a state answer (duplicate / already paused / not paused), not rate limiting."""
    return Refusal(status.HTTP_429_TOO_MANY_REQUESTS, message)


def licence_invalid() -> Refusal:
    return Refusal(status.HTTP_501_NOT_IMPLEMENTED, "the Call Recording licence is invalid")


def no_channel() -> Refusal:
    return Refusal(status.HTTP_503_SERVICE_UNAVAILABLE, "no recording channel available")
