#!/usr/bin/env python3
"""Cold starts: what the import profiler costs at start-up, what the start-up record costs per call, start to ready.

1. Importing the app (`import function_app`) in a fresh process with the import profiler (the default) and
   without it (`TIMER_IMPORT_PROFILE=0`), runs interleaved, median. Goal: at most 5 % more.
2. The per-call cost after start-up against the timer before the cold-start work (the package as of
   `BASELINE_COMMIT`, taken from git and loaded under another name beside today's package, in one process),
   hooks and decorator, best of interleaved rounds. Goal: no measurable difference, at most 1 µs.
3. Our server's start, from its start-up record: process start to the timer's import (the server's first
   import), to the app's import, to the app loaded, and to listening, which is ready (the first call, the
   readiness probe, comes after it and apart), median of 5 starts; and the app's import as the profile saw it.

    python benchmarks/cold_start.py [--imports 15] [--rounds 80] [--n 2000] [--starts 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import PYTHON, ROOT, RunningServer, ratio, server_kinds, table  # noqa: E402

#: The last commit before start-up records and the import profiler: "the timer today" for the per-call goal.
BASELINE_COMMIT = "cb6d4e3"
PACKAGE = "python_worker_extension_timer"

IMPORT_APP = """
import time
started = time.perf_counter()
import function_app
print((time.perf_counter() - started) * 1000)
"""

#: 300 empty modules imported in a fresh process, with the profiler running or not: its cost per import,
#: without the noise of real modules' own work.
EMPTY_MODULES = 300
IMPORT_EMPTY = """
import importlib, os, sys, time
sys.path.insert(0, sys.argv[1])
if os.environ["TIMER_IMPORT_PROFILE"] == "1":
    from python_worker_extension_timer.import_profile import ImportProfiler
    ImportProfiler().start()
else:
    import python_worker_extension_timer.import_profile
started = time.perf_counter_ns()
for n in range(int(sys.argv[2])):
    importlib.import_module(f"empty_{n}")
print((time.perf_counter_ns() - started) / int(sys.argv[2]))
"""

PER_CALL = """
import gc, importlib, json, sys, time
import azure.functions as func
from container.invocation import InvocationContext

n, rounds = int(sys.argv[1]), int(sys.argv[2])
packages = {
    "before": importlib.import_module("timer_before"),
    "now": importlib.import_module("python_worker_extension_timer"),
}
response = func.HttpResponse("Bob said hello!")
request = func.HttpRequest("POST", "/echo", body=b"")

def function(req):
    return response

def hooks(extension, contexts):
    pre, post = extension.pre_invocation_app_level, extension.post_invocation_app_level
    for context in contexts:
        args = {"req": request}
        pre(None, context, args)
        post(None, context, args, function(**args))

def decorator(decorated, contexts):
    for _ in contexts:
        decorated(req=request)

setups = {}
for version, package in packages.items():
    extension = package.TimerExtension
    decorated = extension.timed(function)
    decorated(req=request)  # start-up ends at the first call: what follows is the warm path
    setups[version] = {"hooks": (hooks, extension), "decorator": (decorator, decorated)}
best = {(version, way): float("inf") for version in packages for way in ("hooks", "decorator")}
for _ in range(rounds):  # interleaved: a slow moment of the machine hits both versions alike
    for way in ("hooks", "decorator"):
        for version in packages:
            loop, target = setups[version][way]
            contexts = [InvocationContext("function", "/app", f"id-{i}") for i in range(n)]
            gc.collect(); gc.disable()
            started = time.perf_counter_ns()
            loop(target, contexts)
            elapsed = (time.perf_counter_ns() - started) / n
            gc.enable()
            best[version, way] = min(best[version, way], elapsed)
print(json.dumps({f"{version} {way}": ns for (version, way), ns in best.items()}))
"""


def app_modules_profiled() -> int:
    """How many modules the profiler sees when the app is imported."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / PACKAGE)]), "TIMER_IMPORT_PROFILE": "1"}
    code = (
        "import function_app\n"
        "from python_worker_extension_timer.startup import PROCESS\n"
        "print(PROCESS.profiler.profile().modules)"
    )
    done = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1])


