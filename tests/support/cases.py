"""One table of echo cases, used by the batch, in-process, HTTP and parity tests."""

from __future__ import annotations

import json

import pytest

TUTORIAL_REQUEST = {"data": [[0, "Hello friend"], [1, "Hello World"]]}
TUTORIAL_ANSWER = {"data": [[0, "I said Hello friend"], [1, "I said Hello World"]]}


def body(document: object) -> bytes:
    return json.dumps(document).encode()


# (id, request body, expected answer document)
GOOD_BATCHES = [
    pytest.param(body(TUTORIAL_REQUEST), TUTORIAL_ANSWER, id="tutorial"),
    pytest.param(body({"data": []}), {"data": []}, id="empty-batch"),
    pytest.param(body({"data": [[7, None]]}), {"data": [[7, None]]}, id="sql-null"),
    pytest.param(body({"data": [[3, "b"], [1, "a"]]}), {"data": [[3, "I said b"], [1, "I said a"]]}, id="order-kept"),
    pytest.param(body({"data": [[0, "héllo 世界 🎉"]]}), {"data": [[0, "I said héllo 世界 🎉"]]}, id="unicode"),
    pytest.param(body({"data": [[0, ""]]}), {"data": [[0, "I said "]]}, id="empty-string"),
    pytest.param(
        body({"data": [[0, 42], [1, 1.5], [2, True]]}),
        {"data": [[0, "I said 42"], [1, "I said 1.5"], [2, "I said true"]]},
        id="scalars-as-json-text",
    ),
    pytest.param(body({"data": [[-1, "x"]]}), {"data": [[-1, "I said x"]]}, id="negative-row-number"),
    pytest.param(body({"data": [[0, "x"]], "other": 1}), {"data": [[0, "I said x"]]}, id="extra-keys-ignored"),
    pytest.param(body({"data": [[0, "<b>&</b>"]]}), {"data": [[0, "I said <b>&</b>"]]}, id="markup-untouched"),
]

# (id, request body, words the error message must contain)
BAD_BATCHES = [
    pytest.param(b"", "empty body", id="empty-body"),
    pytest.param(b"{not json", "not valid JSON", id="not-json"),
    pytest.param(b'{"data": [[0, "a"]', "not valid JSON", id="truncated-json"),
    pytest.param(b"\xff\xfe{}", "not valid JSON", id="invalid-utf8"),
    pytest.param(body([[0, "a"]]), "must be a JSON object", id="not-an-object"),
    pytest.param(body("hello"), "must be a JSON object", id="a-string"),
    pytest.param(body({"rows": []}), 'no "data"', id="no-data"),
    pytest.param(body({"data": {"0": "a"}}), '"data" must be an array', id="data-not-a-list"),
    pytest.param(body({"data": "abc"}), '"data" must be an array', id="data-a-string"),
    pytest.param(body({"data": [[0, "a"], "b"]}), "data[1]", id="row-not-a-list"),
    pytest.param(body({"data": [[]]}), "data[0]: the row is empty", id="row-empty"),
    pytest.param(body({"data": [[0]]}), "data[0]: the row has 1", id="row-without-value"),
    pytest.param(body({"data": [[0, "a", "b"]]}), "data[0]: the row has 3", id="row-wrong-arity"),
    pytest.param(body({"data": [["0", "a"]]}), "row number must be an integer", id="row-number-string"),
    pytest.param(body({"data": [[0.5, "a"]]}), "row number must be an integer", id="row-number-float"),
    pytest.param(body({"data": [[True, "a"]]}), "row number must be an integer", id="row-number-bool"),
    pytest.param(body({"data": [[None, "a"]]}), "row number must be an integer", id="row-number-null"),
    pytest.param(
        body({"data": [[0, "a"], [1, {"k": 1}]]}),
        "data[1] (row 1): the value must be a string or null",
        id="value-object",
    ),
    pytest.param(body({"data": [[0, ["a"]]]}), "the value must be a string or null", id="value-list"),
    pytest.param(
        b'{"data": [[99999999999999999999999, "a"]]}', "row number must be a 64-bit integer", id="huge-row-number"
    ),
]
