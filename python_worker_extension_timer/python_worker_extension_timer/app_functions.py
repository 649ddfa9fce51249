"""The functions an app registered, read from its own function builders.

The worker indexes an app by calling ``FunctionApp.get_functions()`` once;
a second call (ours) would make the worker's fail with "does not have a
unique function name". So the timer reads what the decorators built instead:
each ``FunctionApp``'s builders, which ``app.register_functions(bp)`` extends
with those of a Blueprint, wherever that Blueprint was defined. An app of the
v1 programming model declares each function in a ``function.json`` in the
function's folder, which the worker names when it loads the function.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from azure.functions import FunctionRegister

from .records import Record

__all__ = ["AppFunction", "function_json_trigger", "registered_functions"]

#: What a function of the v1 programming model declares itself in, in its own folder.
FUNCTION_JSON = "function.json"


class AppFunction(Record):
    """One function of the app, as its decorators described it."""

    name: str
    #: The ``type`` of its trigger binding, e.g. ``httpTrigger``; ``None`` while it has no trigger yet.
    trigger_type: str | None
    user_function: Callable[..., Any] | None


def registered_functions(modules: Iterable[ModuleType]) -> list[AppFunction]:
    """Every function of every ``FunctionApp`` (any ``FunctionRegister``) held by a global of ``modules``.

    A builder of a shape this library version does not have is skipped:
    saying nothing beats saying something wrong.
    """
    found: dict[int, AppFunction] = {}
    for module in modules:
        for value in list(vars(module).values()):
            if not isinstance(value, FunctionRegister):
                continue
            for builder in list(getattr(value, "_function_builders", ())):
                function = getattr(builder, "_function", None)
                if function is None or id(builder) in found:
                    continue
                try:
                    name = function.get_function_name()
                    trigger = function.get_trigger()
                    user_function = function.get_user_function()
                except Exception:
                    continue
                if name:
                    trigger_type = getattr(trigger, "type", None)
                    found[id(builder)] = AppFunction(
                        str(name), trigger_type if isinstance(trigger_type, str) else None, user_function
                    )
    return list(found.values())


def function_json_trigger(function_directory: str) -> str | None:
    """The trigger binding's ``type`` in ``function.json`` of a v1-model function's folder; ``None`` if there is none.

    The folder of a v2-model app (the app's root) has no ``function.json``.
    """
    try:
        with open(os.path.join(function_directory, FUNCTION_JSON), "rb") as declaration:  # no pathlib: not loaded yet
            declared = json.loads(declaration.read())
        bindings = declared.get("bindings")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(bindings, list):
        return None
    for binding in bindings:
        kind = binding.get("type") if isinstance(binding, dict) else None
        if isinstance(kind, str) and kind.lower().endswith("trigger"):
            return kind
    return None
