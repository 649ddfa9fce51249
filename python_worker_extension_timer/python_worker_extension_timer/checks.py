"""Range checks for what other processes wrote: a record that passes cannot make a read fail.

Types are checked by :meth:`.snapshot.ProcessRecord.from_dict`; here every
number is checked as well: finite (no NaN or Infinity, which ``json``
reads), counts and durations non-negative and below 2**53 (exact as floats,
far above anything counted), times within the server run, minutes between
the run's first and now. A record that fails is refused whole with
:class:`BadRecord`, whose message names the first field that failed.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .function_stats import FunctionRecord
from .run import Run
from .snapshot import ProcessRecord
from .tally import Tally

__all__ = ["BadRecord", "LIMIT", "check_entry", "check_record", "check_record_dict", "load_json"]

#: Every count, duration and time is below this.
LIMIT = 1 << 53
#: Seconds a record's times may lie before the run began or after now (clock resolution, start-up order).
SLACK_SECONDS = 60.0
#: Times in a start-up record: any moment a date can show (from 1970 to the year 5000).
_STARTUP_TIMES = ("process_started", "timer_imported", "app_loaded", "listening", "ready")
_LATEST_DATE = 95_617_584_000.0


class BadRecord(ValueError):
    """A record, or one of its fields, out of range."""


def load_json(raw: bytes) -> Any:
    """Parse JSON (NaN and Infinity are read as floats, for the range checks to name their field)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadRecord("nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRecord(f"not JSON ({error.msg if isinstance(error, json.JSONDecodeError) else 'not UTF-8'})") from None


def _walk_numbers(value: Any, where: str) -> None:
    """Every number anywhere in ``value``: finite and of magnitude below :data:`LIMIT`."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or abs(value) >= LIMIT:
            raise BadRecord(f"{where} = {value!r} out of range")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _walk_numbers(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_numbers(item, f"{where}[{index}]")


def _within(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise BadRecord(f"{name} = {value!r} out of range")


def check_record(raw: bytes, run: Run, now: float) -> ProcessRecord:
    """The record in ``raw`` (a process's snapshot), checked.

    Raises
    ------
    BadRecord
        Not a record, or a field out of range.
    """
    return check_record_dict(load_json(raw), run, now)


def check_record_dict(data: Any, run: Run, now: float, pid_may_be_zero: bool = False) -> ProcessRecord:
    """A parsed record, checked (see :func:`check_record`)."""
    _walk_numbers(data, "record")
    try:
        record = ProcessRecord.from_dict(data)
    except ValueError as error:
        raise BadRecord(str(error)) from None
    earliest, latest = run.started - SLACK_SECONDS, now + SLACK_SECONDS
    _within("pid", record.pid, 0 if pid_may_be_zero else 1, (1 << 32) - 1)
    _within("folded", record.folded, 1, LIMIT - 1)
    _within("started", record.started, earliest, latest)
    _within("updated", record.updated, earliest, latest)
    _within("in_flight", record.in_flight, 0, LIMIT - 1)
    first_minute, last_minute = earliest // 60, latest // 60
    for name, function in record.functions.items():
        _check_function(name, function, first_minute, last_minute)
    startup = record.startup
    if startup is not None:
        for attribute in _STARTUP_TIMES:
            moment = getattr(startup, attribute)
            if moment is not None:
                _within(f"startup.{attribute}", float(moment), 0.0, _LATEST_DATE)
        for call_name, call in startup.first_calls.items():
            for part in ("started", "ended"):
                _within(f"startup.first_calls.{call_name}.{part}", getattr(call, part), 0.0, _LATEST_DATE)
    return record


def _check_function(name: str, function: FunctionRecord, first_minute: float, last_minute: float) -> None:
    _check_tally(f"{name}.total", function.total)
    for minute, tally in function.minutes.items():
        _within(f"{name}.minutes", minute, first_minute, last_minute)
        _check_tally(f"{name}.minutes.{minute}", tally)


def _check_tally(where: str, tally: Tally) -> None:
    for part in ("sum_ns", "errors", "abandoned"):
        _within(f"{where}.{part}", getattr(tally, part), 0, LIMIT - 1)
    hist = tally.hist
    _within(f"{where}.count", hist.total, 0, LIMIT - 1)
    low, high = hist.min_ns, hist.max_ns
    if hist.total and low is not None and high is not None:
        _within(f"{where}.min_ns", low, 0, LIMIT - 1)
        _within(f"{where}.max_ns", high, low, LIMIT - 1)


def check_entry(minute: int, value: int, flags: int, run: Run, now: float) -> None:
    """A journal entry: its minute within the run, its value below :data:`LIMIT`, known flags."""
    _within("journal minute", minute, (run.started - SLACK_SECONDS) // 60, (now + SLACK_SECONDS) // 60)
    _within("journal value", value, 0, LIMIT - 1)
    _within("journal flags", flags, 0, 3)
