"""A test app with a slow cold start: a module that takes 0.3 s to import, a function whose first call takes 0.2 s."""

from python_worker_extension_timer import TimerExtension, timed  # noqa: I001  (first: it profiles what follows)

import time

import azure.functions as func
import slow_import  # noqa: F401  (0.3 s at import)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_initialised: list[bool] = []


@app.route(route="healthcheck", methods=["GET"])
@timed
async def healthcheck(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("I'm ready!")


@app.route(route="lazy", methods=["GET"])
@timed
def lazy(req: func.HttpRequest) -> func.HttpResponse:
    if not _initialised:  # lazy initialisation on the first call, as apps open clients or load models
        time.sleep(0.2)
        _initialised.append(True)
    return func.HttpResponse("done")


@app.route(route="latency", methods=["GET"])
def latency(req: func.HttpRequest) -> func.HttpResponse:
    import json

    return func.HttpResponse(json.dumps(TimerExtension.stats()), mimetype="application/json")
