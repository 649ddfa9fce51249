"""A Python worker process with Application Insights on, as Azure's worker runs one (for the exporter's tests).

Run from the project root as ``python -m tests.support.azure_worker --call GET /healthcheck --idle 2``,
with the app settings in the environment. It does what the worker does, in its order:

1. the root logger at INFO (the worker's level; its own gRPC handler, which sends the lines to the host,
   is left out: the host is not here);
2. ``WorkerInitRequest``: when the worker's setting is on, ``configure_azure_monitor()`` with the
   connection string and the logger name of the app settings, nothing else (Live Metrics stays on, its
   default). Which settings depends on the worker (``--worker``): ``current`` reads
   ``PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY`` and ``PYTHON_APPLICATIONINSIGHTS_LOGGER_NAME`` (the
   4.x worker since Azure/azure-functions-python-worker#1621, and the 3.13+ worker); ``4.34`` reads
   ``PYTHON_ENABLE_OPENTELEMETRY`` and ``PYTHON_AZURE_MONITOR_LOGGER_NAME``;
3. the app's import, then each function's load step (the extension hooks' ``post_function_load``);
4. each call (``--call METHOD PATH``), announced by the worker's INFO line
   ``Received FunctionInvocationRequest, ...``, through the extension hooks as the worker runs them;
5. ``--idle`` seconds of nothing; then a normal exit, where the OpenTelemetry SDK's own exit handlers
   export what is left (``--kill`` ends the process with SIGKILL instead, as a platform that stops a
   worker without waiting would).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import azure.functions as func

ROOT = Path(__file__).resolve().parents[2]

#: Per worker: (the setting that makes it configure Azure Monitor, the setting naming the logger it collects).
WORKER_SETTINGS = {
    "current": ("PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY", "PYTHON_APPLICATIONINSIGHTS_LOGGER_NAME"),
    "4.34": ("PYTHON_ENABLE_OPENTELEMETRY", "PYTHON_AZURE_MONITOR_LOGGER_NAME"),
}

worker_logger = logging.getLogger("azure_functions_worker")


def template_app_settings(template: Path = ROOT / "infra" / "main.bicep") -> dict[str, str]:
    """The app settings with a literal value that the Azure template gives the app (``appSettings: {...}``)."""
    block = template.read_text().split("appSettings: {", 1)[1].split("\n    }", 1)[0]
    return dict(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*): '([^']*)'\s*$", block, re.MULTILINE))


#: What every run here adds to the app settings: no Statsbeat (it would go to Microsoft's own endpoint).
QUIET = {"APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true"}


def start_worker(
    connection_string: str,
    settings: Mapping[str, str],
    calls: Sequence[tuple[str, str]],
    temp_dir: Path,
    idle: float = 0.0,
    worker: str = "current",
    kill: bool = False,
    environ: Mapping[str, str] | None = None,
) -> subprocess.Popen[str]:
    """Start this module as a worker process with these app settings (stdout piped: it prints ``calls done``).

    ``temp_dir`` becomes its ``TMPDIR``, where the exporter would keep what it failed to send.
    """
    env = {**(os.environ if environ is None else environ), **QUIET, **settings}
    env.update(APPLICATIONINSIGHTS_CONNECTION_STRING=connection_string, TMPDIR=str(temp_dir))
    command = [sys.executable, "-m", "tests.support.azure_worker", "--worker", worker, "--idle", str(idle)]
    for method, path in calls:
        command += ["--call", method, path]
    if kill:
        command.append("--kill")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def setting_on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true"}


def initialize_azure_monitor(worker: str) -> bool:
    """The worker's ``WorkerInitRequest`` step: ``configure_azure_monitor()`` when its setting is on."""
    enable, logger_name = WORKER_SETTINGS[worker]
    if not setting_on(enable):
        return False
    from azure.monitor.opentelemetry import configure_azure_monitor

    os.environ.setdefault("OTEL_EXPERIMENTAL_RESOURCE_DETECTORS", "azure_functions")
    configure_azure_monitor(
        connection_string=os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING"),
        logger_name=os.environ.get(logger_name, ""),
    )
    worker_logger.info("Successfully configured Azure monitor distro.")
    return True


async def serve(calls: Sequence[tuple[str, str]]) -> None:
    from container.invocation import Invoker
    from container.loader import load_function_app
    from container.routing import RouteTable, indexed_functions, route_prefix_from_host_json

    app, script_root = load_function_app("function_app:app")
    routes = RouteTable.from_function_app(app, route_prefix_from_host_json(script_root))
    invoker = Invoker(str(script_root))
    invoker.load([function.get_function_name() or "" for function in indexed_functions(app)])
    for request_number, (method, path) in enumerate(calls):
        route, params = routes.match(method, path)
        invocation_id = str(uuid.uuid4())
        worker_logger.info(
            "Received FunctionInvocationRequest, request ID: %s, function ID: %s, function name: %s, "
            "invocation ID: %s, function type: %s, timestamp (UTC): %s",
            request_number,
            route.function_name,
            route.function_name,
            invocation_id,
            "async" if route.is_async else "sync",
            datetime.now(timezone.utc).isoformat(),
        )
        request = func.HttpRequest(
            method,
            f"http://localhost{path}",
            headers={},
            params={},
            route_params=params,
            body=b'{"data": [[0, "hi"]]}' if method == "POST" else b"",
        )
        await invoker.invoke(route, request, invocation_id)
    invoker.shutdown()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=sorted(WORKER_SETTINGS), default="current")
    parser.add_argument("--call", nargs=2, action="append", default=[], metavar=("METHOD", "PATH"))
    parser.add_argument("--idle", type=float, default=0.0, help="seconds of nothing after the calls")
    parser.add_argument("--kill", action="store_true", help="end with SIGKILL: no exit handler runs")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.INFO)
    worker_logger.info("Received WorkerInitRequest")
    initialize_azure_monitor(args.worker)
    asyncio.run(serve([(method.upper(), path) for method, path in args.call]))
    print("calls done", flush=True)
    time.sleep(args.idle)
    if args.kill:
        os.kill(os.getpid(), signal.SIGKILL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
