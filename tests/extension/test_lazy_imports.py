"""The timer's import costs every cold start: what only some processes need is imported when first asked for.

Each case runs in a fresh interpreter, where ``sys.modules`` tells exactly what an import loaded.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

from python_worker_extension_timer.settings import LAST_WITH_HOOKS
from tests.support.fresh_python import TWO_TIMED_FUNCTIONS, run_python

#: What a process that times its functions and reads its statistics never needs unless asked.
OPTIONAL_PREFIXES = (
    "opentelemetry",
    "prometheus_client",
    "python_worker_extension_timer.otel",
    "python_worker_extension_timer.prometheus",
    "python_worker_extension_timer.page",
)

#: Appended to each case: which of the modules named on the command line (and their sub-modules) are loaded.
REPORT = """
import json, sys
loaded = sorted(name for name in sys.modules if any(name == p or name.startswith(p + ".") for p in sys.argv[1:]))
print(json.dumps(loaded))
"""

#: Two timed functions, called on the warm path, their statistics read.
TIMED_APP = (
    TWO_TIMED_FUNCTIONS
    + """
for function in (echo, ui, echo, ui, echo):
    function(req=func.HttpRequest("GET", "/", body=b""))
assert TimerExtension.stats()["functions"]["echo"]["count"] == 3
"""
)


#: What an app needs only for what it uses: the endpoints, ``@timed``, the line logged once start-up is over.
ON_DEMAND = (
    "python_worker_extension_timer.blueprint",
    "python_worker_extension_timer.endpoints",
    "python_worker_extension_timer.decorator",
    "python_worker_extension_timer.log_fields",
)

#: What an app of the readme writes in its ``function_app.py`` before it defines its functions.
ADOPTING_APP = """
from python_worker_extension_timer import TimerExtension, timed
TimerExtension.configure()
"""


def loaded_optional_modules(code: str, prefixes: tuple[str, ...] = OPTIONAL_PREFIXES) -> list[str]:
    """Run ``code`` in a fresh interpreter; which of the modules named by ``prefixes`` it had loaded at the end."""
    done = run_python(code + REPORT, *prefixes)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_timer_loads_no_optional_module():
    assert loaded_optional_modules("import python_worker_extension_timer") == []


def test_the_lines_an_adopting_app_writes_load_nothing_it_has_not_used():
    assert loaded_optional_modules(ADOPTING_APP, OPTIONAL_PREFIXES + ON_DEMAND) == []


@pytest.mark.parametrize(
    "using, loaded",
    [
        (
            "import azure.functions as func\n"
            "app = func.FunctionApp()\n"
            "app.register_functions(TimerExtension.blueprint())\n"
            "app.get_functions()  # indexed as the host indexes them",
            [
                "python_worker_extension_timer.blueprint",
                "python_worker_extension_timer.decorator",  # the endpoints are @timed
                "python_worker_extension_timer.endpoints",
            ],
        ),
        ("@timed\ndef echo(req): ...", ["python_worker_extension_timer.decorator"]),
        (TIMED_APP, ["python_worker_extension_timer.decorator", "python_worker_extension_timer.log_fields"]),
    ],
    ids=["serving the endpoints", "decorating a function", "ending start-up with a first call"],
)
def test_a_part_an_app_uses_is_loaded_when_it_uses_it(using: str, loaded: list[str]):
    assert loaded_optional_modules(ADOPTING_APP + using, OPTIONAL_PREFIXES + ON_DEMAND) == loaded


def test_timing_calls_and_reading_statistics_load_no_optional_module():
    assert loaded_optional_modules(TIMED_APP) == []


@pytest.mark.parametrize(
    "asking, loaded",
    [
        (
            "from python_worker_extension_timer import prometheus; prometheus.exposition(TimerExtension)",
            "prometheus_client",
        ),
        ("import opentelemetry.metrics", "python_worker_extension_timer.otel"),
    ],
    ids=["a scrape loads Prometheus", "an app that imports OpenTelemetry is fed"],
)
def test_an_optional_part_is_loaded_when_something_asks_for_it(asking: str, loaded: str):
    assert loaded in loaded_optional_modules(TIMED_APP + asking + "\nTimerExtension.stats()\n")


#: A function_app.py timed by the worker's hooks: no @timed anywhere.
HOOKED_SCRIPT = """
import azure.functions as func
from python_worker_extension_timer import TimerExtension

TimerExtension.configure()
app = func.FunctionApp()

@app.route(route="echo")
def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("x")
"""
WARNING_MODULES = ["python_worker_extension_timer.decorator", "python_worker_extension_timer.untimed"]


@pytest.mark.parametrize("flag", ["1", "0"], ids=["extensions-on", "extensions-off"])
def test_the_untimed_check_is_loaded_only_where_no_hook_times_the_app(tmp_path, flag: str):
    (tmp_path / "function_app.py").write_text(HOOKED_SCRIPT)
    environment = {**os.environ, "PYTHON_ENABLE_WORKER_EXTENSIONS": flag}
    done = run_python("import function_app" + REPORT, *WARNING_MODULES, cwd=tmp_path, paths=[tmp_path], env=environment)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    hooks_run = flag == "1" and sys.version_info[:2] <= LAST_WITH_HOOKS
    assert loaded == ([] if hooks_run else WARNING_MODULES)
    assert ("not decorated with @timed" in done.stderr) is not hooks_run
