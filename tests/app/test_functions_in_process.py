"""Each function of function_app.app called in process with real HttpRequest objects."""

from __future__ import annotations

import orjson
import pytest

from echo_service.pages import TITLE
from tests.support.cases import BAD_BATCHES, GOOD_BATCHES, TUTORIAL_ANSWER, TUTORIAL_REQUEST, body
from tests.support.in_process import call, registered

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_the_app_registers_the_three_functions_with_their_routes_and_methods() -> None:
    routes = {
        f.get_function_name(): (f.get_trigger().route, sorted(m.value for m in f.get_trigger().methods))
        for f in map(registered, ["echo", "ui", "healthcheck"])
    }
    assert routes["echo"] == ("echo", ["POST"])
    assert routes["ui"] == ("ui", ["GET", "POST"])
    assert routes["healthcheck"] == ("healthcheck", ["GET"])


def test_echo_answers_the_tutorial_example_as_json() -> None:
    response = call("echo", "POST", "/echo", body(TUTORIAL_REQUEST), JSON)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert orjson.loads(response.get_body()) == TUTORIAL_ANSWER


@pytest.mark.parametrize("request_body, expected", GOOD_BATCHES)
def test_echo_answers_good_batches(request_body: bytes, expected: dict) -> None:
    response = call("echo", "POST", "/echo", request_body, JSON)
    assert (response.status_code, orjson.loads(response.get_body())) == (200, expected)


@pytest.mark.parametrize("request_body, message", BAD_BATCHES)
def test_echo_answers_bad_batches_with_400_and_a_json_error(request_body: bytes, message: str) -> None:
    response = call("echo", "POST", "/echo", request_body, JSON)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert message in orjson.loads(response.get_body())["error"]


def test_echo_reads_the_character_name_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARACTER_NAME", "Bob")
    response = call("echo", "POST", "/echo", body({"data": [[0, "hello!"]]}), JSON)
    assert orjson.loads(response.get_body()) == {"data": [[0, "Bob said hello!"]]}


def test_the_character_name_is_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from echo_service import settings

    monkeypatch.setenv("CHARACTER_NAME", "Bob")
    call("echo", "POST", "/echo", body({"data": [[0, "hello!"]]}), JSON)
    monkeypatch.setenv("CHARACTER_NAME", "Alice")
    before_reload = call("echo", "POST", "/echo", body({"data": [[0, "hello!"]]}), JSON)
    settings.reload()
    after_reload = call("echo", "POST", "/echo", body({"data": [[0, "hello!"]]}), JSON)
    assert orjson.loads(before_reload.get_body()) == {"data": [[0, "Bob said hello!"]]}
    assert orjson.loads(after_reload.get_body()) == {"data": [[0, "Alice said hello!"]]}


def test_echo_refuses_a_body_over_the_limit_with_413(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHO_MAX_BODY_BYTES", "100")
    response = call("echo", "POST", "/echo", body({"data": [[0, "x" * 200]]}), JSON)
    assert response.status_code == 413
    assert "limit is 100" in orjson.loads(response.get_body())["error"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/html", "multipart/form-data; b=x"])
def test_echo_refuses_a_non_json_content_type_with_415(content_type: str) -> None:
    response = call("echo", "POST", "/echo", body(TUTORIAL_REQUEST), {"Content-Type": content_type})
    assert response.status_code == 415
    assert "application/json" in orjson.loads(response.get_body())["error"]


@pytest.mark.parametrize("content_type", ["", "application/json; charset=utf-8", "application/vnd.snowflake+json"])
def test_echo_accepts_json_content_types_or_none(content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert call("echo", "POST", "/echo", body(TUTORIAL_REQUEST), headers).status_code == 200


def test_healthcheck_answers_ready() -> None:
    response = call("healthcheck", "GET", "/healthcheck")
    assert (response.status_code, response.get_body()) == (200, b"I'm ready!")


def test_ui_get_shows_the_form() -> None:
    page = call("ui", "GET", "/ui").get_body().decode()
    assert TITLE in page
    assert 'name="input"' in page
    assert 'for="input"' in page


def test_ui_post_shows_input_and_output_escaped() -> None:
    response = call("ui", "POST", "/ui", b"input=%3Cscript%3Ealert(1)%3C%2Fscript%3E", FORM)
    page = response.get_body().decode()
    assert response.status_code == 200
    assert "<script>alert(1)" not in page
    assert "I said &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page


@pytest.mark.parametrize(
    "form_body, headers, status, message",
    [
        pytest.param(b"", FORM, 400, "type some text", id="no-field"),
        pytest.param(b"input=", FORM, 400, "type some text", id="empty-field"),
        pytest.param(b"other=1", FORM, 400, "type some text", id="wrong-field"),
        pytest.param(b"input=%FF%FE", FORM, 400, "UTF-8", id="not-utf8"),
        pytest.param(b"input=" + b"x" * 10_001, FORM, 400, "too long", id="too-long"),
        pytest.param(b'{"input": "x"}', JSON, 415, "submit the form", id="json-body"),
    ],
)
def test_ui_answers_bad_form_input_with_the_form_and_a_message(
    form_body: bytes, headers: dict, status: int, message: str
) -> None:
    response = call("ui", "POST", "/ui", form_body, headers)
    page = response.get_body().decode()
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert 'role="alert"' in page and message in page
    assert 'name="input"' in page
