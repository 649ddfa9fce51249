"""HTTP errors the server itself answers (before or around a function call)."""

from __future__ import annotations


class HttpError(Exception):
    """Answered as JSON `{"error": message}` with `status` and `headers`."""

    status = 400

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(HttpError):
    status = 400


class NotFound(HttpError):
    status = 404


class MethodNotAllowed(HttpError):
    status = 405


class RequestTimeout(HttpError):
    status = 408


class PayloadTooLarge(HttpError):
    status = 413


class UnsupportedMediaType(HttpError):
    status = 415


class TooManyRequests(HttpError):
    status = 429


class HeadersTooLarge(HttpError):
    status = 431
