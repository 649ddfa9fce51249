"""A sample app of several modules (tests/support/sample_app) timed in every mode, every trigger labelled once.

Through our server (`python -m container`, HTTP), and through the worker's hook path with real
`azure.functions` inputs for the other triggers (tests/support/worker_driver.py, a fresh process each):
exact counts and errors; each function's trigger kind (`http`, `timer`, `pubsub`, `datasource`) the same in
`stats()`, in Prometheus and in OpenTelemetry, the raising HTTP function still `http`; the start-up record's
"app loaded" at the end of `function_app`'s import, after the slow module it imports after its Blueprint module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.servers import ROOT, container_process

SAMPLE_APP = Path(__file__).resolve().parents[1] / "support" / "sample_app"
HOOKS_RUN_HERE = sys.version_info < (3, 13)
FLAGS = ["1", "0"]


def flag_id(flag: str) -> str:
    return "extensions on" if flag == "1" else "extensions off"


#: Every function of the sample app and its trigger kind, as OpenTelemetry's faas.trigger names it.
KINDS = {
    "healthcheck": "http",
    "greet": "http",
    "square": "http",
    "fail": "http",
    "reports_imported": "http",
    "timer_stats": "http",
    "timer_page": "http",
    "timer_metrics": "http",
    "order": "http",
    "tick": "timer",
    "order_queued": "pubsub",
    "order_event": "pubsub",
    "receipt_uploaded": "datasource",
}


def expected_mode(flag: str) -> str:
    return "hooks and decorator" if flag == "1" and HOOKS_RUN_HERE else "decorator"


def series(body: str, metric: str) -> dict[str, tuple[str, float]]:
    """Per function, the trigger label and value of `metric`; one series per function, or the test fails."""
    found: dict[str, tuple[str, float]] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == metric:
                function = sample.labels["function"]
                assert function not in found, f"{function} has two {metric} series"
                found[function] = (sample.labels["trigger"], sample.value)
    return found


# --- through our server --------------------------------------------------------------------------

#: The HTTP traffic, in order: path and how many times.
TRAFFIC = [("/greet/ada", 3), ("/square/7", 2), ("/fail", 2), ("/orders/42", 1)]


@pytest.fixture(scope="module", params=FLAGS, ids=flag_id)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The sample app on our server, after TRAFFIC: its answers, statistics and Prometheus text."""
    server = container_process(cwd=SAMPLE_APP, PYTHONPATH=str(ROOT), PYTHON_ENABLE_WORKER_EXTENSIONS=request.param)
    server.start(tmp_path_factory.mktemp("sample") / "server.log")
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            answers = {path: [client.get(path) for _ in range(times)] for path, times in TRAFFIC}
            yield {
                "flag": request.param,
                "answers": answers,
                "reports": client.get("/reports/imported").json(),
                "stats": client.get("/timer/stats").json(),
                "metrics": client.get("/timer/metrics").text,
                "endpoints": [client.get(path) for path in ("/timer/stats", "/timer/ui", "/timer/metrics")],
            }
    finally:
        server.stop()


def test_the_server_answers_every_http_function(served: dict[str, Any]) -> None:
    answers = served["answers"]
    assert [r.text for r in answers["/greet/ada"]] == ["hello ada"] * 3
    assert [r.text for r in answers["/square/7"]] == ["49"] * 2
    assert [r.status_code for r in answers["/fail"]] == [500, 500]
    assert [r.text for r in answers["/orders/42"]] == ["order 42"]
    for response in answers["/greet/ada"] + answers["/orders/42"]:
        assert "func;dur=" in response.headers["server-timing"]


def test_the_server_counts_each_function_exactly(served: dict[str, Any]) -> None:
    functions = served["stats"]["functions"]
    counted = {name: (functions[name]["count"], functions[name]["errors"]) for name in ("greet", "square", "fail")}
    assert counted == {"greet": (3, 0), "square": (2, 0), "fail": (2, 2)}
    assert (functions["order"]["count"], functions["order"]["errors"]) == (1, 0)
    assert served["stats"]["mode"] == expected_mode(served["flag"])


def test_the_server_labels_every_function_with_its_trigger_kind_from_the_first_export(served: dict[str, Any]) -> None:
    assert {name: kind for name, (kind, _) in series(served["metrics"], "faas_invocations_total").items()} == KINDS
    assert {name: function["trigger"] for name, function in served["stats"]["functions"].items()} == KINDS


