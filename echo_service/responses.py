"""Building responses, and the one place where request errors become responses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import azure.functions as func
import orjson

from .errors import RequestError

Handler = Callable[[func.HttpRequest], func.HttpResponse]


def json_response(document: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(orjson.dumps(document), status_code=status, mimetype="application/json")


def html_response(page: str, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(page, status_code=status, mimetype="text/html", charset="utf-8")


def text_response(text: str, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(text, status_code=status, mimetype="text/plain", charset="utf-8")


def errors_as_json(handler: Handler) -> Handler:
    """Answer a `RequestError` as `{"error": message}` with its status."""

    @functools.wraps(handler)
    def wrapper(req: func.HttpRequest) -> func.HttpResponse:
        try:
            return handler(req)
        except RequestError as error:
            return json_response({"error": error.message}, error.status)

    return wrapper


def errors_as_page(render: Callable[[func.HttpRequest, RequestError], str]) -> Callable[[Handler], Handler]:
    """Answer a `RequestError` with the page `render` makes for it, so the user sees a form again."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(req: func.HttpRequest) -> func.HttpResponse:
            try:
                return handler(req)
            except RequestError as error:
                return html_response(render(req, error), error.status)

        return wrapper

    return decorate
