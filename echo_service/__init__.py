"""The echo service's logic and HTTP handlers, free of any runtime.

`batch` turns a Snowflake batch into its answer with no HTTP at all; `handlers`
are plain functions over `azure.functions.HttpRequest`/`HttpResponse` that both
the Azure Functions worker and our own server (`container/`) call.
"""
