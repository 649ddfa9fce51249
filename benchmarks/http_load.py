#!/usr/bin/env python3
"""Requests/s and latency of the three servers under wrk, side by side in one run.

2-row batches at 16 and 64 connections; 10,000-row batches (rows/s). Every figure is
shown as a ratio to the tutorial-style server measured in the same run, with the
absolute number beside it. Ours runs as the image ships it (JSON log lines, access
log on, timer on) and, beside it, with its access log off; ours and the bare ceiling
run `--workers` processes; the tutorial's Flask development server is one process,
as the tutorial runs it.

    python benchmarks/http_load.py [--seconds 5] [--workers 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import RunningServer, batch_body, ratio, server_kinds, table, wrk  # noqa: E402

SCENARIOS = [
    ("2-row batches, 16 connections", 2, 16),
    ("2-row batches, 64 connections", 2, 64),
    ("10,000-row batches, 8 connections", 10_000, 8),
]


def measure(seconds: float, workers: int, rounds: int) -> dict[str, dict[str, object]]:
    """All servers up at once, measured in interleaved rounds; each keeps its best round.

    Interleaving spreads the noise of a shared machine over every server alike.
    """
    results: dict[str, dict[str, object]] = {}
    servers = [RunningServer(kind) for kind in server_kinds(workers, with_quiet=True)]
    try:
        for title, rows, connections in SCENARIOS:
            body = batch_body(rows)
            for server in servers:
                wrk(server.url("/echo"), body, connections, 1)  # warm-up
            for _ in range(rounds):
                for server in servers:
                    result = wrk(server.url("/echo"), body, connections, seconds)
                    best = results.setdefault(title, {}).get(server.kind.name)
                    if best is None or result.requests_per_s > best[1].requests_per_s:
                        results[title][server.kind.name] = (rows, result)
    finally:
        for server in servers:
            server.stop()
    return results


def report(results: dict[str, dict[str, object]]) -> str:
    out = []
    for title, by_server in results.items():
        baseline_rows, baseline = next(iter(by_server.values()))
        rows = []
        for name, (batch_rows, result) in by_server.items():
            rows.append(
                [
                    name,
                    f"{result.requests_per_s:,.0f}",
                    ratio(result.requests_per_s, baseline.requests_per_s),
                    f"{result.requests_per_s * batch_rows:,.0f}",
                    f"{result.p50_ms:.2f}",
                    f"{result.p99_ms:.2f}",
                    result.errors,
                ]
            )
        ceiling = list(by_server.values())[-1][1].requests_per_s
        ours = list(by_server.values())[1][1].requests_per_s
        quiet = list(by_server.values())[2][1].requests_per_s
        out.append(
            table(
                f"{title} (ours as shipped = {ours / ceiling:.0%} of the bare ceiling; "
                f"the access log costs {1 - ours / quiet:.1%})",
                ["server", "requests/s", "vs tutorial", "rows/s", "p50 ms", "p99 ms", "errors"],
                rows,
            )
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(report(measure(args.seconds, args.workers, args.rounds)))


if __name__ == "__main__":
    main()
