"""Snowflake service-function batches: `{"data": [[row, value], ...]}` in, the echo out.

No HTTP here: the handlers and the benchmarks call these functions directly.
The common case is decoded and validated in one C pass by msgspec against the
batch's type; only a batch that fails it is walked row by row in Python, to
name the first bad row in the error.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Any

import msgspec
import orjson

from .errors import InvalidBatch

ROW_ARITY = 2  # [row number, the one SQL argument of my_echo_udf]

ROW_NUMBER_MIN, ROW_NUMBER_MAX = -(2**63), 2**63 - 1  # Snowflake's NUMBER(19,0) row numbers: 64-bit
RowNumber = Annotated[int, msgspec.Meta(ge=ROW_NUMBER_MIN, le=ROW_NUMBER_MAX)]
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
        raise _explain(body) or InvalidBatch(f"the batch does not have the expected shape: {error}") from None
    except msgspec.DecodeError as error:  # NaN or Infinity as a row number is named in the row's format
        raise _explain(body) or InvalidBatch(f"body is not valid JSON: {error}") from None
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
            raise InvalidBatch(_row_problem(position, row) or "")
        number, value = row
        if type(number) is not int or not ROW_NUMBER_MIN <= number <= ROW_NUMBER_MAX:
            raise InvalidBatch(_row_problem(position, row) or "")
        if type(value) is str:
            append((number, prefix + value))
        elif value is None:
            append((number, None))
        elif type(value) in (bool, int, float):
            append((number, prefix + _scalar_text(value)))
        else:
            raise InvalidBatch(_row_problem(position, row) or "")
    return answer


def _scalar_text(value: bool | int | float) -> str:
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)  # any size, as JSON has it
    return orjson.dumps(value).decode()


def _explain(body: bytes) -> InvalidBatch | None:
    """A message naming what is wrong, found by walking the document as plain JSON; None if the walk finds nothing.

    The standard library's parser, not orjson, because it keeps every number as written: orjson turns
    -2**63-1 into a float and refuses 1e400, and a row number must be named as the client sent it.
    """
    try:
        document = json.loads(body, parse_int=_parse_int, parse_float=_JsonNumber, parse_constant=_JsonNumber)
    except (ValueError, RecursionError):  # not JSON even to a lenient parser (it accepts NaN and Infinity)
        return None
    if type(document) is not dict:
        return InvalidBatch(f'body must be a JSON object with a "data" array, not {_json_type(document)}')
    if "data" not in document:
        return InvalidBatch('body has no "data" array')
    rows = document["data"]
    if type(rows) is not list:
        return InvalidBatch(f'"data" must be an array, not {_json_type(rows)}')
    for position, row in enumerate(rows):
        problem = _row_problem(position, row)
        if problem is not None:
            return InvalidBatch(problem)
    return None


class _JsonNumber(str):
    """A JSON number kept as its text: a float (`0.5`, `1e400`), an integer beyond 64 bits, or NaN/Infinity."""

    @property
    def is_integer(self) -> bool:
        return self.lstrip("-").isdigit()

    @property
    def kind(self) -> str:
        if self in _NOT_JSON:
            return f"{self}, which JSON does not have"
        return "an integer" if self.is_integer else "a floating-point number"

    def value_problem(self) -> str | None:
        """Why this number cannot be echoed as a value, or None."""
        if self in _NOT_JSON:
            return f"the value is {self.kind}"
        if self.is_integer:
            limit = sys.get_int_max_str_digits()  # what msgspec, like int(), converts
            return None if len(self.lstrip("-")) <= limit else f"the value has more than {limit} digits"
        return None if math.isfinite(float(self)) else f"the value {self} is beyond the range of a double"


_NOT_JSON = ("NaN", "Infinity", "-Infinity")  # what Python's parser accepts (and we refuse) beyond RFC 8259


def _parse_int(text: str) -> int | _JsonNumber:
    """Python ints for 64-bit integers, the text for any other (Python refuses to convert over 4,300 digits)."""
    number = int(text) if len(text) <= 20 else None
    return number if number is not None and ROW_NUMBER_MIN <= number <= ROW_NUMBER_MAX else _JsonNumber(text)


def _row_problem(position: int, row: Any) -> str | None:
    """What is wrong with `data[position]`, in the README's format `data[i] (row n): <the rule>`; None if nothing."""
    if type(row) not in (list, tuple):
        return f"data[{position}]: each row must be an array [row_number, value], not {_json_type(row)}"
    if not row:
        return f"data[{position}]: the row is empty; it needs a row number and a value"
    if len(row) != ROW_ARITY:
        return f"data[{position}]: the row has {len(row)} element(s); it needs exactly {ROW_ARITY}: [row_number, value]"
    number, value = row
    where = f"data[{position}] (row {_shown(number)})"
    if not (type(number) is int and ROW_NUMBER_MIN <= number <= ROW_NUMBER_MAX):
        if type(number) is int or (type(number) is _JsonNumber and number.is_integer):
            return f"{where}: the row number must be a 64-bit integer, from {ROW_NUMBER_MIN} to {ROW_NUMBER_MAX}"
        return f"{where}: the row number must be an integer, not {_json_type(number)}"
    if type(value) is _JsonNumber:
        problem = value.value_problem()
        return None if problem is None else f"{where}: {problem}"
    if value is not None and type(value) not in (str, bool, int, float):
        return f"{where}: the value must be a string or null, not {_json_type(value)}"
    return None


_SHOWN_LIMIT = 40


def _shown(value: Any) -> str:
    """A row number as the client wrote it (JSON text), cut short; an array or object only as `[...]`/`{...}`."""
    if type(value) in (list, tuple):
        return "[...]"
    if type(value) is dict:
        return "{...}"
    try:
        text = str(value) if type(value) in (int, _JsonNumber) else json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not JSON at all (rows from Python), or an int too long to print
        text = type(value).__name__
    return text if len(text) <= _SHOWN_LIMIT else text[: _SHOWN_LIMIT - 3] + "..."


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
    if type(value) is _JsonNumber:
        return value.kind
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
