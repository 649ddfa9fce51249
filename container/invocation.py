"""Calling a function as the Azure Functions Python worker does.

Per invocation the worker (for Python 3.10 to 3.12) builds a Context, runs the app-level then the
function-level pre hooks, calls the function (sync ones in a thread pool, async
ones on the event loop), then the function-level and app-level post hooks. When
the function raises, no post hook runs. A hook that raises is logged with its
traceback on the logger the worker gives it and swallowed. Hooks run only while
`PYTHON_ENABLE_WORKER_EXTENSIONS` is true, and never on Python 3.13+, whose
worker (azure-functions-runtime) runs no extensions: our server mirrors the
worker of the Python it runs on. The worker reads it at every
invocation because Azure may start it before the app's settings are known; our
server starts with its final environment, so it reads the flag once, at start.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import azure.functions as func
from azure.functions import ExtensionMeta

from .routing import Route

ENABLE_FLAG = "PYTHON_ENABLE_WORKER_EXTENSIONS"
THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"
SYSTEM_LOG_PREFIX = "azure_functions_worker"
_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y"})

APP_POST_FUNCTION_LOAD = "post_function_load_app_level"
FUNC_POST_FUNCTION_LOAD = "post_function_load"

worker_logger = logging.getLogger(SYSTEM_LOG_PREFIX)


#: The Python 3.13+ worker (azure-functions-runtime) calls no extension hook at all.
FIRST_PYTHON_WITHOUT_HOOKS = (3, 13)


_THIS_PYTHON: tuple[int, int] = (sys.version_info.major, sys.version_info.minor)


def worker_runs_hooks(version_info: tuple[int, ...] = _THIS_PYTHON) -> bool:
    """Whether Azure's worker for this Python runs worker extensions at all."""
    return tuple(version_info[:2]) < FIRST_PYTHON_WITHOUT_HOOKS


def extensions_enabled(environ: Mapping[str, str] = os.environ, version_info: tuple[int, ...] | None = None) -> bool:
    """Whether the worker of this Python, with this environment, runs the extension hooks."""
    runs_hooks = worker_runs_hooks() if version_info is None else worker_runs_hooks(version_info)
    return runs_hooks and environ.get(ENABLE_FLAG, "").strip().lower() in _TRUE_WORDS


def describe_hooks(
    enabled: bool, environ: Mapping[str, str] = os.environ, version_info: tuple[int, ...] | None = None
) -> str:
    """The start-up log line that says whether extension hooks run, and why."""
    version = _THIS_PYTHON if version_info is None else version_info
    python = f"Python {version[0]}.{version[1]}"
    if enabled:
        return f"worker extension hooks: on ({ENABLE_FLAG} is set, {python}, as Azure's worker)"
    if not worker_runs_hooks(version):
        return (
            f"worker extension hooks: off ({python}: Azure's worker for 3.13+ runs no extensions); "
            "functions decorated with @timed time themselves"
        )
    return f"worker extension hooks: off ({ENABLE_FLAG} is not 1/true); functions decorated with @timed time themselves"


class _NoTrace(func._abc.TraceContext):
    """No distributed trace: nothing upstream of us started one."""

    trace_parent = ""
    trace_state = ""
    attributes: dict[str, str] = {}


class _FirstTry(func._abc.RetryContext):
    retry_count = 0
    max_retry_count = 0
    exception = None  # type: ignore[assignment]  # the stub says RpcException; a first try has none


class InvocationContext(func.Context):
    """The `azure.functions.Context` a function and its extension hooks receive."""

    _trace = _NoTrace()
    _retry = _FirstTry()
    _local = threading.local()

    def __init__(self, function_name: str, function_directory: str, invocation_id: str) -> None:
        self._function_name = function_name
        self._function_directory = function_directory
        self._invocation_id = invocation_id

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        return self._local

    @property
    def trace_context(self) -> func._abc.TraceContext:
        return self._trace

    @property
    def retry_context(self) -> func._abc.RetryContext:
        return self._retry


class InvocationIds:
    """Invocation ids in the host's format (version 4 UUIDs), unique within and across processes.

    Ids must be unique, not secret or unpredictable: each source draws 74 random
    bits once and then numbers its ids, which costs a fraction of uuid.uuid4().
    Make one source per process (the Invoker does), so forked workers differ.
    """

    def __init__(self, bits: Callable[[int], int] = random.getrandbits) -> None:
        random_digits = f"{bits(128) & _NOT_VERSION_BITS | _VERSION_4:032x}"
        self._prefix = f"{random_digits[:8]}-{random_digits[8:12]}-{random_digits[12:16]}-{random_digits[16:20]}-"
        self._last_group = int(random_digits[20:], 16)  # 48 bits, none of them version or variant bits
        self._numbers = itertools.count()  # next() on it is atomic: safe from the thread pool

    def __call__(self) -> str:
        return f"{self._prefix}{(self._last_group ^ next(self._numbers)) & _LAST_GROUP_MASK:012x}"


