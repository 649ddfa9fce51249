"""A sample app of several modules that adopts the timer as a new user would (not the echo app).

Its functions: HTTP with route parameters, sync and async, one that raises, a timer trigger, and from the
Blueprint module `bp_orders` an HTTP function, a queue, a blob and an Event Hub trigger. `reports` is slow
to import and comes after the Blueprint module, so the start-up record must end "app loaded" after it. The
timer's own Blueprint serves the statistics. Every function is decorated with @timed, so it is timed on every
Python.
"""

from python_worker_extension_timer import TimerExtension, timed  # noqa: I001  (first: it profiles what follows)

import json

import azure.functions as func

import bp_orders
import reports

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp_orders.bp)
app.register_functions(TimerExtension.blueprint())  # timer/stats, timer/ui and timer/metrics, behind a function key

#: What the timer trigger saw, for the tests.
TICKS: list[bool] = []


@app.route(route="healthcheck", methods=["GET"])
@timed
def healthcheck(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok")


@app.route(route="greet/{name}", methods=["GET"])
@timed
def greet(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(f"hello {req.route_params['name']}")


@app.route(route="square/{n:int}", methods=["GET"])
@timed
async def square(req: func.HttpRequest) -> func.HttpResponse:
    n = int(req.route_params["n"])
    return func.HttpResponse(str(n * n))


@app.route(route="fail", methods=["GET"])
@timed
def fail(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("the sample app's raising function")


@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer")
@timed
def tick(timer: func.TimerRequest) -> None:
    TICKS.append(timer.past_due)


@app.route(route="reports/imported", methods=["GET"])
@timed
def reports_imported(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"finished": reports.FINISHED}), mimetype="application/json")
