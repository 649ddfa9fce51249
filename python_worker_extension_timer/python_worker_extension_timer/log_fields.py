"""The figures of a structured log line as flat log-record attributes, one per figure.

Exporters turn a record's extra attributes into fields: Azure Monitor's log
exporter makes each one a ``customDimensions`` entry (as a string), OTLP a log
attribute, Snowflake's event table a key of ``RECORD_ATTRIBUTES``. A nested
mapping would reach Application Insights as one Python ``repr``, and a ``None``
as nothing at all (or a warning of the SDK), so the figures are passed as
``extra`` keys that are flat: ``{"startup.first_calls_ms": {"echo": 12.1}}``
becomes ``{"startup.first_calls_ms.echo": 12.1}``, and a ``None`` is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["flat_fields"]

#: What a field's value may be: what Python's ``logging``, OpenTelemetry and JSON all carry as they are.
Scalar = str | int | float | bool


def flat_fields(figures: Mapping[str, Any], prefix: str = "") -> dict[str, Scalar]:
    """``figures`` flattened for ``logger.info(..., extra=...)``: nested keys joined with dots, ``None`` left out.

    Values that are neither mappings nor scalars (a list, an object) become their ``str``.
    """
    fields: dict[str, Scalar] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if value is None:
            continue
        if isinstance(value, Mapping):
            fields.update(flat_fields(value, f"{name}."))
        elif isinstance(value, (str, int, float, bool)):
            fields[name] = value
        else:
            fields[name] = str(value)
    return fields
