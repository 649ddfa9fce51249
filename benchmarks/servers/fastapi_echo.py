"""A peer: the same echo as a FastAPI app whose body pydantic validates, as a FastAPI tutorial would write it.

Run with uvicorn in the virtual environment `benchmarks/first_answer.py` makes for it (FastAPI is not one of the
project's dependencies); only for the benchmarks.
"""

import os

from fastapi import FastAPI
from pydantic import BaseModel

PREFIX = f"{os.getenv('CHARACTER_NAME', 'I')} said "

app = FastAPI()


class Batch(BaseModel):
    data: list[tuple[int, str]]


@app.post("/echo")
def echo(batch: Batch) -> Batch:
    return Batch(data=[(row, PREFIX + text) for row, text in batch.data])


@app.get("/healthcheck")
def healthcheck() -> str:
    return "I'm ready!"