_VERSION_4 = (0x4 << 76) | (0x2 << 62)  # the version and variant bits of a random (version 4) UUID
_NOT_VERSION_BITS = ~((0xF << 76) | (0x3 << 62))
_LAST_GROUP_MASK = (1 << 48) - 1


class ExtensionHooks:
    """Runs the registered worker extensions' hooks with the worker's rules."""

    def __init__(self, enabled: bool | None = None) -> None:
        #: Whether hooks run; by default `PYTHON_ENABLE_WORKER_EXTENSIONS` as it is now.
        self.enabled = extensions_enabled() if enabled is None else enabled
        self._loggers: dict[str, logging.Logger] = {}

    def function_loaded(self, function_name: str, function_directory: str) -> None:
        if not self.enabled:
            return
        for hooks, name in (
            (ExtensionMeta.get_function_hooks(function_name), FUNC_POST_FUNCTION_LOAD),
            (ExtensionMeta.get_application_hooks(), APP_POST_FUNCTION_LOAD),
        ):
            for hook in getattr(hooks, name, None) or ():
                try:
                    hook.ext_impl(function_name, function_directory)
                except Exception as error:  # the worker logs and goes on
                    worker_logger.error(error, exc_info=True)

    def registered(self, function_name: str) -> tuple[Any, Any] | None:
        """The function's and the app's registered hooks, looked up once per invocation; None if there are none."""
        function_hooks = ExtensionMeta.get_function_hooks(function_name)
        app_hooks = ExtensionMeta.get_application_hooks()
        return None if function_hooks is None and app_hooks is None else (function_hooks, app_hooks)

    def before(self, registered: tuple[Any, Any], context: func.Context, args: dict[str, Any]) -> None:
        """The worker's order before the function: app-level, then function-level pre hooks."""
        function_hooks, app_hooks = registered
        if app_hooks is not None:
            self._run(app_hooks.pre_invocation_app_level, context, args)
        if function_hooks is not None:
            self._run(function_hooks.pre_invocation, context, args)

    def after(self, registered: tuple[Any, Any], context: func.Context, args: dict[str, Any], returned: Any) -> None:
        """The worker's order after the function returned: function-level, then app-level post hooks."""
        function_hooks, app_hooks = registered
        if function_hooks is not None:
            self._run(function_hooks.post_invocation, context, args, returned)
        if app_hooks is not None:
            self._run(app_hooks.post_invocation_app_level, context, args, returned)

    def _run(self, hooks: list[Any], context: func.Context, *args: Any) -> None:
        """Each hook gets the logger, the context, then `func_args` (and `func_ret` after the function)."""
        for hook in hooks:
            logger = self._loggers.get(hook.ext_name) or self._logger(hook.ext_name)
            try:
                hook.ext_impl(logger, context, *args)
            except Exception as error:  # the worker logs and goes on
                logger.error(error, exc_info=True)

    def _logger(self, extension_name: str) -> logging.Logger:
        logger = self._loggers.get(extension_name)
        if logger is None:
            logger = logging.getLogger(f"{SYSTEM_LOG_PREFIX}.extension.{extension_name}")
            self._loggers[extension_name] = logger
        return logger


class Invoker:
    """Calls a route's function wrapped in the extension hooks, as the worker does."""

    def __init__(
        self,
        function_directory: str,
        hooks: ExtensionHooks | None = None,
        new_invocation_id: Callable[[], str] | None = None,
        max_threads: int | None = None,
    ) -> None:
        self.function_directory = function_directory
        self.hooks = hooks or ExtensionHooks()
        self.new_invocation_id = new_invocation_id or InvocationIds()
        if max_threads is None:
            configured = os.environ.get(THREAD_COUNT_SETTING, "").strip()
            max_threads = int(configured) if configured.isdigit() and int(configured) > 0 else None
        self._pool = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="function")

    def load(self, function_names: Iterable[str]) -> None:
        """The worker's function-load step: `post_function_load*` once per function, whatever its trigger."""
        for name in function_names:
            self.hooks.function_loaded(name, self.function_directory)

    async def invoke(self, route: Route, request: func.HttpRequest, invocation_id: str | None = None) -> Any:
        context = InvocationContext(
            route.function_name, self.function_directory, invocation_id or self.new_invocation_id()
        )
        args: dict[str, Any] = {route.trigger_arg: request}
        if route.wants_context:
            args["context"] = context
        hooks = self.hooks
        found = hooks.registered(route.function_name) if hooks.enabled else None
        if route.is_async:
            if found:
                hooks.before(found, context, args)
            returned = await route.user_function(**args)
            if found:
                hooks.after(found, context, args, returned)
            return returned
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call_sync, found, route.user_function, context, args)

    def _call_sync(
        self, found: tuple[Any, Any] | None, function: Callable[..., Any], context: func.Context, args: dict[str, Any]
    ) -> Any:
        if found:
            self.hooks.before(found, context, args)
        returned = function(**args)
        if found:
            self.hooks.after(found, context, args, returned)
        return returned

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
