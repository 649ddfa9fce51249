"""Who may call what in Azure: the authorization level each function declares."""

from __future__ import annotations

import pytest

import function_app
from container.routing import RouteTable, indexed_functions

EXPECTED = {
    "echo": "anonymous",
    "ui": "anonymous",
    "healthcheck": "anonymous",
    # the timer's Blueprint, at /latency, /ui/latency and /metrics
    "timer_stats": "function",
    "timer_page": "function",
    "timer_metrics": "function",
}


def declared_levels() -> dict[str, str]:
    """authLevel of each function's HTTP trigger, as the host reads it from the indexed bindings."""
    return {
        function.get_function_name(): str(binding["authLevel"].value).lower()
        for function in indexed_functions(function_app.app)
        for binding in function.get_bindings_dict()["bindings"]
        if binding["type"] == "httpTrigger"
    }


@pytest.mark.parametrize("name, level", EXPECTED.items())
def test_each_function_declares_its_auth_level(name: str, level: str) -> None:
    assert declared_levels()[name] == level


def test_every_function_is_in_the_table() -> None:
    assert set(declared_levels()) == set(EXPECTED)


def test_our_server_reads_the_declared_levels() -> None:
    routes = RouteTable.from_function_app(function_app.app, "")
    assert {route.function_name: route.auth_level for route in routes.routes} == EXPECTED
