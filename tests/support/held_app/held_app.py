"""The real function_app plus `GET /hold?seconds=<s>`: a request that stays in flight as long as the test says.

For the tests that need the server's in-flight slots taken by requests being processed (not by bodies still
arriving): each `/hold` sleeps on the event loop for `seconds` (at most 30) and answers `held`.
"""

import asyncio

import azure.functions as func

from function_app import app
from python_worker_extension_timer import timed


@app.route(route="hold", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@timed
async def hold(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(min(float(req.params.get("seconds", "1")), 30.0))
    return func.HttpResponse("held", mimetype="text/plain")
