"""Calling the FunctionApp's functions in process, as Azure's unit-testing guidance does."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping

import azure.functions as func
from azure.functions.decorators.function_app import FunctionBuilder

import function_app


def registered(name: str) -> func.Function:
    """The Function that `@app.route` registered as `name` (FunctionApp.get_functions runs once per app)."""
    builder = getattr(function_app, name)
    assert isinstance(builder, FunctionBuilder), f"function_app.{name} is not a registered function"
    return builder.build()


def user_function(name: str):
    """The user function registered under `name` in function_app.app."""
    return registered(name).get_user_function()


def call(
    name: str,
    method: str,
    path: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> func.HttpResponse:
    request = func.HttpRequest(
        method=method, url=f"http://localhost{path}", headers=dict(headers or {}), params=dict(params or {}), body=body
    )
    returned = user_function(name)(request)
    return asyncio.run(returned) if inspect.isawaitable(returned) else returned
