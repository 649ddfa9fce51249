"""Our own server for the functions of an `azure.functions.FunctionApp`.

It serves `function_app.app` locally (`python -m container`) and in Snowpark
Container Services, behaving as the Azure Functions host and Python worker do:

- `routing`     route table built from the FunctionApp (path + method -> function)
- `requests`    ASGI request -> `azure.functions.HttpRequest`
- `invocation`  worker-style invocation: context, extension hooks, thread pool
- `responses`   `azure.functions.HttpResponse` -> status, headers, body
- `gateway`     match, convert, invoke, convert back (one request, no I/O)
- `asgi`        the thin ASGI glue: body limits, saturation (429), errors
- `server`      uvicorn configured from the environment (`settings`)
"""
