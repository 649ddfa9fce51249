"""The functions an app registered, read from its own function builders.

The worker indexes an app by calling ``FunctionApp.get_functions()`` once;
a second call (ours) would make the worker's fail with "does not have a
unique function name". So the timer reads what the decorators built instead:
each ``FunctionApp``'s builders, which ``app.register_functions(bp)`` extends
with those of a Blueprint, wherever that Blueprint was defined.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from azure.functions import FunctionRegister

__all__ = ["AppFunction", "registered_functions"]


@dataclass(frozen=True)
class AppFunction:
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
