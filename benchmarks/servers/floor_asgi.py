"""The floor for our server's start: the bare ASGI echo plus `import azure.functions`, which any server of ours needs.

Run with uvicorn (`uvicorn benchmarks.servers.floor_asgi:app`); only for the benchmarks.
"""

import azure.functions  # noqa: F401 - imported for its cost only

from benchmarks.servers.bare_asgi import app

__all__ = ["app"]
