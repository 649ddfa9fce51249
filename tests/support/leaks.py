"""What must never appear in an answer to a client: stack traces and paths of the server's files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LEAK_MARKERS: tuple[str, ...] = tuple(
    dict.fromkeys(("Traceback", 'File "', "/work", '.py"', "site-packages", str(ROOT)))
)

# Lines of a server's log that mean an exception escaped somewhere (uvicorn's and ours).
LOG_ALARMS: tuple[str, ...] = ("Traceback", "Exception in ASGI application", " ERROR ", " CRITICAL ")


def leaks_in(*texts: str | bytes) -> list[str]:
    """The markers found in any of `texts` (bytes are read as latin-1, so nothing is lost)."""
    found: list[str] = []
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        found += [marker for marker in LEAK_MARKERS if marker in text and marker not in found]
    return found


def alarms_in(log: str, ignore: Iterable[str] = ()) -> list[str]:
    """Log lines holding an alarm (and none of the `ignore` substrings)."""
    ignored = tuple(ignore)
    return [
        line
        for line in log.splitlines()
        if any(alarm in line for alarm in LOG_ALARMS) and not any(part in line for part in ignored)
    ]
