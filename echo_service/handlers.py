"""The HTTP functions: plain functions over `HttpRequest` -> `HttpResponse`.

Both runtimes call these very functions: the Azure Functions worker through
`function_app.py`, and our own server in `container/`. The latency statistics
are not here: the timer extension serves them.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import azure.functions as func

from . import pages, settings
from .batch import answer_batch
from .errors import PayloadTooLarge, RequestError, UnsupportedMediaType
from .responses import errors_as_json, errors_as_page, html_response, text_response

READY_TEXT = "I'm ready!"
MAX_UI_INPUT_CHARS = 10_000
_JSON_MEDIA_TYPES = frozenset({"application/json", "text/json", "text/plain", "application/octet-stream"})
_FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


@errors_as_json
def echo(req: func.HttpRequest) -> func.HttpResponse:
    """POST /echo: answer a Snowflake batch row by row."""
    media_type = _media_type(req)
    if media_type and media_type not in _JSON_MEDIA_TYPES and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type must be application/json, not {media_type}")
    body = _bounded_body(req)
    return func.HttpResponse(answer_batch(body, settings.character_name()), mimetype="application/json")


def healthcheck(req: func.HttpRequest) -> func.HttpResponse:
    """GET /healthcheck: the readiness probe of Snowpark Container Services."""
    return text_response(READY_TEXT)


def _form_with_error(req: func.HttpRequest, error: RequestError) -> str:
    return pages.echo_form(error=error.message)


@errors_as_page(_form_with_error)
def ui(req: func.HttpRequest) -> func.HttpResponse:
    """GET /ui shows the form; POST /ui echoes what was typed into it."""
    if req.method != "POST":
        return html_response(pages.echo_form())
    typed = _typed_input(req)
    output = f"{settings.character_name()} said {typed}"
    return html_response(pages.echo_form(typed=typed, output=output))


def _typed_input(req: func.HttpRequest) -> str:
    media_type = _media_type(req)
    if media_type != _FORM_MEDIA_TYPE:
        raise UnsupportedMediaType(f"submit the form ({_FORM_MEDIA_TYPE}), not {media_type or 'no Content-Type'}")
    body = _bounded_body(req)
    try:
        text = body.decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=False, errors="strict", max_num_fields=50)
    except UnicodeDecodeError:
        raise RequestError("the form was not sent as UTF-8 text") from None
    except ValueError:
        raise RequestError("the form has too many fields") from None
    typed = (fields.get("input") or [""])[0]
    if not typed:
        raise RequestError("type some text into the box, then press Echo")
    if len(typed) > MAX_UI_INPUT_CHARS:
        raise RequestError(f"the text is too long: at most {MAX_UI_INPUT_CHARS:,} characters")
    return typed


def _media_type(req: func.HttpRequest) -> str:
    return str(req.headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def _bounded_body(req: func.HttpRequest) -> bytes:
    body = req.get_body() or b""
    limit = settings.max_body_bytes()
    if len(body) > limit:
        raise PayloadTooLarge(f"the body is {len(body):,} bytes; the limit is {limit:,}")
    return body
