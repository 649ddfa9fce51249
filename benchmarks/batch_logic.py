#!/usr/bin/env python3
"""The batch logic in process against the JSON codec alone, on 10,000-row batches.

codec alone: orjson.loads of the request + orjson.dumps of the answer document
(the least any implementation must do); ours: `echo_service.batch.answer_batch`
(decode, validate every row, echo, encode); and, for scale, the bare ceiling's
echo (orjson, a new list and string per row, no validation). Any echo builds a
new string per row, which the codec alone does not. Two batches: every value a string,
and one value in ten null (SQL NULL), as Snowflake sends for a VARCHAR column
with NULLs. Best of several interleaved repeats.

    python benchmarks/batch_logic.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import batch_body, table  # noqa: E402
from echo_service.batch import answer_batch  # noqa: E402

CODEC = "JSON codec alone (orjson loads + dumps)"
OURS = "answer_batch (ours)"
BARE = "bare ceiling's echo (no validation)"


def with_nulls(rows: int, every: int = 10) -> bytes:
    return orjson.dumps({"data": [[n, None if n % every == 0 else f"Hello friend number {n}"] for n in range(rows)]})


def best_seconds(body: bytes) -> dict[str, float]:
    answer = orjson.loads(answer_batch(body, "I"))

    def codec() -> None:
        orjson.loads(body)
        orjson.dumps(answer)

    def ours() -> None:
        answer_batch(body, "I")

    def bare() -> None:
        rows = orjson.loads(body)["data"]
        orjson.dumps({"data": [[row[0], None if row[1] is None else "I said " + row[1]] for row in rows]})

    best: dict[str, float] = {}
    for _ in range(3):  # interleaved, so all see the same machine
        for name, call in ((CODEC, codec), (OURS, ours), (BARE, bare)):
            seconds = min(timeit.repeat(call, number=20, repeat=5)) / 20
            best[name] = min(best.get(name, seconds), seconds)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    rows = []
    for batch, body in (
        ("every value a string", batch_body(args.rows)),
        ("one value in ten null", with_nulls(args.rows)),
    ):
        best = best_seconds(body)
        base = best[CODEC]
        rows += [
            [batch, name, f"{s * 1e3:.2f}", f"{args.rows / s:,.0f}", f"{s / base:.2f}x"] for name, s in best.items()
        ]
    print(
        table(
            f"Batch logic in process, {args.rows:,}-row batches (best of 15 x 20 calls)",
            ["batch", "what", "ms per batch", "rows/s", "vs codec alone"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
