"""Server settings from the environment, validated once at start-up.

No `from __future__ import annotations` here: `ServerSettings` is a named tuple, which evaluates string
annotations by compiling each one, and every server start pays for defining it (a frozen dataclass of these
fields costs about a millisecond, ten times the named tuple).
"""

import math
import os
import resource
from collections.abc import Mapping
from typing import NamedTuple


class SettingsError(ValueError):
    """An environment variable has a value the server cannot use."""


class ServerSettings(NamedTuple):
    host: str = "127.0.0.1"
    port: int = 8080
    app: str = "function_app:app"
    workers: int = 1
    max_body_bytes: int = 16 * 1024 * 1024
    max_in_flight: int = 256
    probe_path: str = "/healthcheck"
    body_timeout_seconds: int = 10
    header_timeout_seconds: int = 30
    #: Connections one worker process holds at most; 0 means from the file-descriptor limit (`connection_limit`).
    max_connections: int = 0
    max_header_bytes: int = 64 * 1024
    keep_alive_seconds: int = 5
    graceful_timeout_seconds: int = 20
    access_log: str = "all"
    merge_latency: bool = True
    otlp_metrics: bool = False
    log_level: str = "info"
    log_format: str = "plain"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "ServerSettings":
        default = cls._field_defaults
        return cls(
            host=environ.get("SERVER_HOST") or default["host"],
            port=_integer(environ, "SERVER_PORT", default["port"], low=0, high=65535),
            app=environ.get("FUNCTION_APP") or default["app"],
            workers=_integer(environ, "WEB_CONCURRENCY", default_workers(), low=1),
            max_body_bytes=_integer(environ, "SERVER_MAX_BODY_BYTES", default["max_body_bytes"], low=1),
            max_in_flight=_integer(environ, "SERVER_MAX_IN_FLIGHT", default["max_in_flight"], low=1),
            probe_path=environ.get("SERVER_PROBE_PATH") or default["probe_path"],
            body_timeout_seconds=_integer(
                environ, "SERVER_BODY_TIMEOUT_SECONDS", default["body_timeout_seconds"], low=1
            ),
            header_timeout_seconds=_integer(
                environ, "SERVER_HEADER_TIMEOUT_SECONDS", default["header_timeout_seconds"], low=1
            ),
            max_connections=_integer(
                environ, "SERVER_MAX_CONNECTIONS", default["max_connections"], low=0, high=fd_bound()
            ),
            max_header_bytes=_integer(environ, "SERVER_MAX_HEADER_BYTES", default["max_header_bytes"], low=1024),
            keep_alive_seconds=_integer(environ, "SERVER_KEEP_ALIVE_SECONDS", default["keep_alive_seconds"], low=1),
            graceful_timeout_seconds=_integer(
                environ, "SERVER_GRACEFUL_TIMEOUT_SECONDS", default["graceful_timeout_seconds"], low=1, high=28
            ),
            access_log=_access_log(environ),
            merge_latency=_boolean(environ, "SERVER_MERGE_LATENCY", default["merge_latency"]),
            otlp_metrics=_otlp_metrics(environ),
            log_level=_choice(
                environ, "SERVER_LOG_LEVEL", default["log_level"], ("critical", "error", "warning", "info", "debug")
            ),
            log_format=_choice(environ, "SERVER_LOG_FORMAT", default["log_format"], ("plain", "json")),
        )

    @property
    def connection_limit(self) -> int:
        """The connections one worker process holds at most: SERVER_MAX_CONNECTIONS, else `fd_bound()`."""
        return self.max_connections or fd_bound()


#: File descriptors a worker process keeps for other things than connections (listening socket, logs,
#: statistics files, the thread pool's pipes, imports), at least, or this share of the limit if larger.
FD_RESERVE = 64
FD_RESERVE_SHARE = 8


