"""Each function's trigger kind comes from the app's own metadata, read from its builders, never get_functions()."""

from __future__ import annotations

import json
import sys
import types

import azure.functions as func
import pytest

from python_worker_extension_timer import TimerExtension
from python_worker_extension_timer.app_functions import function_json_trigger, registered_functions
from python_worker_extension_timer.checks import check_record
from python_worker_extension_timer.run import Run
from python_worker_extension_timer.snapshot import MergedView, ProcessRecord
from python_worker_extension_timer.triggers import AppTriggers, faas_trigger
from tests.extension.conftest import KINDS


@pytest.mark.parametrize(
    "trigger_type, kind",
    [
        ("httpTrigger", "http"),
        ("timerTrigger", "timer"),
        ("queueTrigger", "pubsub"),
        ("serviceBusTrigger", "pubsub"),
        ("eventHubTrigger", "pubsub"),
        ("eventGridTrigger", "pubsub"),
        ("kafkaTrigger", "pubsub"),
        ("rabbitMQTrigger", "pubsub"),
        ("blobTrigger", "datasource"),
        ("cosmosDBTrigger", "datasource"),
        ("sqlTrigger", "datasource"),
        ("mysqlTrigger", "datasource"),
        ("HttpTrigger", "http"),  # the host reads binding types in any case
        ("orchestrationTrigger", "other"),
        ("webhookTrigger", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_a_trigger_bindings_type_gives_opentelemetrys_faas_trigger(trigger_type: str | None, kind: str):
    assert faas_trigger(trigger_type) == kind


def test_the_apps_functions_are_read_with_those_of_its_blueprints(app_with_triggers: func.FunctionApp):
    module = sys.modules["app_with_triggers"]
    found = {f.name: faas_trigger(f.trigger_type) for f in registered_functions([module])}
    assert found == KINDS
    assert {f.get_function_name() for f in app_with_triggers.get_functions()} == set(KINDS)  # indexing still works


def test_a_renamed_function_is_read_under_its_name():
    app = func.FunctionApp()

    @app.function_name("nightly_report")
    @app.timer_trigger(schedule="0 0 3 * * *", arg_name="timer")
    def report(timer: func.TimerRequest) -> None:
        pass

    module = types.ModuleType("renamed_app")
    module.app = app  # type: ignore[attr-defined]
    assert [(f.name, f.trigger_type) for f in registered_functions([module])] == [("nightly_report", "timerTrigger")]


def test_an_app_held_by_two_modules_is_read_once():
    app = func.FunctionApp()

    @app.route(route="one")
    def one(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("1")

    first, second = types.ModuleType("first"), types.ModuleType("second")
    first.app = second.app = app  # type: ignore[attr-defined]
    assert [f.name for f in registered_functions([first, second])] == ["one"]


def test_a_blueprint_never_registered_is_not_the_apps():
    blueprint = func.Blueprint()

    @blueprint.route(route="lost")
    def lost(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse("?")

    module = types.ModuleType("unregistered")
    module.bp = blueprint  # type: ignore[attr-defined]
    assert registered_functions([module]) == []


def test_a_name_asked_for_before_the_app_exists_is_other_until_forgotten(monkeypatch: pytest.MonkeyPatch):
    triggers = AppTriggers(lambda: ["late_app"])
    assert triggers.of("tick") == "other"
    app = func.FunctionApp()

    @app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
    def tick(timer: func.TimerRequest) -> None:
        pass

    module = types.ModuleType("late_app")
    module.app = app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "late_app", module)
    assert triggers.of("tick") == "other"  # remembered: it is asked for on every call
    triggers.forget()  # what the timer does when the app's module finished importing
    assert triggers.of("tick") == "timer"


def test_a_name_the_app_does_not_have_is_other_and_the_others_are_read_at_once(app_with_triggers: func.FunctionApp):
    triggers = AppTriggers(lambda: ["not_imported", "app_with_triggers"])
    assert triggers.of("nobody") == "other"
    assert {name: triggers.of(name) for name in KINDS} == KINDS


def record(pid: int, triggers: dict[str, str]) -> ProcessRecord:
    return ProcessRecord(pid=pid, started=1.0, updated=2.0, in_flight=0, triggers=triggers)


def test_the_kinds_travel_with_a_processs_record_and_merge():
    known = check_record(record(1, {"tick": "timer", "echo": "http"}).to_json(), Run("0" * 32, 0, 0), now=3.0)
    unknowing = record(2, {"tick": "other"})
    view = MergedView([unknowing, known])
    assert known.triggers == {"tick": "timer", "echo": "http"}
    assert (view.trigger_of("tick"), view.trigger_of("echo"), view.trigger_of("nobody")) == ("timer", "http", "other")


V1_FUNCTION_JSON = {
    "scriptFile": "__init__.py",
    "bindings": [
        {"name": "message", "type": "queueTrigger", "direction": "in", "queueName": "orders"},
        {"name": "$return", "type": "blob", "direction": "out", "path": "archive/{id}"},
    ],
}


def test_a_v1_function_has_its_kind_from_the_function_json_the_worker_loaded_it_from(tmp_path, worker):
    folder = tmp_path / "order_queued"
    folder.mkdir()
    (folder / "function.json").write_text(json.dumps(V1_FUNCTION_JSON))
    worker.load("order_queued", str(folder))
    worker.load("plain", str(tmp_path))  # no function.json there: as a v2 app's root
    kinds = {name: f["trigger"] for name, f in TimerExtension.stats()["functions"].items()}
    assert kinds == {"order_queued": "pubsub", "plain": "other"}


@pytest.mark.parametrize("text", ["not json", "[]", '{"bindings": 3}', '{"bindings": [{"type": "blob"}]}'])
def test_a_function_json_without_a_trigger_binding_says_nothing(tmp_path, text):
    (tmp_path / "function.json").write_text(text)
    assert function_json_trigger(str(tmp_path)) is None
