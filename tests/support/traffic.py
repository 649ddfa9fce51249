"""A mix of good and bad requests, each able to judge its own answer, for load and shutdown tests.

`planned_requests(stream)` yields an endless, reproducible mix: good batches of varied sizes whose contents are
unique to the request (so an answer given to the wrong request is caught), invalid JSON, invalid batches, a
wrong method, an unknown path, UI form posts and readiness probes. `PlannedRequest.problem(status, headers,
body)` says what is wrong with an answer, or None when it is exactly the expected one.
"""

from __future__ import annotations

import html
import json
import random
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.support.raw_http import request_bytes

CHARACTER = "I"
KINDS = {  # kind: weight
    "good-batch": 50,
    "bad-json": 10,
    "invalid-batch": 8,
    "wrong-method": 8,
    "unknown-path": 7,
    "ui-post": 12,
    "healthcheck": 5,
}
_SPICE = ["", " ", "é", "世界", "🎉", "<b>&amp;</b>", '"quoted"', "\\", "\n", "\u0000"]


@dataclass(frozen=True)
class PlannedRequest:
    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    expected: Any = None  # the answer document of a good batch, or the typed text of a UI post

    def raw(self) -> bytes:
        """The request as bytes for a plain socket."""
        return request_bytes(self.method, self.path, self.body, self.headers)

    def problem(self, status: int, headers: Mapping[str, str], body: bytes) -> str | None:
        """What is wrong with this answer; None when it is the expected one."""
        if status != self.status:
            return f"{self.kind}: status {status}, expected {self.status}: {body[:200]!r}"
        content_type = headers.get("content-type", "")
        if self.kind == "good-batch":
            if content_type != "application/json":
                return f"{self.kind}: content-type {content_type}"
            try:
                answer = json.loads(body)
            except ValueError:
                return f"{self.kind}: the answer is not JSON: {body[:200]!r}"
            if answer != self.expected:
                return f"{self.kind}: wrong answer {body[:200]!r} for {self.body[:200]!r}"
        elif self.kind == "ui-post":
            output = f'<dd id="echo-output">{html.escape(f"{CHARACTER} said {self.expected}")}</dd>'
            if not content_type.startswith("text/html") or output.encode() not in body:
                return f"{self.kind}: the page does not show {output!r}"
        elif self.kind == "healthcheck":
            if body != b"I'm ready!":
                return f"{self.kind}: {body[:100]!r}"
        else:
            try:
                error = json.loads(body)
            except ValueError:
                return f"{self.kind}: the error is not JSON: {body[:200]!r}"
            if not isinstance(error, dict) or not isinstance(error.get("error"), str):
                return f"{self.kind}: not a JSON error: {body[:200]!r}"
            if self.kind == "wrong-method" and headers.get("allow") != "POST":
                return f"{self.kind}: Allow is {headers.get('allow')!r}"
        return None


def _batch_size(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.6:
        return rng.randint(1, 20)
    if roll < 0.9:
        return rng.randint(21, 500)
    return rng.randint(501, 3_000)


def _good_batch(rng: random.Random, tag: str) -> PlannedRequest:
    size = _batch_size(rng)
    start = rng.randint(-5, 10**12)
    numbers = list(range(start, start + size))
    if rng.random() < 0.3:
        rng.shuffle(numbers)
    if size > 2 and rng.random() < 0.2:
        numbers[-1] = numbers[0]  # a duplicate row number, echoed as given
    rows: list[list[Any]] = []
    answer: list[list[Any]] = []
    for position, number in enumerate(numbers):
        if rng.random() < 0.05:
            rows.append([number, None])
            answer.append([number, None])
        else:
            value = f"{tag}:{position}{rng.choice(_SPICE)}"
            rows.append([number, value])
            answer.append([number, f"{CHARACTER} said {value}"])
    body = json.dumps({"data": rows}, ensure_ascii=rng.random() < 0.5).encode()
    return PlannedRequest(
        "good-batch", "POST", "/echo", {"Content-Type": "application/json"}, body, 200, {"data": answer}
    )


def _bad_json(rng: random.Random, tag: str) -> PlannedRequest:
    whole = json.dumps({"data": [[0, tag], [1, tag]]}).encode()
    body = rng.choice([whole[: rng.randint(0, len(whole) - 1)], whole.replace(b'"', b"'"), b"{" + tag.encode()])
    return PlannedRequest("bad-json", "POST", "/echo", {"Content-Type": "application/json"}, body, 400)


def _invalid_batch(rng: random.Random, tag: str) -> PlannedRequest:
    bad_row = rng.choice([[tag, "x"], [0.5, tag], [0, {"k": tag}], [0], [0, tag, tag], tag])
    body = json.dumps({"data": [[0, tag], bad_row]}).encode()
    return PlannedRequest("invalid-batch", "POST", "/echo", {"Content-Type": "application/json"}, body, 400)


def _ui_post(rng: random.Random, tag: str) -> PlannedRequest:
    typed = f"{tag} <script>alert('{tag}')</script> & \"{rng.choice(_SPICE[:-1])}\""
    body = urlencode({"input": typed}).encode()
    return PlannedRequest(
        "ui-post", "POST", "/ui", {"Content-Type": "application/x-www-form-urlencoded"}, body, 200, typed
    )


def _make(kind: str, rng: random.Random, tag: str) -> PlannedRequest:
    if kind == "good-batch":
        return _good_batch(rng, tag)
    if kind == "bad-json":
        return _bad_json(rng, tag)
    if kind == "invalid-batch":
        return _invalid_batch(rng, tag)
    if kind == "wrong-method":
        return PlannedRequest(kind, rng.choice(["GET", "PUT", "DELETE"]), "/echo", {}, b"", 405)
    if kind == "unknown-path":
        return PlannedRequest(kind, "POST", f"/echo/{tag}", {"Content-Type": "application/json"}, b"{}", 404)
    if kind == "ui-post":
        return _ui_post(rng, tag)
    return PlannedRequest("healthcheck", "GET", "/healthcheck", {}, b"", 200)


def planned_requests(stream: int, kinds: Mapping[str, int] = KINDS) -> Iterator[PlannedRequest]:
    """An endless mix for one client; `stream` makes it reproducible and its tags unique."""
    rng = random.Random(stream)
    names, weights = list(kinds), list(kinds.values())
    sequence = 0
    while True:
        sequence += 1
        yield _make(rng.choices(names, weights)[0], rng, f"s{stream}n{sequence}")


@dataclass
class LoadReport:
    """What a load run saw: answers by kind and status, wrong answers, connection failures."""

    kinds: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # the first 50 wrong answers
    connection_errors: list[str] = field(default_factory=list)  # the first 50 requests that got no answer
    wrong_answers: int = 0
    unanswered: int = 0

    @property
    def completed(self) -> int:
        return sum(self.statuses.values())

    def record(self, planned: PlannedRequest, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.kinds[planned.kind] += 1
        self.statuses[status] += 1
        problem = planned.problem(status, headers, body)
        if problem:
            self.wrong_answers += 1
            if len(self.problems) < 50:
                self.problems.append(problem)

    def failed(self, planned: PlannedRequest, error: BaseException) -> None:
        self.unanswered += 1
        if len(self.connection_errors) < 50:
            self.connection_errors.append(
                f"{planned.kind} {planned.method} {planned.path}: {type(error).__name__}: {error}"
            )
