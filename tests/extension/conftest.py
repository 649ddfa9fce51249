"""Fixtures for the specification of python_worker_extension_timer.

The package lives in ``python_worker_extension_timer/`` (a project folder at
the repository root); its import package is one level down, so that folder is
put on ``sys.path`` unless the package is installed already.
"""

from __future__ import annotations

import copy
import logging
import sys
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2] / "python_worker_extension_timer"
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

import azure.functions as func  # noqa: E402
from azure.functions.extension import ExtensionMeta  # noqa: E402

from container.invocation import InvocationContext  # noqa: E402
from python_worker_extension_timer import TimerExtension  # noqa: E402
from python_worker_extension_timer.clock import ManualClock  # noqa: E402
from python_worker_extension_timer.triggers import APP_TRIGGERS  # noqa: E402

LOGGER_NAME = "python_worker_extension_timer"


class FakeContext(InvocationContext):
    """The runner's real ``azure.functions.Context``, its invocation id writable so long loops reuse one object."""

    def __init__(self, invocation_id: str, function_name: str = "echo") -> None:
        super().__init__(function_name, "/home/site/wwwroot", invocation_id)

    @property
    def invocation_id_(self) -> str:
        return self._invocation_id

    @invocation_id_.setter
    def invocation_id_(self, value: str) -> None:
        self._invocation_id = value


class Worker:
    """Drives the registered app-level hooks the way the Python worker does.

    Hooks are looked up in ``ExtensionMeta.get_application_hooks()`` and
    called positionally with the worker's per-extension system logger; an
    exception from a hook is logged there and swallowed; when the function
    raises, no post hook runs.
    """

    def __init__(self) -> None:
        self._ids = 0
        self._lock = threading.Lock()

    @staticmethod
    def _hooks(name: str) -> list[Any]:
        hooks = ExtensionMeta.get_application_hooks()
        return list(getattr(hooks, name)) if hooks is not None else []

    @staticmethod
    def _system_logger(ext_name: str) -> logging.Logger:
        return logging.getLogger(f"azure_functions_worker.extension.{ext_name}")

    def load(self, function_name: str, function_directory: str = "/home/site/wwwroot") -> None:
        for hook in self._hooks("post_function_load_app_level"):
            try:
                hook.ext_impl(function_name, function_directory)
            except Exception as exc:  # pragma: no cover - the worker's behaviour
                logging.getLogger("azure_functions_worker").error(exc, exc_info=True)

    def new_context(self, function_name: str = "echo") -> FakeContext:
        with self._lock:
            self._ids += 1
            n = self._ids
        return FakeContext(f"00000000-0000-4000-8000-{n:012d}", function_name)

    def pre(self, context: FakeContext, func_args: dict[str, object] | None = None) -> None:
        for hook in self._hooks("pre_invocation_app_level"):
            logger = self._system_logger(hook.ext_name)
            try:
                hook.ext_impl(logger, context, func_args)
            except Exception as exc:
                logger.error(exc, exc_info=True)

    def post(self, context: FakeContext, func_args: dict[str, object] | None, func_ret: object) -> None:
        for hook in self._hooks("post_invocation_app_level"):
            logger = self._system_logger(hook.ext_name)
            try:
                hook.ext_impl(logger, context, func_args, func_ret)
            except Exception as exc:
                logger.error(exc, exc_info=True)

    def invoke(
        self,
        function: Callable[..., object],
        function_name: str = "echo",
        context: FakeContext | None = None,
        func_args: dict[str, object] | None = None,
    ) -> object:
        """pre hooks, the function, post hooks (skipped if the function raises)."""
        context = context or self.new_context(function_name)
        func_args = {} if func_args is None else func_args
        self.pre(context, func_args)
        result = function(**func_args)
        self.post(context, func_args, result)
        return result