def test_the_timers_blueprint_answers_and_its_functions_are_http(served: dict[str, Any]) -> None:
    stats, page, metrics = served["endpoints"]
    assert [r.status_code for r in served["endpoints"]] == [200, 200, 200]
    assert [r.headers["cache-control"] for r in served["endpoints"]] == ["no-store"] * 3
    assert stats.headers["content-type"].startswith("application/json")
    assert set(KINDS) <= set(stats.json()["functions"])
    assert page.headers["content-type"].startswith("text/html")
    assert all(name in page.text for name in ("greet", "order_queued", "receipt_uploaded"))
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    labelled = series(metrics.text, "faas_invocations_total")
    assert {name: labelled[name][0] for name in ("timer_stats", "timer_page", "timer_metrics")} == dict.fromkeys(
        ("timer_stats", "timer_page", "timer_metrics"), "http"
    )
    assert labelled["timer_page"][1] == 1  # the page, asked for just before, is counted like any function


def test_the_raising_http_function_is_still_http_with_its_errors(served: dict[str, Any]) -> None:
    assert series(served["metrics"], "faas_errors_total")["fail"] == ("http", 2.0)


def test_the_app_is_loaded_after_the_slow_module_it_imports_after_its_blueprint_module(
    served: dict[str, Any],
) -> None:
    [process] = served["stats"]["processes"]
    startup = process["startup"]
    assert startup["app_loaded_by"] == "import of function_app finished"
    assert startup["app_loaded"] >= served["reports"]["finished"]
    assert startup["app_loaded"] <= startup["listening"]


# --- through the worker's hook path, every trigger ----------------------------------------------


@pytest.fixture(scope="module", params=FLAGS, ids=flag_id)
def driven(request: pytest.FixtureRequest) -> dict[str, Any]:
    """What tests/support/worker_driver.py printed for the sample app, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHON_ENABLE_WORKER_EXTENSIONS": request.param}
    env.pop("PYTHON_SCRIPT_FILE_NAME", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.worker_driver"],
        capture_output=True,
        text=True,
        cwd=SAMPLE_APP,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return {"flag": request.param, **json.loads(done.stdout)}


def test_the_worker_path_ran_every_trigger_with_real_inputs(driven: dict[str, Any]) -> None:
    assert driven["hooks"] is (driven["flag"] == "1" and HOOKS_RUN_HERE)
    assert driven["stats"]["mode"] == expected_mode(driven["flag"])
    assert driven["ticks"] == [False, True]
    assert driven["received"] == [
        "order 1",
        "order 2",
        "receipts/r1.pdf: 16 bytes",
        '{"order": 1, "state": "paid"}',
        '{"order": 2, "state": "shipped"}',
    ]


def test_the_worker_path_counts_each_function_exactly(driven: dict[str, Any]) -> None:
    counted = {name: (f["count"], f["errors"]) for name, f in driven["stats"]["functions"].items()}
    never_called = dict.fromkeys(KINDS, (0, 0))
    assert counted == {
        **never_called,
        "tick": (2, 0),
        "order_queued": (3, 1),  # the poison message raised
        "receipt_uploaded": (1, 0),
        "order_event": (2, 0),
        "greet": (1, 0),
        "square": (1, 0),
        "fail": (2, 2),
        "order": (1, 0),
    }


def test_the_worker_path_labels_each_function_once_the_same_everywhere(driven: dict[str, Any]) -> None:
    assert {name: f["trigger"] for name, f in driven["stats"]["functions"].items()} == KINDS
    prometheus: dict[str, dict[str, set[str]]] = {}
    for metric, labels, _ in driven["prometheus"]:
        prometheus.setdefault(metric, {}).setdefault(labels["function"], set()).add(labels["trigger"])
    for metric in ("faas_invocations_total", "faas_errors_total"):
        assert prometheus[metric] == {name: {kind} for name, kind in KINDS.items()}, metric
    opentelemetry = driven["opentelemetry"]
    for instrument in ("faas.invocations", "faas.errors"):  # observed for every function, called or not
        assert {name: set(kinds) for name, kinds in opentelemetry[instrument].items()} == {
            name: {kind} for name, kind in KINDS.items()
        }, instrument
    called = {name for name, f in driven["stats"]["functions"].items() if f["count"]}
    assert {name: set(kinds) for name, kinds in opentelemetry["faas.invoke_duration"].items()} == {
        name: {KINDS[name]} for name in called
    }


def test_the_worker_path_keeps_errors_with_the_functions_kind(driven: dict[str, Any]) -> None:
    errors = {(m, labels["function"]): (labels["trigger"], value) for m, labels, value in driven["prometheus"]}
    assert errors[("faas_errors_total", "fail")] == ("http", 2.0)
    assert errors[("faas_errors_total", "order_queued")] == ("pubsub", 1.0)
