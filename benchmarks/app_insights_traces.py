#!/usr/bin/env python3
"""Traces sent to Application Insights per idle minute and per call: the app settings before and now.

A worker process configured as Azure's Python worker configures the Azure Monitor distro
(`tests/support/azure_worker.py`) sends, with the SDK's default intervals (metrics every 60 s, logs
batched every second, Live Metrics pinged every 5 s), to a stand-in for the ingestion API on 127.0.0.1
(`tests/support/ingestion.py`), which counts what would land in `traces`.

- *before*: the template's app settings until now, `PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true`
  alone: the worker collects the root logger;
- *now*: the template's app settings (`infra/main.bicep`): only the timer's logger is collected.

Per idle minute: one call (the cold start), then the traces that arrive over `--idle` seconds, from
6 s after the call (when the cold-start line has been sent), scaled to a minute. Per call: the traces of
a process that served `--calls` calls less those of one that served one, over the difference in calls
(each process exits normally, so the SDK sends what it still holds).

    python benchmarks/app_insights_traces.py [--idle 66] [--calls 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import ratio, table  # noqa: E402
from tests.support.azure_worker import start_worker, template_app_settings  # noqa: E402
from tests.support.ingestion import Capture, ingestion_stand_in  # noqa: E402

BEFORE = {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1", "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY": "true"}
#: The cold-start line is sent with the first log batch, a second or so after the first call.
SETTLED = 6.0


def serve(settings: Mapping[str, str], calls: int, idle: float) -> tuple[Capture, float]:
    """One worker process: `calls` calls to /healthcheck, then `idle` seconds; its capture and when the calls ended."""
    with ingestion_stand_in() as stand_in, tempfile.TemporaryDirectory() as temp_dir:
        process = start_worker(
            stand_in.connection_string, settings, [("GET", "/healthcheck")] * calls, Path(temp_dir), idle
        )
        assert process.stdout is not None
        process.stdout.readline()  # "calls done"
        done = time.monotonic()
        _, err = process.communicate(timeout=idle + 120)
        if process.returncode != 0:
            raise RuntimeError(f"the worker process failed: {err[-2000:]}")
        return stand_in.capture, done


def idle_per_minute(settings: Mapping[str, str], idle: float) -> tuple[float, Counter[str]]:
    capture, done = serve(settings, 1, idle)
    traces = capture.traces_between(done + SETTLED, done + idle)
    loggers = Counter(str(t.get("properties", {}).get("logger_name")) for t in traces)
    return len(traces) * 60 / (idle - SETTLED), loggers


def per_call(settings: Mapping[str, str], calls: int) -> float:
    many, _ = serve(settings, calls, 0.0)
    one, _ = serve(settings, 1, 0.0)
    return (len(many.traces()) - len(one.traces())) / (calls - 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=66.0, help="seconds of idleness measured (at least 12)")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    variants = {"before (root logger collected)": BEFORE, "now (the template's settings)": template_app_settings()}
    with ThreadPoolExecutor(max_workers=2 * len(variants)) as pool:
        idle = {name: pool.submit(idle_per_minute, settings, args.idle) for name, settings in variants.items()}
        calls = {name: pool.submit(per_call, settings, args.calls) for name, settings in variants.items()}
        results = {name: (idle[name].result(), calls[name].result()) for name in variants}
    (base_idle, _), base_call = results[next(iter(variants))]
    rows = []
    for name, ((per_minute, loggers), call) in results.items():
        where = ", ".join(f"{logger} {count}" for logger, count in loggers.most_common()) or "none"
        rows.append(
            [name, f"{per_minute:.1f}", ratio(per_minute, base_idle), f"{call:.2f}", ratio(call, base_call), where]
        )
    print(
        table(
            f"Traces sent to Application Insights (idle {args.idle:.0f} s after one call; {args.calls} calls)",
            [
                "app settings",
                "traces per idle minute",
                "vs before",
                "traces per call",
                "vs before",
                "idle traces by logger",
            ],
            rows,
        )
    )
    print("\nper idle minute: about 1,440 such minutes a day per worker process that stays up")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
