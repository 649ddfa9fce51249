"""Worker-extension registrations isolated for a block of code of any scope (the `clean_extensions` fixture's rule).

`azure.functions.ExtensionMeta` registers every extension class when it is defined; inside `isolated_extensions()`
only those defined there are registered, and what was registered before comes back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def isolated_extensions() -> Iterator[None]:
    from azure.functions import ExtensionMeta

    saved = (ExtensionMeta._app_exts, dict(ExtensionMeta._func_exts), dict(ExtensionMeta._info))
    ExtensionMeta._app_exts = None
    ExtensionMeta._func_exts = {}
    ExtensionMeta._info = {}
    try:
        yield
    finally:
        ExtensionMeta._app_exts, ExtensionMeta._func_exts, ExtensionMeta._info = saved
