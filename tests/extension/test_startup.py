"""The start-up record of a process: its start from the OS, the import profile, the first calls, the profiler's exit.

Start-up is process-wide, so what needs a fresh process runs in one (`python -c`), in each worker mode.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from python_worker_extension_timer.import_profile import ImportProfiler, bootstrap_module
from python_worker_extension_timer.startup import (
    FirstCall,
    Startup,
    StartupRecord,
    process_start_time,
    started_as_placeholder,
    summary_attributes,
    summary_line,
)
from tests.support import fresh_python

ROOT = Path(__file__).resolve().parents[2]
HOOKS_RUN_HERE = sys.version_info < (3, 13)


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter in `tmp_path`, without the worker-extensions setting unless `env` gives it."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHON_ENABLE_WORKER_EXTENSIONS"} | env
    return fresh_python.run_python(code, cwd=tmp_path, paths=[tmp_path], env=environment)


def fake_proc(tmp_path: Path, stat: str) -> Path:
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "stat").write_text(stat)
    return tmp_path


def stat_line(comm: str, start_ticks: int) -> str:
    fields = ["S"] + ["0"] * 18 + [str(start_ticks)] + ["0"] * 30  # fields 3 to 52; field 22 is the start
    return f"4242 ({comm}) " + " ".join(fields)


# --- when the process started --------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux's /proc")
def test_this_process_started_before_now_and_after_boot():
    started, note = process_start_time()
    assert note is None
    assert started is not None
    import time

    assert time.time() - 3600 * 24 * 365 < started <= time.time()


@pytest.mark.parametrize("comm", ["python3", "a b", "x) (y", ")"])
def test_the_start_is_read_after_the_command_name_whatever_it_holds(tmp_path: Path, comm: str):
    import time

    ticks_now = int(time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK"))
    started, note = process_start_time(fake_proc(tmp_path, stat_line(comm, ticks_now - 200)), now=lambda: 1000.0)
    assert note is None
    assert started == pytest.approx(1000.0 - 200 / os.sysconf("SC_CLK_TCK"), abs=0.05)


@pytest.mark.parametrize(
    "stat, says",
    [
        (None, "FileNotFoundError"),
        ("garbage", "ValueError"),
        ("1 (x) S 1 2", "IndexError"),
    ],
)
def test_an_unreadable_start_is_none_with_the_reason(tmp_path: Path, stat: str | None, says: str):
    proc = tmp_path if stat is None else fake_proc(tmp_path, stat)
    started, note = process_start_time(proc)
    assert started is None
    assert note is not None and "does not say when this process started" in note and says in note


def test_without_a_process_start_time_the_cold_start_is_measured_from_the_timer_import():
    record = StartupRecord(process_started=None, timer_imported=100.0, ready=101.5)
    assert record.init_seconds == pytest.approx(1.5)
    assert record.to_dict()["origin"] == 100.0 and record.to_dict()["measured_from"] == "timer import"
    assert "after the timer was imported" in summary_line(record)


# --- the import profiler -------------------------------------------------------------------------


def test_the_profiler_times_an_import_and_puts_the_original_back(tmp_path: Path, monkeypatch):
    (tmp_path / "slow_for_profile.py").write_text("import time\ntime.sleep(0.05)\nimport fast_for_profile\n")
    (tmp_path / "fast_for_profile.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    original = bootstrap_module()._find_and_load
    profiler = ImportProfiler()
    assert profiler.start()
    assert bootstrap_module()._find_and_load is not original
    import slow_for_profile  # noqa: F401

    profiler.stop()
    assert bootstrap_module()._find_and_load is original
    entries = {entry.module: entry for entry in profiler.profile().slowest}
    slow, fast = entries["slow_for_profile"], entries["fast_for_profile"]
    assert slow.self_ms >= 50
    assert slow.cumulative_ms == pytest.approx(slow.self_ms + fast.cumulative_ms, abs=0.01)
    assert fast.cumulative_ms >= fast.self_ms >= 0


@pytest.mark.parametrize("slowest", [0, 1, 3])
def test_the_profile_keeps_the_slowest_n_and_sums_the_rest(tmp_path: Path, monkeypatch, slowest: int):
    # Each module takes n × 50 ms of the profiler's clock, a clock the modules move themselves: no real time.
    (tmp_path / f"clock_{slowest}.py").write_text("NOW = [0]\n")
    for n in range(5):
        (tmp_path / f"profiled_{slowest}_{n}.py").write_text(
            f"import clock_{slowest}\nclock_{slowest}.NOW[0] += {n} * 50_000_000\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    clock = __import__(f"clock_{slowest}")
    profiler = ImportProfiler(clock=lambda: clock.NOW[0])
    profiler.start()
    for n in range(5):
        __import__(f"profiled_{slowest}_{n}")
    profiler.stop(slowest)
    profile = profiler.profile(slowest)
    assert [e.module for e in profile.slowest] == [f"profiled_{slowest}_{n}" for n in range(4, 4 - slowest, -1)]
    assert profile.rest_count == 5 - slowest
    assert sum(e.self_ms for e in profile.slowest) + profile.rest_self_ms == pytest.approx(profile.total_ms)


def test_a_startup_with_the_profiler_off_says_so():
    startup = Startup(profile_imports=False)
    assert startup.record().imports.state == "off"
    assert "TIMER_IMPORT_PROFILE" in (startup.record().imports.note or "")


def test_the_first_call_ends_start_up_and_the_profiler():
    original = bootstrap_module()._find_and_load
    startup = Startup()
    assert startup.profiler.active
    seen = []
    startup.on_over(seen.append)
    startup.first_call_done("echo", FirstCall(10.0, 10.2, 200.0))
    startup.first_call_done("ui", FirstCall(11.0, 11.1, 100.0))  # not the first: nothing changes
    assert not startup.profiler.active
    assert bootstrap_module()._find_and_load is original
    assert startup.ready == 10.0  # nothing said the app was ready earlier: the first call's start
    assert startup.first_call == "echo"
    assert [list(record.first_calls) for record in seen] == [["echo"]]


# --- ready: when the process could serve, not the end of its first call ----------------------------


class SteppedClock:
    """A wall clock the test sets."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def a_startup(clock: SteppedClock) -> Startup:
    startup = Startup(profile_imports=False, wall=clock)
    startup.process_started, startup.timer_imported = 100.0, 100.2
    return startup


