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

# First of all, where the timer extension is installed: its start-up record and import profiler, so that a worker
# process's start shows its own imports (this server's, uvicorn's, azure.functions') before the app's. This defines
# no extension: an app that never imports the timer is served as before.
try:
    import python_worker_extension_timer.startup  # noqa: F401
except ModuleNotFoundError as _missing:  # served without the timer
    if _missing.name != "python_worker_extension_timer":
        raise
