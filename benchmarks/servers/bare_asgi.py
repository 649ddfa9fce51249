"""The ceiling: the same echo as a bare ASGI app with orjson, no validation, no FunctionApp.

Run with uvicorn (`uvicorn benchmarks.servers.bare_asgi:app`); only for the benchmarks.
"""

import os

import orjson

PREFIX = f"{os.getenv('CHARACTER_NAME', 'I')} said "


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/healthcheck":
        body = b"I'm ready!"
    else:
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        rows = orjson.loads(b"".join(chunks))["data"]
        body = orjson.dumps({"data": [[row[0], PREFIX + row[1]] for row in rows]})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
