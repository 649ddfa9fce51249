"""The run a server gives its workers (``TIMER_RUN``): read back exactly, anything else refused."""

from __future__ import annotations

import pytest

from python_worker_extension_timer.run import Run, new_run_value

RUN_ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"{RUN_ID}:5:7", Run(RUN_ID, 5, 7)),
        (f"{RUN_ID}:-5:7", Run(RUN_ID, -5, 7)),
        (f"  {RUN_ID}:0:0\n", Run(RUN_ID, 0, 0)),
        (f"{RUN_ID}:{'9' * 20}:{'9' * 20}", Run(RUN_ID, int("9" * 20), int("9" * 20))),
    ],
    ids=["plain", "negative-offset", "surrounding-space", "longest-numbers"],
)
def test_a_run_value_is_read(value: str, expected: Run) -> None:
    assert Run.parse(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not a run",
        f"{RUN_ID}:5",
        f"{RUN_ID}:5:7:9",
        f"{RUN_ID[:-1]}:5:7",
        f"{RUN_ID}0:5:7",
        f"{RUN_ID.upper()}:5:7",
        f"{RUN_ID[:-1]}g:5:7",
        f"{RUN_ID}::7",
        f"{RUN_ID}:5:",
        f"{RUN_ID}:-:7",
        f"{RUN_ID}:+5:7",
        f"{RUN_ID}:5:-7",
        f"{RUN_ID}:{'9' * 21}:7",
        f"{RUN_ID}:5:{'9' * 21}",
        f"{RUN_ID}:5 :7",
        f"{RUN_ID}:٣:7",
        f"{RUN_ID}:1_0:7",
    ],
    ids=[
        "empty",
        "words",
        "two-parts",
        "four-parts",
        "short-id",
        "long-id",
        "upper-case-id",
        "non-hex-id",
        "empty-offset",
        "empty-start",
        "sign-alone",
        "plus-sign",
        "negative-start",
        "offset-too-long",
        "start-too-long",
        "inner-space",
        "non-ascii-digit",
        "underscore",
    ],
)
def test_anything_else_is_not_a_run(value: str) -> None:
    assert Run.parse(value) is None


def test_a_new_run_value_reads_back_as_itself() -> None:
    value = new_run_value()
    run = Run.parse(value)
    assert run is not None and run.to_value() == value