def test_a_server_is_ready_when_it_listens_and_the_wait_for_the_first_call_is_apart():
    clock = SteppedClock(100.5)
    startup = a_startup(clock)
    startup.app_loaded_now("import of function_app finished")
    clock.now = 100.8
    startup.listening_now()
    startup.first_call_done("echo", FirstCall(400.8, 400.9, 100.0))  # five minutes idle, then a call
    record = startup.record({"echo": FirstCall(400.8, 400.9, 100.0)})
    assert (record.ready, record.ready_by) == (100.8, "listening")
    assert record.init_seconds == pytest.approx(0.8)
    assert record.first_call_wait_seconds == pytest.approx(300.0)
    attributes = summary_attributes(record)
    assert attributes["startup.init_s"] == pytest.approx(0.8)
    assert attributes["startup.first_call_wait_s"] == pytest.approx(300.0)
    assert (attributes["startup.first_call"], attributes["startup.first_call_ms"]) == ("echo", 100.0)
    assert "ready 0.800 s after the process started" in summary_line(record)
    assert "first call echo 100.0 ms, 300.000 s after ready" in summary_line(record)


@pytest.mark.parametrize(
    "loads, app_loaded, call_starts, ready, ready_by",
    [
        ([101.0, 101.1, 101.3], 100.9, 200.0, 101.3, "the worker loaded the functions"),
        ([], 100.9, 200.0, 100.9, "import of function_app finished"),
        ([], None, 200.0, 200.0, "first call (the worker had loaded the app by then)"),
    ],
    ids=["the 4.x worker's function-load hooks", "the app's import (3.13+ worker)", "nothing seen before the call"],
)
def test_without_a_server_ready_is_the_last_sign_before_the_first_call(
    loads: list[float], app_loaded: float | None, call_starts: float, ready: float, ready_by: str
):
    clock = SteppedClock(100.9)
    startup = a_startup(clock)
    if app_loaded is not None:
        startup.app_loaded_now("import of function_app finished")
    for moment in loads:
        clock.now = moment
        startup.function_loaded_now()
    startup.first_call_done("echo", FirstCall(call_starts, call_starts + 0.1, 100.0))
    assert (startup.ready, startup.ready_by) == (ready, ready_by)


@pytest.mark.parametrize(
    "initial, now, placeholder",
    [
        ({"WEBSITE_PLACEHOLDER_MODE": "1"}, {"WEBSITE_PLACEHOLDER_MODE": "0"}, True),
        ({"WEBSITE_PLACEHOLDER_MODE": "1"}, {}, True),
        ({"WEBSITE_PLACEHOLDER_MODE": "1"}, {"WEBSITE_PLACEHOLDER_MODE": "1"}, False),  # still waiting for an app
        ({"WEBSITE_PLACEHOLDER_MODE": "0"}, {"WEBSITE_PLACEHOLDER_MODE": "0"}, False),
        ({}, {}, False),
    ],
)
def test_a_worker_started_as_a_placeholder_and_specialised_is_recognised(
    tmp_path: Path, initial: dict[str, str], now: dict[str, str], placeholder: bool
):
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "environ").write_bytes(b"".join(f"{k}={v}".encode() + b"\0" for k, v in initial.items()))
    assert started_as_placeholder(tmp_path, now) is placeholder


