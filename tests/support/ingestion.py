"""A stand-in for the Application Insights ingestion API on 127.0.0.1, keeping what the exporter sends.

The Azure Monitor exporter posts each batch to ``<IngestionEndpoint>/v2.1/track`` as a JSON array of
envelopes (gzip-encoded when it says so in ``Content-Encoding``) and reads back
``{"itemsReceived": n, "itemsAccepted": n, "errors": []}``. Live Metrics pings
``<LiveEndpoint>/QuickPulseService.svc/ping`` every few seconds; the stand-in answers that nobody is
watching (``x-ms-qps-subscribed: false``), as the service does when no Live Metrics page is open.

Each envelope's ``data.baseType`` says which table it lands in: ``MessageData`` is ``traces``,
``MetricData`` is ``customMetrics`` (or ``performanceCounters`` for the distro's own counters).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TRACK_PATH = "/v2.1/track"
LIVE_METRICS_PREFIX = "/QuickPulseService.svc/"
INSTRUMENTATION_KEY = "00000000-0000-0000-0000-000000000000"


@dataclass
class Capture:
    """What reached the stand-in: every envelope (with when it arrived) and every Live Metrics request."""

    envelopes: list[dict[str, Any]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    live_metrics_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def items(self, base_type: str) -> list[dict[str, Any]]:
        """The ``baseData`` of every envelope of one type (``MessageData``, ``MetricData``, ...)."""
        with self.lock:
            found = list(self.envelopes)
        return [e["data"]["baseData"] for e in found if e.get("data", {}).get("baseType") == base_type]

    def traces(self) -> list[dict[str, Any]]:
        """What lands in ``traces``: message and severity, properties (``customDimensions``)."""
        return self.items("MessageData")

    def metrics(self) -> list[dict[str, Any]]:
        """One entry per metric point: ``name``, ``value``, ``count``, ``min``, ``max``, with ``properties``."""
        points = []
        for data in self.items("MetricData"):
            for point in data.get("metrics", []):
                points.append({**point, "properties": data.get("properties", {})})
        return points

    def traces_between(self, start: float, end: float) -> list[dict[str, Any]]:
        """The traces whose envelopes arrived in ``[start, end)`` (``time.monotonic()``)."""
        with self.lock:
            pairs = list(zip(self.envelopes, self.arrived, strict=True))
        return [
            e["data"]["baseData"]
            for e, at in pairs
            if start <= at < end and e.get("data", {}).get("baseType") == "MessageData"
        ]


class _Handler(BaseHTTPRequestHandler):
    server: _IngestionServer

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        capture = self.server.capture
        if self.path.startswith(LIVE_METRICS_PREFIX):
            with capture.lock:
                capture.live_metrics_requests += 1
            self._answer(200, b"", {"x-ms-qps-subscribed": "false"})
            return
        if self.path.split("?")[0].lstrip("/") != TRACK_PATH.lstrip("/"):
            self._answer(404, b'{"error": "not an ingestion path"}', {})
            return
        envelopes = json.loads(body)
        now = time.monotonic()
        with capture.lock:
            capture.envelopes.extend(envelopes)
            capture.arrived.extend([now] * len(envelopes))
        answer = {"itemsReceived": len(envelopes), "itemsAccepted": len(envelopes), "errors": []}
        self._answer(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the standard library's name)
        """Quiet: the capture is the record."""


class _IngestionServer(ThreadingHTTPServer):
    daemon_threads = True
    capture: Capture


@dataclass
class StandIn:
    """A running stand-in: its capture and the connection string that points an exporter at it."""

    capture: Capture
    port: int

    @property
    def connection_string(self) -> str:
        base = f"http://127.0.0.1:{self.port}/"
        return f"InstrumentationKey={INSTRUMENTATION_KEY};IngestionEndpoint={base};LiveEndpoint={base}"


@contextmanager
def ingestion_stand_in() -> Iterator[StandIn]:
    """Serve the stand-in on a free port of 127.0.0.1 for the duration of the block."""
    server = _IngestionServer(("127.0.0.1", 0), _Handler)
    server.capture = Capture()
    thread = threading.Thread(target=server.serve_forever, name="ingestion-stand-in", daemon=True)
    thread.start()
    try:
        yield StandIn(server.capture, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
