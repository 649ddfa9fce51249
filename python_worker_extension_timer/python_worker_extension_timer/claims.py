"""How a ``@timed`` function learns that a worker hook already took its invocation.

Where the worker runs the hooks, the pre hook leaves a *claim* in a context
variable; the claim follows the invocation into the function (same coroutine,
or same thread-pool thread), so the decorator knows not to time it again.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

__all__ = ["Claim", "claim", "covers"]

#: ``(invocation_id, name of the first argument, weak reference to its value)``.
Claim = tuple[str, "str | None", "weakref.ref[Any] | None"]


def claim(invocation_id: str, func_args: Mapping[str, object] | None) -> Claim:
    """The claim of an invocation about to run with ``func_args``.

    On a reused thread a claim left behind (a function without the decorator
    raised, so no post hook cleared it) must not be taken for the next call's:
    the weak reference to the first argument lets the decorator check that it
    is called with that very object.
    """
    if func_args:
        for key, value in func_args.items():
            try:
                return (invocation_id, key, weakref.ref(value))
            except TypeError:  # not weakly referable: trust the claim
                break
    return (invocation_id, None, None)


def covers(claim: Claim, kwargs: Mapping[str, object]) -> bool:
    """Whether the call with these keyword arguments is the invocation that made ``claim``."""
    ref = claim[2]
    if ref is None:
        return True
    value = ref()
    return value is not None and kwargs.get(claim[1]) is value  # type: ignore[arg-type]
