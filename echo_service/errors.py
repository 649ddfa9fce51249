"""Errors the handlers raise; `handlers.responds_with_errors` turns them into responses."""

from __future__ import annotations


class RequestError(Exception):
    """A client mistake: answered with `status` and `message`, never a 500."""

    status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidBatch(RequestError):
    """The body is not a well-formed Snowflake service-function batch."""


class PayloadTooLarge(RequestError):
    status = 413


class UnsupportedMediaType(RequestError):
    status = 415