@pytest.fixture(autouse=True)
def extension_registry():
    """Isolate ExtensionMeta's global registry and TimerExtension's state.

    Saves ``_app_exts``, ``_func_exts`` and ``_info``, starts each test with a
    registry that holds only TimerExtension (registered as on import, which
    also runs ``init()`` and so resets its state), and restores the saved
    registry afterwards, so classes defined in a test do not leak.
    """
    saved_app = ExtensionMeta._app_exts
    saved_app_lists = None if saved_app is None else {f: list(getattr(saved_app, f)) for f in saved_app._fields}
    saved_func = ExtensionMeta._func_exts
    saved_info = copy.deepcopy(ExtensionMeta._info)

    ExtensionMeta._app_exts = None
    ExtensionMeta._func_exts = {}
    ExtensionMeta._info = {}
    ExtensionMeta._register_application_extension(TimerExtension)
    try:
        yield ExtensionMeta
    finally:
        ExtensionMeta._app_exts = saved_app
        if saved_app is not None:
            for field, items in saved_app_lists.items():
                getattr(saved_app, field)[:] = items
        ExtensionMeta._func_exts = saved_func
        ExtensionMeta._info = saved_info
        TimerExtension.init()


@pytest.fixture(autouse=True)
def app_modules(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Where the timer looks for the app's ``FunctionApp`` (for trigger kinds): nowhere, unless a test says so.

    Other tests of the session may have imported an app (the echo app's ``function_app``); here a function's
    trigger kind comes only from the modules a test names: ``app_modules(module, ...)``.
    """
    modules: list[str] = []
    monkeypatch.setattr(APP_TRIGGERS, "modules", lambda: list(modules))
    APP_TRIGGERS.forget()

    def use(*names: str) -> None:
        modules[:] = names
        APP_TRIGGERS.forget()

    yield use
    APP_TRIGGERS.forget()


#: The functions of :func:`app_with_triggers` and the ``faas.trigger`` each must get.
KINDS = {
    "echo": "http",
    "nightly": "timer",
    "orders": "pubsub",
    "receipts": "datasource",
    "events": "pubsub",
    "hooked": "other",
}


@pytest.fixture
def app_with_triggers(app_modules: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> func.FunctionApp:
    """An app in a module of its own with a function of each kind, some of them from a registered Blueprint.

    None is decorated with ``@timed``: the kinds come from the decorators' metadata alone (:data:`KINDS`).
    """
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="echo")
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("x")

    @app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
    def nightly(timer: func.TimerRequest) -> None:
        pass

    @app.queue_trigger(arg_name="message", queue_name="orders", connection="AzureWebJobsStorage")
    def orders(message: func.QueueMessage) -> None:
        pass

    blueprint = func.Blueprint()

    @blueprint.blob_trigger(arg_name="blob", path="receipts/{name}", connection="AzureWebJobsStorage")
    def receipts(blob: func.InputStream) -> None:
        pass

    @blueprint.event_hub_message_trigger(arg_name="event", event_hub_name="events", connection="EventHub")
    def events(event: func.EventHubEvent) -> None:
        pass

    @blueprint.generic_trigger(arg_name="payload", type="webhookTrigger")
    def hooked(payload: str) -> None:
        pass

    app.register_functions(blueprint)
    module = types.ModuleType("app_with_triggers")
    module.app = app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    app_modules(module.__name__)
    return app


@pytest.fixture
def worker() -> Worker:
    return Worker()


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock starting at 1 s, installed with otherwise default settings."""
    manual = ManualClock(start_ns=1_000_000_000)
    TimerExtension.configure(clock=manual)
    return manual


@pytest.fixture
def make_context() -> Callable[..., FakeContext]:
    return FakeContext


@pytest.fixture
def timed(worker: Worker, clock: ManualClock):
    """Invoke a function that takes ``ms`` milliseconds on the manual clock."""

    def run(ms: float, result: object = None, function_name: str = "echo") -> object:
        def function():
            clock.advance(ms=ms)
            return result

        return worker.invoke(function, function_name)

    return run


@pytest.fixture
def timer_log(caplog):
    """Capture the extension's own logger at DEBUG."""
    caplog.set_level(logging.DEBUG, logger=LOGGER_NAME)
    return caplog
