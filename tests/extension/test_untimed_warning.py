"""Where no hook runs, one warning through logging names the functions that would go untimed; otherwise silence."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOKS_RUN_HERE = sys.version_info < (3, 13)

APP = """
from python_worker_extension_timer import timed
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

@app.route(route="timed_one")
@timed
def timed_one(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok")
{extra}
"""

UNDECORATED = """
@app.route(route="plain")
def plain(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok")

@app.function_name("renamed")
@app.route(route="other")
async def other(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok")
"""

LOAD = """
import importlib, logging, sys, warnings
warnings.simplefilter("error")  # a bare warning would fail the run
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
app = importlib.import_module("function_app").app
print(sorted(f.get_function_name() for f in app.get_functions()))  # the worker indexes it afterwards, unharmed
"""


def load_app(tmp_path: Path, extra: str, flag: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "function_app.py").write_text(textwrap.dedent(APP).format(extra=textwrap.dedent(extra)))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "python_worker_extension_timer"),
        "PYTHON_ENABLE_WORKER_EXTENSIONS": flag,
    }
    return subprocess.run(
        [sys.executable, "-c", LOAD], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )


def warnings_in(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("WARNING python_worker_extension_timer")]


@pytest.mark.parametrize("flag", ["0", "1"])
def test_an_app_whose_functions_are_all_decorated_starts_with_no_warning(tmp_path: Path, flag: str):
    assert warnings_in(load_app(tmp_path, "", flag)) == []


def test_an_undecorated_function_where_no_hook_runs_is_named_in_one_warning(tmp_path: Path):
    done = load_app(tmp_path, UNDECORATED, "0")
    [warning] = warnings_in(done)
    assert "2 functions of function_app are not decorated with @timed" in warning
    assert warning.endswith(
        "untimed: plain, renamed. Put @timed under @app.route (from python_worker_extension_timer import timed)."
    )
    assert "timed_one" not in warning
    assert done.stdout.strip() == "['plain', 'renamed', 'timed_one']"


@pytest.mark.skipif(not HOOKS_RUN_HERE, reason="the 3.13+ worker runs no hooks: there the warning is due")
def test_where_hooks_run_undecorated_functions_are_timed_by_them_and_nothing_is_said(tmp_path: Path):
    assert warnings_in(load_app(tmp_path, UNDECORATED, "1")) == []


@pytest.mark.skipif(HOOKS_RUN_HERE, reason="Python 3.13+ only")
def test_on_python_313_the_warning_says_its_worker_runs_no_hooks(tmp_path: Path):
    [warning] = warnings_in(load_app(tmp_path, UNDECORATED, "1"))
    assert f"Python {sys.version_info[0]}.{sys.version_info[1]}'s worker runs no extension hooks" in warning


BLUEPRINT_MODULE = """
from python_worker_extension_timer import timed
import azure.functions as func

bp = func.Blueprint()

@bp.route(route="orders/{{order_id}}")
@timed
async def order(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.route_params["order_id"])

@bp.queue_trigger(arg_name="message", queue_name="orders", connection="AzureWebJobsStorage")
{decorator}
def order_queued(message: func.QueueMessage) -> None:
    pass
"""

REGISTERS_THE_BLUEPRINT = """
import bp_orders
app.register_functions(bp_orders.bp)
"""


@pytest.mark.parametrize("flag", ["0"] + ([] if HOOKS_RUN_HERE else ["1"]), ids=lambda flag: f"flag {flag}")
def test_an_undecorated_function_of_a_blueprint_module_is_named(tmp_path: Path, flag: str):
    (tmp_path / "bp_orders.py").write_text(textwrap.dedent(BLUEPRINT_MODULE.format(decorator="")))
    done = load_app(tmp_path, REGISTERS_THE_BLUEPRINT, flag)
    [warning] = warnings_in(done)
    assert "1 function of function_app is not decorated with @timed, so it goes untimed: order_queued." in warning
    assert done.stdout.strip() == "['order', 'order_queued', 'timed_one']"


@pytest.mark.parametrize("flag", ["0", "1"], ids=lambda flag: f"flag {flag}")
def test_an_app_whose_blueprint_functions_are_all_decorated_starts_with_no_warning(tmp_path: Path, flag: str):
    (tmp_path / "bp_orders.py").write_text(textwrap.dedent(BLUEPRINT_MODULE.format(decorator="@timed")))
    done = load_app(tmp_path, REGISTERS_THE_BLUEPRINT, flag)
    assert warnings_in(done) == []
    assert done.stdout.strip() == "['order', 'order_queued', 'timed_one']"
