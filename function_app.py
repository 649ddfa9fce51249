"""The echo service as an Azure Functions app (Python v2 programming model).

`func host start` serves it with Azure Functions Core Tools; `python -m container`
serves the very same functions on our own server. Each function only delegates
to a plain handler in `echo_service.handlers`.
"""

import azure.functions as func

from echo_service import handlers

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="echo", methods=["POST"])
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    return handlers.echo(req)


@app.route(route="ui", methods=["GET", "POST"])
async def ui(req: func.HttpRequest) -> func.HttpResponse:
    return handlers.ui(req)


@app.route(route="healthcheck", methods=["GET"])
async def healthcheck(req: func.HttpRequest) -> func.HttpResponse:
    return handlers.healthcheck(req)