def test_a_specialised_placeholder_is_measured_from_the_timer_import_not_its_wait():
    record = StartupRecord(process_started=100.0, timer_imported=3700.0, ready=3700.5, placeholder=True)
    assert record.init_seconds == pytest.approx(0.5)
    assert record.to_dict()["origin"] == 3700.0
    assert "placeholder" in record.measured_from and "placeholder" in summary_line(record)


def test_the_profile_says_when_each_package_was_entered(tmp_path: Path, monkeypatch):
    (tmp_path / "outer_pkg").mkdir()
    (tmp_path / "outer_pkg" / "__init__.py").write_text("import time\ntime.sleep(0.02)\nimport inner_lib\n")
    (tmp_path / "inner_lib.py").write_text("import time\ntime.sleep(0.03)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    profiler = ImportProfiler()
    profiler.start()
    import outer_pkg  # noqa: F401

    profiler.stop()
    packages = {entry.module: entry for entry in profiler.profile().packages}
    outer, inner = packages["outer_pkg"], packages["inner_lib"]
    assert outer.started_ms <= inner.started_ms
    assert outer.cumulative_ms >= inner.cumulative_ms + 20 >= 50


# --- a fresh process, in each worker mode --------------------------------------------------------

APP = """
from python_worker_extension_timer import TimerExtension, timed
import json, sys, azure.functions as func
import slow_module
from python_worker_extension_timer.import_profile import bootstrap_module
from python_worker_extension_timer.startup import PROCESS

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

@app.route(route="lazy")
@timed
def lazy(req: func.HttpRequest) -> func.HttpResponse:
    import time
    if not getattr(lazy, "ready", False):
        time.sleep(0.2)
        lazy.ready = True
    return func.HttpResponse("ok")
"""

DRIVER = """
import json, sys
import importlib
import _frozen_importlib
before, meta_path = _frozen_importlib._find_and_load, list(sys.meta_path)
from azure.functions import Context
modules_before_app = len(sys.modules)
app_module = importlib.import_module("function_app")
from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.import_profile import bootstrap_module
from python_worker_extension_timer.startup import PROCESS
import azure.functions as func

hooks = sys.argv[1] == "hooks"
during = PROCESS.profiler.active
class Ctx(Context):
    def __init__(self, n): self._n = n
    invocation_id = property(lambda self: f"id-{self._n}")
    function_name = property(lambda self: "lazy")
    function_directory = property(lambda self: ".")
    trace_context = retry_context = thread_local_storage = None
if hooks:
    TimerExtension.post_function_load_app_level("lazy", ".")
for n in range(2):
    req = func.HttpRequest("GET", "/lazy", body=b"")
    if hooks:
        TimerExtension.pre_invocation_app_level(None, Ctx(n), {"req": req})
    response = app_module.lazy(req=req)
    if hooks:
        TimerExtension.post_invocation_app_level(None, Ctx(n), {"req": req}, response)
stats = TimerExtension.stats()
print(json.dumps({
    "during": during,
    "after": PROCESS.profiler.active,
    "original": bootstrap_module()._find_and_load is before and sys.meta_path == meta_path,
    "mode": stats["mode"],
    "startup": stats["processes"][0]["startup"],
    "count": stats["functions"]["lazy"]["count"],
    "modules_before_app": modules_before_app,
}))
"""


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "function_app.py").write_text(APP)
    (tmp_path / "slow_module.py").write_text("import time\ntime.sleep(0.3)\n")
    (tmp_path / "driver.py").write_text(DRIVER)
    return tmp_path


MODES = ["decorator"] + (["hooks"] if HOOKS_RUN_HERE else [])


