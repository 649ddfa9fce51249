"""The one path by which an invocation is recorded, whether a worker hook or ``@timed`` saw it.

Functions here take the extension class (``TimerExtension`` or a subclass:
its name, its ``server_timing_metric`` and its state) and never raise: a
problem is logged once per kind and the invocation goes on.
"""

from __future__ import annotations

import itertools
import os
import uuid
from typing import Any

from azure.functions import HttpResponse

from .clock import NS_PER_MS, NS_PER_SECOND
from .reporting import LOG_FORMAT, append_time_elapsed, is_text_response, set_server_timing
from .state import TimerState

__all__ = ["Extension", "begin", "complete", "end", "fail", "new_invocation_id", "problem"]


#: An extension class (``TimerExtension`` or a subclass): the path reads its ``__name__``,
#: ``server_timing_metric`` and ``_state``.
Extension = Any


def _new_prefix() -> str:
    random = uuid.uuid4().hex
    return f"{random[:8]}-{random[8:12]}-4{random[13:16]}-8{random[17:20]}-"


#: A random prefix per process (renewed in a forked child, which must not repeat its parent's ids).
_prefix = _new_prefix()
_COUNTER = itertools.count(1)


def _renew_prefix() -> None:
    global _prefix
    _prefix = _new_prefix()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_prefix)


def new_invocation_id() -> str:
    """An id in the form of an invocation id (a UUID), unique in the process, for a call no worker named.

    A random prefix per process and a counter: unique like ``uuid4()`` at a
    fraction of its cost on the invocation path.
    """
    return f"{_prefix}{next(_COUNTER):012x}"


def begin(ext: Extension, state: TimerState, name: str, invocation_id: str) -> None:
    """Start timing a call no hook took."""
    try:
        state.in_flight.start(invocation_id, name, state.active.clock())
    except Exception as exc:
        problem(ext, "timed", exc)


def end(ext: Extension, state: TimerState, invocation_id: str, returned: object) -> None:
    """Finish timing a call no hook took, as the post hook would."""
    try:
        end_ns = state.active.clock()
        entry = state.in_flight.finish(invocation_id)
    except Exception as exc:
        problem(ext, "timed", exc)
        return
    if entry is not None:
        complete(ext, state, invocation_id, entry, end_ns, returned)


def fail(ext: Extension, state: TimerState, invocation_id: str) -> None:
    """The function raised: record an error with its duration now; it is no longer in flight."""
    try:
        end_ns = state.active.clock()
        entry = state.in_flight.finish(invocation_id)
        state.claim.set(None)
        if entry is None:
            return
        start_ns, name = entry
        stats = state.functions.get(name) or state.function(name)
        stats.record(end_ns - start_ns, True, end_ns)
        cold = name not in state.first_calls and state.first_call(name, start_ns, end_ns, True)
        sink = state.sink
        if sink is not None:
            sink.record(name, end_ns - start_ns, cold)
    except Exception as exc:
        problem(ext, "timed", exc)


def complete(
    ext: Extension, state: TimerState, invocation_id: str, entry: tuple[int, str], end_ns: int, func_ret: object
) -> None:
    """Record a completed invocation and report it: statistics, log line, response."""
    try:
        active = state.active
        start_ns, name = entry
        duration = end_ns - start_ns
        response = func_ret if isinstance(func_ret, HttpResponse) else None
        error = False
        if response is not None:
            try:
                error = response.status_code >= 500
            except Exception as exc:
                problem(ext, "status_code", exc)
        stats = state.functions.get(name)
        if stats is None:
            stats = state.function(name)
        stats.record(duration, error, end_ns)
        # The first call of each function in the process is its cold call: rare, so the test is all it costs.
        cold = name not in state.first_calls and state.first_call(name, start_ns, end_ns, error)
        sink = state.sink
        if sink is not None:
            sink.record(name, duration, cold)
        level = active.level
        if level is not None and active.logger.isEnabledFor(level):
            active.logger.log(level, LOG_FORMAT, name, invocation_id, duration / NS_PER_MS)
    except Exception as exc:
        problem(ext, "post_invocation_app_level", exc)
        return
    if response is not None:
        if active.append:
            try:
                if is_text_response(response):
                    append_time_elapsed(response, duration / NS_PER_SECOND)
            except Exception as exc:
                problem(ext, "append_to_http_response", exc)
        if active.server_timing:
            try:
                set_server_timing(response.headers, ext.server_timing_metric, duration / NS_PER_MS)
            except Exception as exc:
                problem(ext, "server_timing", exc)


def problem(ext: Any, where: str, exc: BaseException) -> None:
    """Log a problem at WARNING, once per (place, exception type)."""
    try:
        state = ext._state
        kind = (where, type(exc).__qualname__)
        with state.lock:
            if kind in state.problems:
                return
            state.problems.add(kind)
        state.active.logger.warning(
            "%s: %s raised %s: %s (the invocation is not affected; further %s there are not logged)",
            ext.__name__,
            where,
            type(exc).__name__,
            exc,
            type(exc).__name__,
            exc_info=exc,
        )
    except Exception:
        pass
