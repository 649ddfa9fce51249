"""One request through the FunctionApp: match, convert, invoke, convert back."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from .errors import HttpError
from .invocation import Invoker
from .requests import RequestConverter
from .responses import Reply, ResponseWriter
from .routing import RouteTable
from .status_counts import StatusCounts, status_counts

logger = logging.getLogger("container.gateway")

#: Where the gateway leaves the invocation id in the ASGI scope (an extension key of ours).
INVOCATION_ID_KEY = "echo.invocation_id"


class Gateway:
    """Turns a request into the Reply its function gives, or into a JSON error.

    Client mistakes (unknown path, wrong method, bad encoding) are 4xx; a
    function that raises gives a 500 whose body carries only an error id, the
    same id being logged with the traceback. Every answer of its own (not the function's) is counted in
    `counts`, by status.
    """

    def __init__(
        self,
        routes: RouteTable,
        converter: RequestConverter,
        invoker: Invoker,
        writer: ResponseWriter | None = None,
        counts: StatusCounts | None = None,
    ) -> None:
        self.routes = routes
        self.converter = converter
        self.invoker = invoker
        self.writer = writer or ResponseWriter()
        self.counts = counts if counts is not None else status_counts()

    async def handle(self, scope: dict[str, Any], body: bytes) -> Reply:
        try:
            route, params = self.routes.match(scope["method"], scope["path"])
            request = self.converter.convert(scope, body, params)
        except HttpError as error:
            return self.reject(error)
        invocation_id = self.invoker.new_invocation_id()
        scope[INVOCATION_ID_KEY] = invocation_id  # for the access line
        try:
            returned = await self.invoker.invoke(route, request, invocation_id)
            return self.writer.from_function(returned)
        except Exception:
            error_id = uuid.uuid4().hex
            logger.exception("function %s failed (error id %s)", route.function_name, error_id)
            self.counts.add(500)
            return self.writer.error(500, "the function failed; see the server log", error_id=error_id)

    def reject(self, error: HttpError) -> Reply:
        self.counts.add(error.status)
        return self.writer.error(error.status, error.message, error.headers)
