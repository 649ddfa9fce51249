#!/usr/bin/env python3
"""The batch logic in process against the JSON codec alone, on a 10,000-row batch.

codec alone: orjson.loads of the request + orjson.dumps of the answer document
(the least any implementation must do); ours: `echo_service.batch.answer_batch`
(decode, validate every row, echo, encode). Best of several repeats.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    body = batch_body(args.rows)
    answer = orjson.loads(answer_batch(body, "I"))

    def codec() -> None:
        orjson.loads(body)
        orjson.dumps(answer)

    def ours() -> None:
        answer_batch(body, "I")

    best = {}
    for _ in range(3):  # interleaved, so both see the same machine
        for name, call in (("JSON codec alone (orjson loads + dumps)", codec), ("answer_batch (ours)", ours)):
            seconds = min(timeit.repeat(call, number=20, repeat=5)) / 20
            best[name] = min(best.get(name, seconds), seconds)
    base = best["JSON codec alone (orjson loads + dumps)"]
    print(table(f"Batch logic in process, {args.rows:,}-row batch (best of 15 x 20 calls)",
                ["what", "ms per batch", "rows/s", "vs codec alone"],
                [[name, f"{s * 1e3:.2f}", f"{args.rows / s:,.0f}", f"{s / base:.2f}x"] for name, s in best.items()]))


if __name__ == "__main__":
    main()
