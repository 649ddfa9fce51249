"""The batch logic, with no HTTP: Snowflake's batch format in, the echo out."""

from __future__ import annotations

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
    assert echo_rows([[0, "hello!"]], "Bob") == [[0, "Bob said hello!"]]


def test_a_hundred_thousand_rows_keep_their_numbers_and_order() -> None:
    rows = [[n, f"row {n}"] for n in range(100_000)]
    answer = echo_rows(rows, "I")
    assert len(answer) == 100_000
    assert [n for n, _ in answer] == list(range(100_000))
    assert answer[99_999] == [99_999, "I said row 99999"]


def test_parse_batch_returns_the_rows_untouched() -> None:
    assert parse_batch(b'{"data": [[0, "a"]]}') == [[0, "a"]]
