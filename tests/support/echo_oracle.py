"""An independent statement of what a correct `/echo` answer is, for property and load tests.

`judge_body(body)` says what a request body deserves (a correct answer, a 4xx, or either where neither JSON
nor the README fixes it); `batch_rows(document)` says whether a decoded JSON document is a valid Snowflake
batch (and gives its rows); `answer_problem(rows, answer, character)` says what is wrong with an answer to
those rows, or None when it is right. Written from RFC 8259 and the README's rules, not from `echo_service.batch`:

- the body is a JSON object with a `data` array of `[row_number, value]` pairs;
- a row number is an integer (not a boolean, not a float);
- a value is a string, null, a number or a boolean (not an object or an array);
- the answer has the same row numbers in the same order (duplicates included); a string answers
  `"<character> said <value>"`, null answers null, a number or boolean answers `"<character> said <its JSON text>"`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

NOT_A_BATCH = None
INT64 = range(-(2**63), 2**63)

VALID = "valid"  # a correct answer is required
INVALID = "invalid"  # a 4xx is required
EITHER = "either"  # beyond what JSON or the README fixes (lone surrogates, numbers out of range, depth): both are fine


@dataclass(frozen=True)
class Judgement:
    verdict: str
    rows: list[list[Any]] | None  # the rows to check an answer against; None when unknown (too deep to decode here)


class _NotJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not JSON")


def judge_body(body: bytes) -> Judgement:
    """What a request body deserves: RFC 8259 JSON (UTF-8, no NaN/Infinity), then the README's batch rules."""
    try:
        text, utf8 = body.decode("utf-8"), True
    except UnicodeDecodeError:  # not JSON; yet bytes in a part the batch ignores may be ignored too
        text, utf8 = body.decode("utf-8", "surrogateescape"), False
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, _NotJson):
        return Judgement(INVALID, None)
    except (ValueError, RecursionError):  # too deep, or an integer too long for Python's own limit
        return Judgement(EITHER, None)
    rows = batch_rows(document)
    if rows is None:
        return Judgement(INVALID, None)
    out_of_range = any(row[0] not in INT64 for row in rows)
    if not utf8 or out_of_range or _has_lone_surrogate_or_infinity(document):
        # Answered, the rows must still be echoed exactly: a bad byte in a value cannot be, so it must be refused.
        return Judgement(EITHER, rows)
    return Judgement(VALID, rows)


def _has_lone_surrogate_or_infinity(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= char <= "\udfff" for char in item):
                return True
        elif isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
    return False


def batch_rows(document: Any) -> list[list[Any]] | None:
    """The rows of a valid batch document, or None when the document is not one."""
    if not isinstance(document, dict) or "data" not in document:
        return NOT_A_BATCH
    rows = document["data"]
    if not isinstance(rows, list):
        return NOT_A_BATCH
    for row in rows:
        if not isinstance(row, list) or len(row) != 2:
            return NOT_A_BATCH
        number, value = row
        if isinstance(number, bool) or not isinstance(number, int):
            return NOT_A_BATCH
        if isinstance(value, (dict, list)):
            return NOT_A_BATCH
    return rows


def answer_problem(rows: list[list[Any]], answer: Any, character: str) -> str | None:
    """What is wrong with `answer` (a decoded answer document) for `rows`; None when it is correct."""
    if not isinstance(answer, dict) or set(answer) != {"data"}:
        return f"the answer is not an object with only a data array: {_short(answer)}"
    got = answer["data"]
    if not isinstance(got, list):
        return f"data is not an array: {_short(got)}"
    if len(got) != len(rows):
        return f"{len(got)} rows answered for {len(rows)}"
    prefix = f"{character} said "
    for position, (row, answered) in enumerate(zip(rows, got, strict=True)):
        if not isinstance(answered, list) or len(answered) != 2:
            return f"row {position}: not a [row_number, value] pair: {_short(answered)}"
        number, value = row
        if answered[0] != number or type(answered[0]) is not int:
            return f"row {position}: row number {answered[0]!r} instead of {number!r}"
        problem = _value_problem(value, answered[1], prefix)
        if problem:
            return f"row {position} (row number {number}): {problem}"
    return None


def _value_problem(value: Any, answered: Any, prefix: str) -> str | None:
    if value is None:
        return None if answered is None else f"null answered {_short(answered)}"
    if not isinstance(answered, str) or not answered.startswith(prefix):
        return f"{_short(value)} answered {_short(answered)}"
    text = answered[len(prefix) :]
    if isinstance(value, str):
        return None if text == value else f"{_short(value)} answered {_short(answered)}"
    if isinstance(value, bool):
        return None if text == ("true" if value else "false") else f"{value!r} answered {_short(answered)}"
    if isinstance(value, int):
        return None if text == str(value) else f"{value!r} answered {_short(answered)}"
    if isinstance(value, float):  # any JSON text of the same double is right (1e+23, 1E23, 100000000000000000000000.0)
        try:
            echoed = json.loads(text)
        except ValueError:
            return f"{value!r} answered {_short(answered)}, not a JSON number"
        same = (
            isinstance(echoed, (int, float))
            and not isinstance(echoed, bool)
            and (float(echoed) == value and math.copysign(1, float(echoed)) == math.copysign(1, value))
        )
        return None if same else f"{value!r} answered {_short(answered)}"
    return f"unexpected value type {type(value).__name__}"


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
