"""Importing the FunctionApp and wiring the ASGI app around it."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path

import azure.functions as func

from .access_log import AccessLog
from .asgi import EchoServerApp
from .gateway import Gateway
from .invocation import Invoker, describe_hooks
from .requests import RequestConverter
from .routing import RouteTable, indexed_functions, route_prefix_from_host_json
from .settings import ServerSettings
from .telemetry import start_otlp_metrics

logger = logging.getLogger("container.loader")


#: The app setting that names the script the worker imports (`function_app.py` when unset).
SCRIPT_FILE_SETTING = "PYTHON_SCRIPT_FILE_NAME"


def load_function_app(reference: str) -> tuple[func.FunctionApp, Path]:
    """Import `module:attribute` (as the worker imports function_app.py) and its script root.

    The app setting that names the worker's script is set to the module imported, so that the app (and the
    timer, whose start-up record ends "app loaded" with that module's import) sees what it would under the worker.
    """
    module_name, _, attribute = reference.partition(":")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    os.environ[SCRIPT_FILE_SETTING] = f"{module_name}.py"
    module = importlib.import_module(module_name)
    app = getattr(module, attribute or "app")
    if not isinstance(app, func.FunctionApp):
        raise TypeError(f"{reference} is {type(app).__name__}, not an azure.functions.FunctionApp")
    return app, Path(module.__file__ or ".").resolve().parent


def build_app(
    settings: ServerSettings, app: func.FunctionApp | None = None, script_root: Path | None = None
) -> EchoServerApp:
    if app is None:
        app, script_root = load_function_app(settings.app)
    script_root = script_root or Path.cwd()
    routes = RouteTable.from_function_app(app, route_prefix_from_host_json(script_root))
    invoker = Invoker(str(script_root))
    logger.info(describe_hooks(invoker.hooks.enabled))
    invoker.load([function.get_function_name() or "" for function in indexed_functions(app)])
    gateway = Gateway(routes, RequestConverter(settings.max_body_bytes), invoker)
    return EchoServerApp(
        gateway,
        settings.max_body_bytes,
        settings.max_in_flight,
        settings.probe_path,
        settings.body_timeout_seconds,
        settings.max_header_bytes,
        AccessLog(settings.access_log, settings.log_format),
    )


def create_app() -> EchoServerApp:
    """The factory uvicorn calls in each worker process."""
    settings = ServerSettings.from_environ()
    stop_telemetry = start_otlp_metrics() if settings.otlp_metrics else None
    app = build_app(settings)
    if stop_telemetry is not None:
        app.on_shutdown.append(stop_telemetry)
    return app
