"""Uvicorn, configured from the environment, serving the FunctionApp.

Uvicorn: a widely used, well-kept ASGI server with a C HTTP parser (httptools)
and event loop (uvloop), several worker processes, keep-alive and a graceful
shutdown on SIGTERM that lets in-flight requests finish.
"""

from __future__ import annotations

import logging
import sys

import uvicorn

from .settings import ServerSettings, SettingsError


def log_config(settings: ServerSettings) -> dict:
    """Every log line to stdout, where Snowpark Container Services reads them."""
    stream = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stdout": stream},
        "root": {"handlers": ["stdout"], "level": settings.log_level.upper()},
        "loggers": {
            "uvicorn": {"level": settings.log_level.upper()},
            "uvicorn.access": {"level": "INFO" if settings.access_log else "WARNING"},
        },
    }


def run(settings: ServerSettings) -> None:
    uvicorn.run(
        "container.loader:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        http="auto",
        loop="auto",
        lifespan="on",
        access_log=settings.access_log,
        log_config=log_config(settings),
        timeout_keep_alive=settings.keep_alive_seconds,
        timeout_graceful_shutdown=settings.graceful_timeout_seconds,
        server_header=False,
        proxy_headers=False,
    )


def main() -> int:
    try:
        settings = ServerSettings.from_environ()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logging.getLogger("container").info("serving %s on %s:%s", settings.app, settings.host, settings.port)
    run(settings)
    return 0
