"""The package's value types: made by position or name, compared by value, never changed once made."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest

from python_worker_extension_timer.import_profile import ImportEntry
from python_worker_extension_timer.records import Record
from python_worker_extension_timer.startup import FirstCall


class Point(Record):
    x: int
    y: int
    label: str = ""
    tags: tuple[str, ...] = ()


class Labelled(Point):
    colour: str = "black"


@pytest.mark.parametrize(
    ("args", "kwargs", "fields"),
    [
        ((1, 2), {}, (1, 2, "", ())),
        ((1,), {"y": 2}, (1, 2, "", ())),
        ((), {"y": 2, "x": 1, "label": "a"}, (1, 2, "a", ())),
        ((1, 2, "a", ("t",)), {}, (1, 2, "a", ("t",))),
    ],
    ids=["by-position", "mixed", "by-name", "every-field"],
)
def test_a_record_is_made_by_position_or_by_name(args: tuple[Any, ...], kwargs: dict[str, Any], fields: tuple) -> None:
    point = Point(*args, **kwargs)
    assert (point.x, point.y, point.label, point.tags) == fields


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1,), {}, "needs field 'y'"),
        ((1, 2, "a", (), "extra"), {}, "takes 4 fields, 5 were given"),
        ((1, 2), {"z": 3}, "has no field 'z'"),
        ((1, 2), {"x": 3}, "got field 'x' twice"),
    ],
    ids=["missing", "too-many", "unknown-name", "twice"],
)
def test_a_wrong_call_names_the_field(args: tuple[Any, ...], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


@pytest.mark.parametrize("change", [lambda p: setattr(p, "x", 5), lambda p: delattr(p, "x")], ids=["set", "delete"])
def test_a_record_cannot_be_changed(change) -> None:
    point = Point(1, 2)
    with pytest.raises(AttributeError, match="immutable"):
        change(point)
    assert point.x == 1


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        (Point(1, 2), Point(1, 2), True),
        (Point(1, 2), Point(1, 3), False),
        (Point(1, 2), Point(1, 2, "a"), False),
        (Point(1, 2), Labelled(1, 2), False),
        (Point(1, 2), (1, 2, "", ()), False),
    ],
    ids=["same-values", "other-value", "other-default", "other-type", "a-plain-tuple"],
)
def test_records_are_equal_when_type_and_values_are(left: object, right: object, equal: bool) -> None:
    assert (left == right) is equal
    assert (left != right) is not equal


def test_equal_records_hash_alike() -> None:
    assert len({Point(1, 2), Point(1, 2), Point(2, 1)}) == 2


def test_a_subclass_adds_its_fields_after_its_parents() -> None:
    assert Labelled._fields == ("x", "y", "label", "tags", "colour")
    assert Labelled(1, 2, colour="red").colour == "red"


def test_a_field_without_default_after_one_with_is_refused_when_defined() -> None:
    with pytest.raises(TypeError, match="'late' without a default follows one with a default"):

        class Wrong(Record):
            early: int = 0
            late: int


def test_the_repr_names_every_field_in_order() -> None:
    assert repr(Point(1, 2, tags=("t",))) == "Point(x=1, y=2, label='', tags=('t',))"


@pytest.mark.parametrize(
    "duplicate", [copy.copy, copy.deepcopy, lambda r: pickle.loads(pickle.dumps(r))], ids=["copy", "deepcopy", "pickle"]
)
def test_a_copy_is_an_equal_record(duplicate) -> None:
    original = FirstCall(1.0, 2.0, 1000.0, error=True)
    assert duplicate(original) == original


def test_a_record_of_scalars_goes_through_json_and_back() -> None:
    original = FirstCall(1.5, 2.5, 1000.0, error=True)
    assert original.to_dict() == {"started": 1.5, "ended": 2.5, "duration_ms": 1000.0, "error": True}
    assert FirstCall.from_dict(json.loads(json.dumps(original.to_dict()))) == original


def test_reading_converts_each_field_to_its_declared_type() -> None:
    read = ImportEntry.from_dict({"module": "echo_service", "self_ms": 2, "cumulative_ms": "3.5"})
    assert (type(read.self_ms), type(read.cumulative_ms), read.cumulative_ms) == (float, float, 3.5)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"module": "m", "self_ms": 1.0}, KeyError),
        ({"module": "m", "self_ms": "fast", "cumulative_ms": 1.0}, ValueError),
        ({"module": "m", "self_ms": None, "cumulative_ms": 1.0}, TypeError),
    ],
    ids=["missing-field", "not-a-number", "null"],
)
def test_reading_refuses_what_is_not_the_record(data: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        ImportEntry.from_dict(data)
