"""The batch logic, with no HTTP: Snowflake's batch format in, the echo out."""

from __future__ import annotations

import re

import orjson
import pytest

from echo_service.batch import answer_batch, echo_rows, parse_batch
from echo_service.errors import InvalidBatch
from tests.support.cases import BAD_BATCHES, GOOD_BATCHES


@pytest.mark.parametrize("request_body, expected", GOOD_BATCHES)
def test_a_good_batch_is_answered_row_by_row(request_body: bytes, expected: dict) -> None:
    assert orjson.loads(answer_batch(request_body, "I")) == expected


@pytest.mark.parametrize("request_body, message", BAD_BATCHES)
def test_a_bad_batch_raises_invalid_batch_naming_the_problem(request_body: bytes, message: str) -> None:
    with pytest.raises(InvalidBatch) as raised:
        answer_batch(request_body, "I")
    assert message in raised.value.message
    assert raised.value.status == 400


def test_the_character_name_prefixes_every_value() -> None:
    assert echo_rows([[0, "hello!"]], "Bob") == [(0, "Bob said hello!")]


def test_a_hundred_thousand_rows_keep_their_numbers_and_order() -> None:
    rows = [[n, f"row {n}"] for n in range(100_000)]
    answer = echo_rows(rows, "I")
    assert len(answer) == 100_000
    assert [n for n, _ in answer] == list(range(100_000))
    assert answer[99_999] == (99_999, "I said row 99999")


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([[0, "a"], [1, None]], id="text-then-null"),
        pytest.param([[0, "a"], [1, 2]], id="text-then-number"),
        pytest.param([[0, "a"], [True, "b"]], id="bool-row-number-late"),
        pytest.param([[0, "a"], ["ab"]], id="short-row-late"),
        pytest.param([[0, "a"], "xy"], id="two-letter-string-row"),
        pytest.param([[0, "a"], {"k": 1, "j": 2}], id="two-key-object-row"),
    ],
)
def test_mixed_batches_answer_as_if_checked_row_by_row(rows: list) -> None:
    from echo_service.batch import _echo_checked

    try:
        expected = _echo_checked(rows, "I said ")
    except InvalidBatch as error:
        with pytest.raises(InvalidBatch, match=re.escape(error.message)):
            echo_rows(rows, "I")
    else:
        assert echo_rows(rows, "I") == expected


def test_parse_batch_returns_validated_rows() -> None:
    assert parse_batch(b'{"data": [[0, "a"], [1, null], [2, 3]]}') == [(0, "a"), (1, None), (2, 3)]


@pytest.mark.parametrize(
    "json_value, text",
    [(b"1" + b"0" * 30, "1" + "0" * 30), (b"true", "true"), (b"false", "false"), (b"0.1", "0.1"), (b"1E2", "100.0")],
)
def test_scalars_of_any_size_are_echoed_in_their_json_form(json_value: bytes, text: str) -> None:
    request_body = b'{"data": [[0, ' + json_value + b"]]}"
    assert orjson.loads(answer_batch(request_body, "I")) == {"data": [[0, f"I said {text}"]]}


def test_a_row_number_beyond_64_bits_is_refused() -> None:
    with pytest.raises(InvalidBatch, match="row number"):
        answer_batch(b'{"data": [[18446744073709551616, "a"]]}', "I")
