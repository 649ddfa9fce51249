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

import pytest

from python_worker_extension_timer.import_profile import ImportProfiler, bootstrap_module
from python_worker_extension_timer.startup import FirstCall, Startup, StartupRecord, process_start_time, summary_line

ROOT = Path(__file__).resolve().parents[2]
HOOKS_RUN_HERE = sys.version_info < (3, 13)


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    paths = [str(tmp_path), str(ROOT / "python_worker_extension_timer"), str(ROOT)]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **env}
    environment.pop("PYTHON_ENABLE_WORKER_EXTENSIONS", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=60,
    )


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
    for n in range(5):
        (tmp_path / f"profiled_{slowest}_{n}.py").write_text(f"import time\ntime.sleep({n} / 40)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    profiler = ImportProfiler()
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
    assert startup.ready == 10.2
    assert [list(record.first_calls) for record in seen] == [["echo"]]


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
}))
"""


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "function_app.py").write_text(APP)
    (tmp_path / "slow_module.py").write_text("import time\ntime.sleep(0.3)\n")
    (tmp_path / "driver.py").write_text(DRIVER)
    return tmp_path


MODES = ["decorator"] + (["hooks"] if HOOKS_RUN_HERE else [])


@pytest.mark.parametrize("mode", MODES)
def test_a_fresh_process_profiles_the_apps_imports_and_times_its_cold_first_call(app_dir: Path, mode: str):
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
    result = json.loads(done.stdout)
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
