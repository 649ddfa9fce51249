"""Snowflake service-function batches: `{"data": [[row, value], ...]}` in, the echo out.

No HTTP here: the handlers and the benchmarks call these functions directly.
The common case is decoded and validated in one C pass by msgspec against the
batch's type; only a batch that fails it is walked row by row in Python, to
name the first bad row in the error.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import orjson

from .errors import InvalidBatch

ROW_ARITY = 2  # [row number, the one SQL argument of my_echo_udf]

RowNumber = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]
Scalar = str | None | bool | int | float
Row = tuple[int, Scalar]


class _Batch(msgspec.Struct):
    data: list[tuple[RowNumber, Scalar]]


_DECODER = msgspec.json.Decoder(_Batch)


def parse_batch(body: bytes) -> list[Row]:
    """Decode a request body into validated (row number, value) rows; raise InvalidBatch naming the problem."""
    if not body:
        raise InvalidBatch('empty body: send a JSON object like {"data": [[0, "hello"]]}')
    try:
        return _DECODER.decode(body).data
    except msgspec.ValidationError as error:
        raise _explain(body, error) from None
    except msgspec.DecodeError as error:
        raise InvalidBatch(f"body is not valid JSON: {error}") from None
    except UnicodeDecodeError:  # raised by the decoder for a string that is not UTF-8
        raise InvalidBatch("body is not valid JSON: a string is not valid UTF-8") from None
    except RecursionError:
        raise InvalidBatch("body is not valid JSON: nested too deeply") from None


def echo_rows(rows: list[Any], character: str) -> list[tuple[int, str | None]]:
    """Answer every row with `<character> said <value>`, keeping row numbers and order.

    SQL NULL (JSON null) answers null; numbers and booleans are echoed as their JSON text.
    Rows from anywhere are checked one by one; InvalidBatch names the first bad row.
    """
    return _echo_checked(rows, f"{character} said ")


def answer_batch(body: bytes, character: str) -> bytes:
    """The whole round trip: request body bytes to response body bytes."""
    rows = parse_batch(body)
    prefix = f"{character} said "
    try:  # strings and nulls (SQL NULL): what Snowflake sends for a VARCHAR argument
        answer: list[tuple[int, str | None]] = [
            # A number or boolean raises TypeError here, and the general path below takes over.
            (number, None if value is None else prefix + value)  # type: ignore[operator]
            for number, value in rows
        ]
    except TypeError:  # a number or boolean somewhere: the general path
        answer = _echo_checked(rows, prefix)
    return orjson.dumps({"data": answer})


def _echo_checked(rows: list[Any], prefix: str) -> list[tuple[int, str | None]]:
    answer: list[tuple[int, str | None]] = []
    append = answer.append
    for position, row in enumerate(rows):
        if type(row) not in (list, tuple) or len(row) != ROW_ARITY:
            raise InvalidBatch(_bad_row_message(position, row))
        number, value = row
        if type(number) is not int:
            raise InvalidBatch(f"data[{position}]: the row number must be an integer, not {_json_type(number)}")
        if type(value) is str:
            append((number, prefix + value))
        elif value is None:
            append((number, None))
        elif type(value) in (bool, int, float):
            append((number, prefix + _scalar_text(value)))
        else:
            raise InvalidBatch(
                f"data[{position}] (row {number}): the value must be a string or null, not {_json_type(value)}"
            )
    return answer


def _scalar_text(value: bool | int | float) -> str:
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)  # any size, as JSON has it
    return orjson.dumps(value).decode()


def _explain(body: bytes, error: msgspec.ValidationError) -> InvalidBatch:
    """A message naming what is wrong, found by walking the document as plain JSON."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return InvalidBatch(f"the batch does not have the expected shape: {error}")
    if type(document) is not dict:
        return InvalidBatch(f'body must be a JSON object with a "data" array, not {_json_type(document)}')
    if "data" not in document:
        return InvalidBatch('body has no "data" array')
    rows = document["data"]
    if type(rows) is not list:
        return InvalidBatch(f'"data" must be an array, not {_json_type(rows)}')
    try:
        _echo_checked(rows, "")
    except InvalidBatch as precise:
        return precise
    return InvalidBatch(f"the batch does not have the expected shape: {error}")


def _bad_row_message(position: int, row: Any) -> str:
    if type(row) not in (list, tuple):
        return f"data[{position}]: each row must be an array [row_number, value], not {_json_type(row)}"
    if not row:
        return f"data[{position}]: the row is empty; it needs a row number and a value"
    return f"data[{position}]: the row has {len(row)} element(s); it needs exactly {ROW_ARITY}: [row_number, value]"


_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    tuple: "an array",
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a floating-point number",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
