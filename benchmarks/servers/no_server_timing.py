"""`function_app.app` with the timer extension's Server-Timing header turned off.

Served with `FUNCTION_APP=benchmarks.servers.no_server_timing:app` (the host.json
beside it gives the app's own routes); only for the benchmarks, to measure what
the header costs per request.
"""

from function_app import TimerExtension, app

TimerExtension.configure(server_timing=False, append_to_http_response=False)

__all__ = ["app"]
