"""Every rejected row number answers 400 naming the row and the rule: `data[i] (row <as sent>): <rule>`."""

from __future__ import annotations

import orjson
import pytest

from tests.support.in_process import call

JSON = {"Content-Type": "application/json"}
RANGE = "the row number must be a 64-bit integer, from -9223372036854775808 to 9223372036854775807"
INTEGER = "the row number must be an integer, not"


def batch_with_row_number(row_number: bytes) -> bytes:
    """A good row 0, then row 1 with `row_number` written as is (JSON text, or what only lenient parsers take)."""
    return b'{"data": [[0, "fine"], [' + row_number + b', "hello"]]}'


# (row number as sent, the error message)
BAD_ROW_NUMBERS = [
    pytest.param(b"9223372036854775808", f"data[1] (row 9223372036854775808): {RANGE}", id="2^63"),
    pytest.param(b"-9223372036854775809", f"data[1] (row -9223372036854775809): {RANGE}", id="-2^63-1"),
    pytest.param(b"18446744073709551616", f"data[1] (row 18446744073709551616): {RANGE}", id="2^64"),
    pytest.param(b"9" * 400, f"data[1] (row {'9' * 37}...): {RANGE}", id="400-digits"),
    pytest.param(b"-" + b"9" * 5000, f"data[1] (row -{'9' * 36}...): {RANGE}", id="5000-digits-negative"),
    pytest.param(b"1e400", f"data[1] (row 1e400): {INTEGER} a floating-point number", id="1e400"),
    pytest.param(b"-1e400", f"data[1] (row -1e400): {INTEGER} a floating-point number", id="-1e400"),
    pytest.param(b"0.5", f"data[1] (row 0.5): {INTEGER} a floating-point number", id="fraction"),
    pytest.param(b"1.0", f"data[1] (row 1.0): {INTEGER} a floating-point number", id="integral-float"),
    pytest.param(b"1e2", f"data[1] (row 1e2): {INTEGER} a floating-point number", id="exponent"),
    pytest.param(b"-0.0", f"data[1] (row -0.0): {INTEGER} a floating-point number", id="negative-zero"),
    pytest.param(b'"1"', f'data[1] (row "1"): {INTEGER} a string', id="digit-string"),
    pytest.param(b'"NaN"', f'data[1] (row "NaN"): {INTEGER} a string', id="nan-string"),
    pytest.param(b'""', f'data[1] (row ""): {INTEGER} a string', id="empty-string"),
    pytest.param(b'"' + b"x" * 100 + b'"', f'data[1] (row "{"x" * 36}...): {INTEGER} a string', id="long-string"),
    pytest.param(b"true", f"data[1] (row true): {INTEGER} a boolean", id="true"),
    pytest.param(b"false", f"data[1] (row false): {INTEGER} a boolean", id="false"),
    pytest.param(b"null", f"data[1] (row null): {INTEGER} null", id="null"),
    pytest.param(b"[1]", f"data[1] (row [...]): {INTEGER} an array", id="array"),
    pytest.param(b'{"n": 1}', f"data[1] (row {{...}}): {INTEGER} an object", id="object"),
    pytest.param(b"NaN", f"data[1] (row NaN): {INTEGER} NaN, which JSON does not have", id="NaN"),
    pytest.param(b"Infinity", f"data[1] (row Infinity): {INTEGER} Infinity, which JSON does not have", id="Infinity"),
    pytest.param(
        b"-Infinity", f"data[1] (row -Infinity): {INTEGER} -Infinity, which JSON does not have", id="-Infinity"
    ),
]


@pytest.mark.parametrize("row_number, message", BAD_ROW_NUMBERS)
def test_a_bad_row_number_answers_400_naming_the_row_and_the_rule(row_number: bytes, message: str) -> None:
    response = call("echo", "POST", "/echo", batch_with_row_number(row_number), JSON)
    assert (response.status_code, response.mimetype) == (400, "application/json")
    assert orjson.loads(response.get_body()) == {"error": message}


@pytest.mark.parametrize("row_number", [b"-9223372036854775808", b"9223372036854775807", b"-0"])
def test_the_64_bit_bounds_are_row_numbers(row_number: bytes) -> None:
    response = call("echo", "POST", "/echo", batch_with_row_number(row_number), JSON)
    assert response.status_code == 200
    assert orjson.loads(response.get_body())["data"][1] == [int(row_number), "I said hello"]
