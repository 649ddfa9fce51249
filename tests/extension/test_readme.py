"""The readme a new user follows: its quick start is an app that runs as written, served by our server.

The blocks marked `<!-- readme-app: <file> -->` are written out unchanged and served by
`python -m container` from their own folder, the way Azure's worker loads `function_app.py`; with
no host.json the routes sit under Azure's default prefix, `api/`. The readme's other Python blocks
run against an app of their own.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import azure.functions as func
import httpx
import pytest
from packaging.requirements import Requirement
from prometheus_client.parser import text_string_to_metric_families

from python_worker_extension_timer import TimerExtension, timed
from tests.support.readme_app import app_files, python_blocks, write_app
from tests.support.servers import ROOT, ServerProcess, container_process

PACKAGE = "python_worker_extension_timer"


def test_the_readme_marks_an_app_its_requirements_and_its_modules() -> None:
    files = app_files()
    assert {"requirements.txt", "function_app.py", "orders.py"} <= set(files)
    requirements = [Requirement(line) for line in files["requirements.txt"].splitlines() if line.strip()]
    [timer] = [r for r in requirements if r.name == PACKAGE]
    assert timer.extras == {"prometheus"}
    assert files["function_app.py"].startswith(f"from {PACKAGE} import TimerExtension, timed")
    assert "app.register_functions(TimerExtension.blueprint())" in files["function_app.py"]


#: The functions each Python block of the readme registers, in the readme's order; None for the quick
#: start's function_app.py, which imports the app's own module and is served whole, below.
REGISTERED_BY_BLOCK: list[set[str] | None] = [
    None,
    {"create_order"},  # the orders module's Blueprint
    {"timer_stats", "timer_page"},  # the endpoints on routes of one's own, without the Prometheus one
    {"metrics"},  # the Prometheus text on a route of the app
]


def registered_functions(namespace: dict[str, Any]) -> set[str]:
    """The names of the functions on every FunctionApp and Blueprint a block left in `namespace`."""
    names = set()
    for value in namespace.values():
        if isinstance(value, func.Blueprint) and not isinstance(value, func.FunctionApp):
            app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
            app.register_functions(value)
            value = app
        if isinstance(value, func.FunctionApp):
            names |= {function.get_function_name() for function in value.get_functions()}
    return names


def test_the_table_of_registrations_covers_every_python_block() -> None:
    assert len(python_blocks()) == len(REGISTERED_BY_BLOCK)


@pytest.mark.parametrize("index", range(len(REGISTERED_BY_BLOCK)))
def test_every_python_block_runs_in_an_app_and_registers_its_functions(index: int) -> None:
    """Blocks that are not a whole module are run with what the quick start has defined: app, func, the timer."""
    block, registers = python_blocks()[index], REGISTERED_BY_BLOCK[index]
    if registers is None:  # the quick start's function_app.py: served whole, below
        assert "from orders import" in block
        compile(block, "function_app.py", "exec")
        return
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    namespace = {"app": app, "func": func, "TimerExtension": TimerExtension, "timed": timed, "__name__": "readme"}
    exec(compile(block, f"readme block {index}", "exec"), namespace)  # noqa: S102 - the readme's own text
    assert registered_functions(namespace) == registers


@pytest.fixture(scope="module", params=["1", "0"], ids=["hooks where they run", "decorator only"])
def readme_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("readme_app")
    write_app(folder / "app")
    server = container_process(
        cwd=folder / "app",
        ready_path="/api/timer/stats",
        PYTHON_ENABLE_WORKER_EXTENSIONS=request.param,
        PYTHONPATH=str(ROOT),
    )
    server.start(folder / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def called(readme_server: ServerProcess) -> str:
    """The app's own functions called once each; the base URL."""
    base = readme_server.base_url
    assert httpx.get(f"{base}/api/hello/Ada", timeout=10).text == "Hello, Ada!"
    order = httpx.post(f"{base}/api/orders", content=b'{"item": 1}', timeout=10)
    assert (order.status_code, order.content) == (201, b'{"item": 1}')
    return base


def test_the_json_counts_the_app_s_functions_wherever_they_are_defined(called: str) -> None:
    response = httpx.get(f"{called}/api/timer/stats", timeout=10)
    assert response.headers["cache-control"] == "no-store"
    functions = response.json()["functions"]
    assert (functions["hello"]["count"], functions["create_order"]["count"]) == (1, 1)
    assert functions["timer_stats"]["count"] >= 1  # the endpoints are timed like the app's own


def test_the_page_draws_each_function_and_its_links_lead_to_the_other_endpoints(called: str) -> None:
    page_url = f"{called}/api/timer/ui"
    response = httpx.get(page_url, timeout=10)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert 'aria-label="Latency histogram of hello"' in response.text
    assert 'aria-label="Latency histogram of create_order"' in response.text
    toolbar = re.search(r'<nav class="toolbar".*?</nav>', response.text, re.S).group(0)  # not the in-page links
    links = dict(re.findall(r'<a (?:class="button" )?href="([^"]+)">([^<]+)</a>', toolbar))
    answers = {label: httpx.get(urljoin(page_url, href), timeout=10) for href, label in links.items()}
    assert {label: answer.status_code for label, answer in answers.items()} == dict.fromkeys(
        ["Refresh", "Auto-refresh every 5 s", "JSON", "Prometheus text"], 200
    )
    assert answers["JSON"].json()["extension"] == "TimerExtension"


def test_the_prometheus_text_counts_the_app_s_functions(called: str) -> None:
    response = httpx.get(f"{called}/api/timer/metrics", timeout=10)
    assert response.headers["cache-control"] == "no-store"
    counts = {
        sample.labels["function"]: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "faas_invocations_total"
    }
    assert (counts["hello"], counts["create_order"]) == (1, 1)


def test_the_app_s_own_routes_need_no_key_and_the_timer_s_declare_one(tmp_path: Path) -> None:
    """As the host reads the app: its anonymous default for its own functions, a function key for the timer's."""
    write_app(tmp_path)
    spec = importlib.util.spec_from_file_location("readme_function_app", tmp_path / "function_app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(tmp_path))  # for its `from orders import bp`
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("orders", None)
    levels = {
        function.get_function_name(): str(binding["authLevel"].value).lower()
        for function in module.app.get_functions()
        for binding in function.get_bindings_dict()["bindings"]
        if binding["type"] == "httpTrigger"
    }
    assert levels == {
        "hello": "anonymous",
        "create_order": "anonymous",
        "timer_stats": "function",
        "timer_page": "function",
        "timer_metrics": "function",
    }