def fd_bound(limit: int | None = None) -> int:
    """The most connections a process may hold under its RLIMIT_NOFILE (soft) limit, leaving a reserve.

    Past the limit `accept` fails with EMFILE and the server can neither answer nor log the request; below
    it the server closes or refuses connections itself (see `container.connections`).
    """
    if limit is None:
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if limit == resource.RLIM_INFINITY or limit <= 0:
        limit = 1 << 20
    return max(1, limit - max(FD_RESERVE, limit // FD_RESERVE_SHARE))


#: Where the kernel states a container's CPU limit: cgroup v2's `cpu.max` ("<quota> <period>" or
#: "max <period>"), and cgroup v1's CFS quota and period files (a quota of -1 means no limit).
CGROUP_V2_CPU_MAX = "/sys/fs/cgroup/cpu.max"
CGROUP_V1_CPU_DIRS = ("/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu")


def default_workers(
    cgroup_cpu_max: str = CGROUP_V2_CPU_MAX, cgroup_v1_cpu_dirs: tuple[str, ...] = CGROUP_V1_CPU_DIRS
) -> int:
    """One process per CPU this container may use: the CPU affinity, capped by a cgroup CPU limit.

    In a compute pool the node may have more CPUs than the service's `resources.limits.cpu`;
    the kernel enforces the limit through the cgroup's quota, which is what counts. Hosts still on
    cgroup v1 (and hybrid ones, where the CPU controller stays on v1) state it in other files.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    limit = _cgroup_v2_cpus(cgroup_cpu_max)
    for directory in cgroup_v1_cpu_dirs:
        if limit is not None:
            break
        limit = _cgroup_v1_cpus(directory)
    return max(1, cpus if limit is None else min(cpus, limit))


def _cgroup_v2_cpus(path: str) -> int | None:
    """CPUs allowed by a cgroup v2 `cpu.max`, rounded up; None without a readable limit."""
    try:
        with open(path, encoding="ascii") as limit:
            quota, period = limit.read().split()[:2]
        return None if quota == "max" else _cpus(int(quota), int(period))
    except (OSError, ValueError):
        return None


def _cgroup_v1_cpus(directory: str) -> int | None:
    """CPUs allowed by cgroup v1's `cpu.cfs_quota_us` / `cpu.cfs_period_us`; None without a limit."""
    try:
        with open(os.path.join(directory, "cpu.cfs_quota_us"), encoding="ascii") as quota_file:
            quota = int(quota_file.read())
        with open(os.path.join(directory, "cpu.cfs_period_us"), encoding="ascii") as period_file:
            period = int(period_file.read())
        return _cpus(quota, period)
    except (OSError, ValueError):
        return None


def _cpus(quota: int, period: int) -> int | None:
    """A CFS quota as whole CPUs, rounded up (1.5 CPUs allow 2 busy processes); None when unlimited."""
    if quota <= 0 or period <= 0:
        return None
    return math.ceil(quota / period)


def _access_log(environ: Mapping[str, str]) -> str:
    """SERVER_ACCESS_LOG: true (every request), false (none) or failures (4xx and 5xx answers only)."""
    raw = environ.get("SERVER_ACCESS_LOG", "").strip().lower()
    if raw in ("failures", "errors"):
        return "failures"
    try:
        return "all" if _boolean(environ, "SERVER_ACCESS_LOG", True) else "off"
    except SettingsError:
        raise SettingsError(f"SERVER_ACCESS_LOG must be true, false or failures, not {raw!r}") from None


def _otlp_metrics(environ: Mapping[str, str]) -> bool:
    enabled = _boolean(environ, "SERVER_OTLP_METRICS", False)
    if enabled and not environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "").strip():
        raise SettingsError(
            "SERVER_OTLP_METRICS is on but OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is not set "
            "(Snowflake sets it inside a service; elsewhere, point it at an OTLP/gRPC collector)"
        )
    return enabled


def _integer(environ: Mapping[str, str], name: str, default: int, low: int, high: int | None = None) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise SettingsError(f"{name} must be {bound}, not {value}")
    return value


def _choice(environ: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}")
    return raw


def _boolean(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")
