"""``@timed``: a function times itself where no worker hook does, and reports its failures at once."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from . import recording
from .claims import covers
from .recording import Extension
from .startup import PROCESS

__all__ = ["TIMED_MARK", "is_timed", "make_timed"]

#: Set on every wrapper, so that a check of the app can tell timed functions from the others.
TIMED_MARK = "__python_worker_extension_timer_timed__"
#: The parameter through which the worker hands a function its ``azure.functions.Context``.
CONTEXT_PARAMETER = "context"


def is_timed(function: object) -> bool:
    """Whether ``function`` is a wrapper made by :func:`make_timed`."""
    return bool(getattr(function, TIMED_MARK, False))


def _takes_context(function: Callable[..., Any]) -> bool:
    try:
        return CONTEXT_PARAMETER in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _invocation_id_of(kwargs: dict[str, Any]) -> str:
    """The worker's invocation id when the function takes ``context``, else one of ours."""
    context = kwargs.get(CONTEXT_PARAMETER)
    invocation_id = getattr(context, "invocation_id", None)
    return invocation_id if isinstance(invocation_id, str) and invocation_id else recording.new_invocation_id()


def make_timed(ext: Extension, function: Callable[..., Any], label: str) -> Callable[..., Any]:
    """The wrapper of ``function`` recorded under ``label`` for the extension class ``ext``."""
    state = ext._state
    state.decorated.add(label)
    state.function(label)
    state.ensure_publishing(ext.__name__)
    module = getattr(function, "__module__", None)
    if module:
        PROCESS.app_defines(module)
    with_context = _takes_context(function)
    new_id = recording.new_invocation_id

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            state = ext._state
            claim = state.claim.get()
            if claim is not None and covers(claim, kwargs):
                state.claim.set(None)
                try:
                    return await function(*args, **kwargs)
                except BaseException:
                    recording.fail(ext, state, claim[0])
                    raise
            key = _invocation_id_of(kwargs) if with_context else new_id()
            recording.begin(ext, state, label, key)
            try:
                returned = await function(*args, **kwargs)
            except BaseException:
                recording.fail(ext, state, key)
                raise
            recording.end(ext, state, key, returned)
            return returned

        setattr(timed_async, TIMED_MARK, True)
        return timed_async

    @functools.wraps(function)
    def timed_sync(*args: Any, **kwargs: Any) -> Any:
        state = ext._state
        claim = state.claim.get()
        if claim is not None and covers(claim, kwargs):
            state.claim.set(None)
            try:
                return function(*args, **kwargs)
            except BaseException:
                recording.fail(ext, state, claim[0])
                raise
        key = _invocation_id_of(kwargs) if with_context else new_id()
        recording.begin(ext, state, label, key)
        try:
            returned = function(*args, **kwargs)
        except BaseException:
            recording.fail(ext, state, key)
            raise
        recording.end(ext, state, key, returned)
        return returned

    setattr(timed_sync, TIMED_MARK, True)
    return timed_sync
