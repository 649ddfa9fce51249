"""The route table: which function of a FunctionApp serves a path and method.

Route templates follow the Azure Functions (ASP.NET Core) syntax: `items/{id}`,
`{id:int}` with a constraint, `{name?}` optional, `{*rest}` catch-all; matching
ignores case, as the host's does. `routePrefix` comes from `host.json`.
"""

from __future__ import annotations

import inspect
import json
import re
import weakref
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions.decorators.http import HttpTrigger

from .errors import MethodNotAllowed, NotFound

DEFAULT_ROUTE_PREFIX = "api"
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")

_CONSTRAINT_PATTERNS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "alpha": r"[A-Za-z]+",
    "bool": r"(?i:true|false)",
    "guid": r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
    "double": r"-?\d+(?:\.\d+)?",
    "float": r"-?\d+(?:\.\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
}
#: A route parameter, `{name}`, `{name:int}`, `{name?}` or `{*rest}`: compiled (by `re`'s cache) the first time a
#: template has a brace, so an app of static routes never pays for it.
_PARAMETER = r"\{(?P<star>\*)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<constraint>(?::[^{}?]+)*)(?P<optional>\?)?\}"


class Route:
    """One HTTP-triggered function and what it needs to be called.

    A plain class, not a dataclass: each server start defines it, and a dataclass costs that start about half a
    millisecond.
    """

    __slots__ = (
        "function_name",
        "template",
        "methods",
        "user_function",
        "trigger_arg",
        "wants_context",
        "is_async",
        "auth_level",
    )

    def __init__(
        self,
        function_name: str,
        template: str,
        methods: tuple[str, ...],
        user_function: Callable[..., Any],
        trigger_arg: str,
        wants_context: bool,
        is_async: bool,
        auth_level: str = "anonymous",
    ) -> None:
        self.function_name = function_name
        self.template = template
        self.methods = methods
        self.user_function = user_function
        self.trigger_arg = trigger_arg
        self.wants_context = wants_context
        self.is_async = is_async
        #: The function's declared authorization level (`anonymous`, `function`, `admin`). Like Core Tools,
        #: our server does not check keys: in Azure the host enforces the level; in Snowflake every caller of
        #: the endpoint is already authenticated.
        self.auth_level = auth_level

    def __repr__(self) -> str:
        return f"Route({self.function_name!r}, {self.template!r}, methods={self.methods!r})"


class _PathEntry:
    __slots__ = ("pattern", "routes")

    def __init__(self, pattern: re.Pattern[str] | None) -> None:
        self.pattern = pattern
        self.routes: dict[str, Route] = {}

    @property
    def allow(self) -> str:
        return ", ".join(sorted(self.routes))


class RouteTable:
    """Path and method to a `Route` plus its route parameters."""

    def __init__(self, routes: Iterable[Route], prefix: str = DEFAULT_ROUTE_PREFIX) -> None:
        self.prefix = prefix.strip("/")
        self.routes = list(routes)
        self._static: dict[str, _PathEntry] = {}
        self._dynamic: list[_PathEntry] = []
        by_template: dict[str, _PathEntry] = {}
        for route in self.routes:
            full = "/".join(part for part in (self.prefix, route.template.strip("/")) if part)
            key = full.lower()
            entry = by_template.get(key)
            if entry is None:
                is_static = "{" not in full or re.search(_PARAMETER, full) is None
                entry = _PathEntry(None if is_static else _compile(full))
                by_template[key] = entry
                if is_static:
                    self._static["/" + key] = entry
                else:
                    self._dynamic.append(entry)
            for method in route.methods:
                if method in entry.routes:
                    raise ValueError(f"two functions serve {method} /{full}")
                entry.routes[method] = route

    @classmethod
    def from_function_app(cls, app: func.FunctionApp, prefix: str = DEFAULT_ROUTE_PREFIX) -> RouteTable:
        return cls((r for f in indexed_functions(app) if (r := route_of(f)) is not None), prefix)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for `method` and `path`; raise NotFound or MethodNotAllowed (with Allow)."""
        normalized = "/" + path.strip("/").lower()
        params: dict[str, str] = {}
        entry = self._static.get(normalized)
        if entry is None:
            for candidate in self._dynamic:
                found = candidate.pattern.fullmatch(path.strip("/"))  # type: ignore[union-attr]
                if found is not None:
                    entry = candidate
                    params = {k: v for k, v in found.groupdict().items() if v is not None}
                    break
        if entry is None:
            raise NotFound(f"no function serves {path}")
        route = entry.routes.get(method.upper())
        if route is None:
            raise MethodNotAllowed(f"{path} does not accept {method.upper()}", {"Allow": entry.allow})
        return route, params


_INDEXED: weakref.WeakKeyDictionary[func.FunctionApp, list[func.Function]] = weakref.WeakKeyDictionary()


def indexed_functions(app: func.FunctionApp) -> list[func.Function]:
    """The app's functions, indexed once as the worker does (FunctionApp.get_functions refuses a second call)."""
    functions = _INDEXED.get(app)
    if functions is None:
        functions = _INDEXED[app] = app.get_functions()
    return functions


def route_of(function: func.Function) -> Route | None:
    """The Route of an HTTP-triggered function, or None for other triggers."""
    trigger = function.get_trigger()
    if not isinstance(trigger, HttpTrigger):
        return None
    user_function = function.get_user_function()
    methods = tuple(_method_name(m) for m in (trigger.methods or ())) or ALL_METHODS
    parameters = inspect.signature(user_function).parameters
    return Route(
        function_name=function.get_function_name() or user_function.__name__,
        template=trigger.route or function.get_function_name() or user_function.__name__,
        methods=methods,
        user_function=user_function,
        trigger_arg=trigger.name,
        wants_context="context" in parameters,
        is_async=inspect.iscoroutinefunction(user_function),
        auth_level=str(getattr(trigger.auth_level, "value", trigger.auth_level) or "anonymous").lower(),
    )


def route_prefix_from_host_json(script_root: Path) -> str:
    """`extensions.http.routePrefix` of host.json, as `func host start` reads it."""
    host_json = script_root / "host.json"
    if not host_json.is_file():
        return DEFAULT_ROUTE_PREFIX
    settings: Mapping[str, Any] = json.loads(host_json.read_text(encoding="utf-8"))
    prefix = settings.get("extensions", {}).get("http", {}).get("routePrefix", DEFAULT_ROUTE_PREFIX)
    return str(prefix)


def _method_name(method: Any) -> str:
    return str(getattr(method, "value", method)).upper()


def _compile(template: str) -> re.Pattern[str]:
    pattern = ""
    position = 0
    for found in re.finditer(_PARAMETER, template):
        literal = template[position : found.start()]
        name = found["name"]
        if found["star"]:
            body = rf"(?P<{name}>.*)"
        else:
            constraints = [c for c in found["constraint"].split(":") if c]
            inner = (
                _CONSTRAINT_PATTERNS.get(constraints[0].split("(")[0].lower(), r"[^/]+") if constraints else r"[^/]+"
            )
            body = rf"(?P<{name}>{inner})"
        if found["optional"] or found["star"]:
            if literal.endswith("/"):
                pattern += re.escape(literal[:-1]) + rf"(?:/{body})?"
            else:
                pattern += re.escape(literal) + rf"{body}?"
        else:
            pattern += re.escape(literal) + body
        position = found.end()
    pattern += re.escape(template[position:])
    return re.compile(pattern, re.IGNORECASE)
