"""A fixture that fails any test leaving access lines behind in an in-process server's buffer.

`container.access_log.AccessLog` buffers its lines and writes what is left at interpreter exit (`atexit`):
lines left by a test would appear after pytest's summary, outside any test's captured output. The fixture
records every AccessLog made during the test; at teardown those still holding lines for stdout are written
(into the test's captured output) and the test fails, naming how many.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from container import access_log


@pytest.fixture(autouse=True)
def no_access_lines_left_behind() -> Iterator[None]:
    created: list[access_log.AccessLog] = []
    original_init = access_log.AccessLog.__init__

    def recording_init(self: access_log.AccessLog, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        created.append(self)

    access_log.AccessLog.__init__ = recording_init  # type: ignore[method-assign]
    try:
        yield
    finally:
        access_log.AccessLog.__init__ = original_init  # type: ignore[method-assign]
    left = [log for log in created if log.write is access_log._stdout_writer and log._lines]
    if left:
        pending = sum(len(log._lines) for log in left)
        for log in left:
            log.flush()
        pytest.fail(
            f"{pending} access line(s) left unwritten: they would print after pytest's summary. "
            "Use SERVER_ACCESS_LOG off (ServerSettings(access_log='off')), a writer of your own, or flush.",
            pytrace=False,
        )