def run_driver(app_dir: Path, mode: str) -> dict[str, Any]:
    """The driver's report of a fresh process that imported the app and called it twice, in a worker mode."""
    done = subprocess.run(
        [sys.executable, "driver.py", mode],
        capture_output=True,
        text=True,
        cwd=app_dir,
        timeout=60,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT / "python_worker_extension_timer"),
            "PYTHON_ENABLE_WORKER_EXTENSIONS": "1" if mode == "hooks" else "0",
        },
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("mode", MODES)
def test_a_fresh_process_profiles_the_apps_imports_and_times_its_cold_first_call(app_dir: Path, mode: str):
    result = run_driver(app_dir, mode)
    startup = result["startup"]
    assert result["mode"] == ("hooks and decorator" if mode == "hooks" else "decorator")
    assert result["during"] and not result["after"]  # the profiler ran during start-up, and left at its end
    assert result["original"]  # the import system's own function is back; sys.meta_path never changed
    assert startup["imports"]["slowest"][0]["module"] == "slow_module"
    assert startup["imports"]["slowest"][0]["self_ms"] >= 300
    assert startup["first_calls"]["lazy"]["duration_ms"] >= 200
    assert result["count"] == 2  # the cold call counts like the warm one
    assert startup["app_loaded_by"] == "import of function_app finished"
    assert startup["process_started"] <= startup["timer_imported"] <= startup["app_loaded"] <= startup["ready"]
    ready_by = "the worker loaded the functions" if mode == "hooks" else "import of function_app finished"
    assert startup["ready_by"] == ready_by
    # The worker's own start, before the app was imported: one segment, with the modules loaded by then.
    assert startup["modules_before_timer"] >= result["modules_before_app"]
    assert startup["measured_from"] == "process start" and not startup["placeholder"]
    assert startup["origin"] == startup["process_started"]


@pytest.mark.parametrize("mode", MODES)
def test_under_the_workers_the_timeline_shows_the_worker_start_before_the_app_as_one_segment(app_dir: Path, mode: str):
    from python_worker_extension_timer.page.startup_view import startup_table, timeline_svg

    startup = run_driver(app_dir, mode)["startup"]
    processes = [{"pid": 1, "startup": startup}]
    segment = f"worker start, before the app was imported, {startup['modules_before_timer']:,} modules loaded"
    assert segment in timeline_svg(processes) and segment in startup_table(processes)
    assert 'class="phase-server"' not in timeline_svg(processes)  # the app imported the timer: no server part


@pytest.mark.parametrize("value, error", [(-1, ValueError), (1001, ValueError), (True, TypeError), (2.0, TypeError)])
def test_slowest_imports_is_validated(value: object, error: type[Exception]):
    from python_worker_extension_timer import TimerExtension

    with pytest.raises(error, match="slowest_imports"):
        TimerExtension.configure(slowest_imports=value)  # type: ignore[arg-type]


def test_slowest_imports_sets_how_many_the_record_keeps():
    from python_worker_extension_timer import TimerExtension
    from python_worker_extension_timer.startup import PROCESS

    before = PROCESS.slowest
    try:
        TimerExtension.configure(slowest_imports=3)
        assert PROCESS.slowest == 3
        assert len(TimerExtension.stats()["processes"][0]["startup"]["imports"]["slowest"]) <= 3
    finally:
        TimerExtension.configure()
    assert PROCESS.slowest == before == 20


# --- an app of several modules -------------------------------------------------------------------

SEVERAL_MODULES = {
    "function_app.py": """
        from python_worker_extension_timer import TimerExtension, timed
        import azure.functions as func
        import bp_orders  # a Blueprint module with @timed functions, imported first
        import slow_module  # then a module that takes 0.2 s

        app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
        app.register_functions(bp_orders.bp)
    """,
    "bp_orders.py": """
        from python_worker_extension_timer import timed
        import azure.functions as func

        bp = func.Blueprint()

        @bp.route(route="orders")
        @timed
        def orders(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("ok")
    """,
    "slow_module.py": """
        import time
        time.sleep(0.2)
        FINISHED = time.time()
    """,
}


@pytest.mark.parametrize("script", ["function_app.py", "main_app.py"])
def test_the_app_is_loaded_when_the_workers_module_finished_importing_not_its_first_timed_module(
    tmp_path: Path, script: str
):
    for name, text in SEVERAL_MODULES.items():
        (tmp_path / (script if name == "function_app.py" else name)).write_text(textwrap.dedent(text))
    done = run_python(
        f"""
        import importlib, json
        importlib.import_module({script[:-3]!r})
        import slow_module
        from python_worker_extension_timer.startup import PROCESS
        record = PROCESS.record()
        print(json.dumps([record.app_loaded, record.app_loaded_by, slow_module.FINISHED]))
        """,
        tmp_path,
        PYTHON_SCRIPT_FILE_NAME=script,
    )
    assert done.returncode == 0, done.stderr
    app_loaded, by, slow_module_finished = json.loads(done.stdout)
    assert by == f"import of {script[:-3]} finished"
    assert app_loaded >= slow_module_finished