def app_import_ms(profile: bool) -> float:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / PACKAGE)])}
    env["TIMER_IMPORT_PROFILE"] = "1" if profile else "0"
    done = subprocess.run([PYTHON, "-c", IMPORT_APP], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def empty_import_ns(folder: Path, profile: bool) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / PACKAGE), "TIMER_IMPORT_PROFILE": "1" if profile else "0"}
    done = subprocess.run(
        [PYTHON, "-c", IMPORT_EMPTY, str(folder), str(EMPTY_MODULES)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def baseline_package(folder: Path) -> Path | None:
    """The package as of BASELINE_COMMIT, as the import package ``timer_before`` in `folder`; None without it.

    Its modules import each other relatively, so under another name it loads beside today's package, in
    the same process, and both are measured in the same rounds.
    """
    archive = folder / "baseline.tar"
    done = subprocess.run(
        ["git", "archive", "-o", str(archive), BASELINE_COMMIT, f"{PACKAGE}/{PACKAGE}"],
        cwd=ROOT,
        capture_output=True,
    )
    if done.returncode != 0:
        return None
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data") if sys.version_info >= (3, 12) else tar.extractall(folder)  # noqa: S202
    return (folder / PACKAGE / PACKAGE).rename(folder / "timer_before")


def per_call_ns(baseline: Path, n: int, rounds: int) -> dict[str, float]:
    """Best ns per call of each way with the package before and now, measured in one process."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(baseline.parent), str(ROOT / PACKAGE), str(ROOT)])}
    env.pop("PYTHON_ENABLE_WORKER_EXTENSIONS", None)
    done = subprocess.run(
        [PYTHON, "-W", "ignore", "-c", PER_CALL, str(n), str(rounds)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def server_start(starts: int) -> dict[str, float]:
    _, ours, _ = server_kinds(workers=1)
    figures: dict[str, list[float]] = {
        "timer imported (the server's first import)": [],
        "app import began": [],
        "app loaded": [],
        "listening = ready": [],
        "app import": [],
    }
    for _ in range(starts):
        with RunningServer(ours) as server, urllib.request.urlopen(server.url("/latency")) as answer:
            record = json.load(answer)["processes"][0]["startup"]
        origin = record["process_started"]
        figures["timer imported (the server's first import)"].append(record["timer_imported"] - origin)
        figures["app import began"].append(record["app_import_started"] - origin)
        figures["app loaded"].append(record["app_loaded"] - origin)
        figures["listening = ready"].append(record["ready"] - origin)
        figures["app import"].append(record["app_loaded"] - record["app_import_started"])
    return {name: statistics.median(values) for name, values in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--imports", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--n", type=int, default=2_000)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()

    with_profile, without = [], []
    for _ in range(args.imports):  # interleaved, so a slow moment of the machine hits both
        without.append(app_import_ms(False))
        with_profile.append(app_import_ms(True))
    with tempfile.TemporaryDirectory() as folder:
        for n in range(EMPTY_MODULES):
            (Path(folder) / f"empty_{n}.py").write_text("")
        empty_off, empty_on = [], []
        for _ in range(args.imports):
            empty_off.append(empty_import_ns(Path(folder), False))
            empty_on.append(empty_import_ns(Path(folder), True))
    added_us = (min(empty_on) - min(empty_off)) / 1000
    modules = app_modules_profiled()
    off, on = min(without), min(with_profile)
    print(
        table(
            f"Importing the app in a fresh process (best and median of {args.imports}, interleaved; goal: the "
            "profiler at most 5 % more)",
            ["", "best ms", "median ms", "best vs without"],
            [
                ["without the import profiler", f"{off:.1f}", f"{statistics.median(without):.1f}", "1.00x"],
                ["with it (the default)", f"{on:.1f}", f"{statistics.median(with_profile):.1f}", ratio(on, off)],
            ],
        )
    )
    print(
        f"\nThe profiler's own cost per import (best of {args.imports} fresh processes importing {EMPTY_MODULES} "
        f"empty modules): {min(empty_off) / 1000:.1f} µs without, {min(empty_on) / 1000:.1f} µs with it, "
        f"{added_us:+.1f} µs; for the {modules} modules the app imports that is {added_us * modules / 1000:+.2f} ms, "
        f"{100 * added_us * modules / 1000 / off:+.2f} % of the app's import."
    )

    with tempfile.TemporaryDirectory() as folder:
        baseline = baseline_package(Path(folder))
        if baseline is None:
            print(f"\nPer-call cost against the timer before: skipped (git has no commit {BASELINE_COMMIT} here).")
        else:
            best = per_call_ns(baseline, args.n, args.rounds)
            rows = []
            for way in ("hooks", "decorator"):
                b, c = best[f"before {way}"], best[f"now {way}"]
                rows.append([way, f"{b:,.0f}", f"{c:,.0f}", f"{(c - b) / 1000:+.2f}", ratio(c, b)])
            print(
                table(
                    f"Per call after start-up, ns (best of {args.rounds} x {args.n:,}; goal: at most 1 µs more than "
                    f"the timer before, {BASELINE_COMMIT})",
                    ["way", "before", "now", "added µs", "now vs before"],
                    rows,
                )
            )

    start = server_start(args.starts)
    print(
        table(
            f"Our server's start, one worker process (median of {args.starts} starts, from its start-up record)",
            ["from the process's start to", "ms"],
            [[name, f"{seconds * 1000:,.0f}"] for name, seconds in start.items() if name != "app import"]
            + [["(the app's import: its start to app loaded)", f"{start['app import'] * 1000:,.0f}"]],
        )
    )


if __name__ == "__main__":
    main()
