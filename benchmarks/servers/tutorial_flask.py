"""A reference server written by us to the description of Snowflake's tutorial echo service.

Flask's development server, the tutorial's /echo behaviour (an empty batch answers {}),
its per-request log lines, /healthcheck. Only for the benchmarks: the baseline users
compare against.
"""

import logging
import os
import sys

from flask import Flask, make_response, request

SERVICE_HOST = os.getenv("SERVER_HOST", "127.0.0.1")
SERVICE_PORT = int(os.getenv("SERVER_PORT", "8080"))
CHARACTER_NAME = os.getenv("CHARACTER_NAME", "I")


def get_logger(name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.setLevel(logging.DEBUG)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(name)s [%(asctime)s] [%(levelname)s] %(message)s"))
    logger.addHandler(handler)
    return logger


logger = get_logger("echo-service")
app = Flask(__name__)


@app.get("/healthcheck")
def readiness_probe():
    return "I'm ready!"


@app.post("/echo")
def echo():
    message = request.json
    logger.debug(f"Received request: {message}")
    if message is None or not message["data"]:
        logger.info("Received empty message")
        return {}
    input_rows = message["data"]
    logger.info(f"Received {len(input_rows)} rows")
    output_rows = [[row[0], f"{CHARACTER_NAME} said {row[1]}"] for row in input_rows]
    logger.info(f"Produced {len(output_rows)} rows")
    response = make_response({"data": output_rows})
    response.headers["Content-type"] = "application/json"
    logger.debug(f"Sending response: {response.json}")
    return response


if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.INFO)
    app.run(host=SERVICE_HOST, port=SERVICE_PORT)
