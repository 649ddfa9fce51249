"""Snowflake service-function batches: `{"data": [[row, value], ...]}` in, the echo out.

No HTTP here: the handlers and the benchmarks call these functions directly.
"""

from __future__ import annotations

from typing import Any

import orjson

from .errors import InvalidBatch

ROW_ARITY = 2  # [row number, the one SQL argument of my_echo_udf]


def parse_batch(body: bytes) -> list[Any]:
    """Decode a request body and return its `data` rows (not yet validated one by one)."""
    if not body:
        raise InvalidBatch('empty body: send a JSON object like {"data": [[0, "hello"]]}')
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise InvalidBatch(f"body is not valid JSON: {error}") from None
    if type(document) is not dict:
        raise InvalidBatch(f'body must be a JSON object with a "data" array, not {_json_type(document)}')
    if "data" not in document:
        raise InvalidBatch('body has no "data" array')
    rows = document["data"]
    if type(rows) is not list:
        raise InvalidBatch(f'"data" must be an array, not {_json_type(rows)}')
    return rows


def echo_rows(rows: list[Any], character: str) -> list[list[Any]]:
    """Answer every row with `<character> said <value>`, keeping row numbers and order.

    SQL NULL (JSON null) answers null; numbers and booleans are echoed as their JSON text.
    """
    prefix = f"{character} said "
    answer: list[list[Any]] = []
    append = answer.append
    for position, row in enumerate(rows):
        if type(row) is not list or len(row) != ROW_ARITY:
            raise InvalidBatch(_bad_row_message(position, row))
        number, value = row
        if type(number) is not int:
            raise InvalidBatch(
                f"data[{position}]: the row number must be an integer, not {_json_type(number)}"
            )
        if type(value) is str:
            append([number, prefix + value])
        elif value is None:
            append([number, None])
        elif type(value) in (dict, list):
            raise InvalidBatch(
                f"data[{position}] (row {number}): the value must be a string or null, "
                f"not {_json_type(value)}"
            )
        else:
            append([number, prefix + orjson.dumps(value).decode()])
    return answer


def answer_batch(body: bytes, character: str) -> bytes:
    """The whole round trip: request body bytes to response body bytes."""
    return orjson.dumps({"data": echo_rows(parse_batch(body), character)})


def _bad_row_message(position: int, row: Any) -> str:
    if type(row) is not list:
        return f"data[{position}]: each row must be an array [row_number, value], not {_json_type(row)}"
    if not row:
        return f"data[{position}]: the row is empty; it needs a row number and a value"
    return (
        f"data[{position}]: the row has {len(row)} element(s); "
        f"it needs exactly {ROW_ARITY}: [row_number, value]"
    )


_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a floating-point number",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
