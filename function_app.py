"""The echo service as an Azure Functions app (Python v2 programming model).

`func host start` serves it with Azure Functions Core Tools; `python -m container`
serves the very same functions on our own server. Each function only delegates
to a plain handler in `echo_service.handlers`. The timer's Blueprint adds its
statistics (JSON, a page, Prometheus). The functions are `async`: the
handlers are quick and CPU-bound, so a thread-pool hop per call would only add
cost (the worker runs async functions on its event loop).
"""

# The timer first: its start-up record profiles every import after it, the app's own included, so a
# slow cold start shows which import it was (on /latency and /ui/latency).
try:
    from python_worker_extension_timer import TimerExtension, timed
except ImportError as error:  # e.g. the project folder of the same name shadows a missing install
    raise ImportError(
        "python_worker_extension_timer is not installed; run `pip install -r requirements.txt`, "
        "which installs it from the ./python_worker_extension_timer folder"
    ) from error

import azure.functions as func  # noqa: E402, I001

from echo_service import handlers  # noqa: E402

# Times every invocation: with PYTHON_ENABLE_WORKER_EXTENSIONS=1 on Python 3.10-3.12
# the worker's hooks do, and @timed adds failures at once; on Python 3.13+ (whose
# worker runs no extensions) @timed times each call itself. A Server-Timing
# header on every response. @timed goes under @app.route.
TimerExtension.configure(server_timing=True, append_to_http_response=False)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

# /echo, /ui and /healthcheck are anonymous, as in the tutorial. In Azure the statistics need a
# function key (?code=... or the x-functions-key header); Core Tools and our own server (locally and
# in Snowflake, which authenticates every caller of the endpoint) check no keys.
STATISTICS_AUTH = func.AuthLevel.FUNCTION


@app.route(route="echo", methods=["POST"])
@timed
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    return handlers.echo(req)


@app.route(route="ui", methods=["GET", "POST"])
@timed
async def ui(req: func.HttpRequest) -> func.HttpResponse:
    return handlers.ui(req)


@app.route(route="healthcheck", methods=["GET"])
@timed
async def healthcheck(req: func.HttpRequest) -> func.HttpResponse:
    return handlers.healthcheck(req)


# The timer's statistics under the paths the container spec, its metrics sidecar and the SQL name:
# /latency (JSON), /ui/latency (the page) and /metrics (Prometheus), as functions timer_stats,
# timer_page and timer_metrics.
app.register_functions(
    TimerExtension.blueprint(
        json_route="latency",
        page_route="ui/latency",
        metrics_route="metrics",
        auth_level=STATISTICS_AUTH,
        back_link=("Back to the echo form", "ui"),
    )
)
