"""The deployment files agree with each other and with the app.

container/Dockerfile, .dockerignore, container/spec.yaml, container/sql/*.sql and
container/README.md are read as they are written; the app's routes come from the
functions function_app.py registers. Nothing here needs Docker or Snowflake: the
last tests assemble the image's /app from the build context as `docker build`
would and run its CMD and HEALTHCHECK as plain processes.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
import yaml

import function_app
from container.errors import MethodNotAllowed, NotFound
from container.routing import RouteTable, route_prefix_from_host_json
from container.settings import ServerSettings
from tests.support.dockerfile import Dockerfile, DockerIgnore, parse_dockerfile, parse_dockerignore
from tests.support.servers import ServerProcess, container_env, free_port

ROOT = Path(__file__).resolve().parents[2]
CONTAINER = ROOT / "container"
SQL = CONTAINER / "sql"
SQL_FILES = (
    "01_setup.sql",
    "02_service.sql",
    "03_function.sql",
    "04_queries.sql",
    "05_status_and_logs.sql",
    "06_latency_metrics.sql",
    "07_cleanup.sql",
)
METRICS_SQL = "06_latency_metrics.sql"
MEMORY = re.compile(r"\d+(?:\.\d+)?(?:M|Mi|G|Gi)")  # the units the specification reference allows
CPU = re.compile(r"\d+(?:\.\d+)?m?")
# Container, endpoint and volume names in a specification: up to 63 lowercase letters, digits and '-',
# starting with a letter and ending with a letter or digit (Snowflake's specification reference).
SPEC_NAME = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")

CONTAINERS = ("echo", "prometheus-sidecar")
SIDECAR_IMAGE = "/snowflake/images/snowflake_images/monitoring-prometheus-sidecar:0.0.1"
# The sidecar's -e argument: localhost:{PORT}/{METRICS_PATH},{SCRAPE_FREQUENCY}; the path defaults to
# /metrics and the frequency to 1m (Snowflake's "Publishing Prometheus application metrics").
SCRAPE_TARGET = re.compile(r"(?P<host>[^:/,]+):(?P<port>\d+)(?P<path>/[^,]*)?(?:,\s*(?P<interval>\w+))?")

# The metrics GET /metrics exposes, as 06_latency_metrics.sql reads them back from the event table.
APP_METRICS = ("faas_invoke_duration_seconds", "faas_invocations_total", "faas_errors_total", "faas_abandoned_total")

# vCPUs of one node, by compute pool instance family (Snowflake's CREATE COMPUTE POOL reference).
NODE_VCPUS = {"CPU_X64_XS": 1, "CPU_X64_S": 3}
# Assumption: Snowflake's own system containers take part of every node, at most half a vCPU. The XS
# sizing in container/README.md rests on the same figure: an instance asking for 1 vCPU does not fit
# the single vCPU of an XS node, one asking for 0.5 does.
SYSTEM_VCPUS_PER_NODE = 0.5


# --------------------------------------------------------------------------- reading the files


def active_sql(text: str) -> str:
    """SQL without its `--` comments; `$$...$$` blocks and '...' strings are kept whole."""
    kept: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            end = text.index("$$", i + 2) + 2
            kept.append(text[i:end])
            i = end
        elif text[i] == "'":
            end = text.index("'", i + 1) + 1
            kept.append(text[i:end])
            i = end
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end == -1 else end
        else:
            kept.append(text[i])
            i += 1
    return "".join(kept)


def commented_sql(text: str) -> str:
    """What the `--` comments of a SQL file say, one comment line a line, without the `--`."""
    return "\n".join(line.strip()[2:] for line in text.splitlines() if line.strip().startswith("--"))


def sql(name: str) -> str:
    return (SQL / name).read_text(encoding="utf-8")


def created_service() -> dict[str, str]:
    """CREATE SERVICE of 02_service.sql: name, compute pool, inline specification."""
    found = re.search(
        r"CREATE\s+SERVICE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>\w+)\s+IN\s+COMPUTE\s+POOL\s+(?P<pool>\w+)"
        r"\s+FROM\s+SPECIFICATION\s*\$\$(?P<spec>.*?)\$\$(?P<rest>[^;]*);",
        active_sql(sql("02_service.sql")),
        re.IGNORECASE | re.DOTALL,
    )
    assert found, "02_service.sql has no CREATE SERVICE ... FROM SPECIFICATION $$...$$ statement"
    return found.groupdict()


def instance_range(options: str) -> tuple[int, int]:
    """MIN_INSTANCES and MAX_INSTANCES of the options of a CREATE SERVICE statement."""
    low = re.search(r"MIN_INSTANCES\s*=\s*(\d+)", options, re.IGNORECASE)
    high = re.search(r"MAX_INSTANCES\s*=\s*(\d+)", options, re.IGNORECASE)
    assert low and high, "CREATE SERVICE should set MIN_INSTANCES and MAX_INSTANCES"
    return int(low.group(1)), int(high.group(1))


def created_pool() -> dict[str, str]:
    """CREATE COMPUTE POOL of 01_setup.sql: name, MIN_NODES, MAX_NODES, INSTANCE_FAMILY."""
    statement = re.search(
        r"CREATE\s+COMPUTE\s+POOL\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>\w+)(?P<options>[^;]*);",
        active_sql(sql("01_setup.sql")),
        re.IGNORECASE,
    )
    assert statement, "01_setup.sql has no CREATE COMPUTE POOL statement"
    found = {"name": statement["name"]}
    for option in ("MIN_NODES", "MAX_NODES", "INSTANCE_FAMILY"):
        value = re.search(rf"\b{option}\s*=\s*(\w+)", statement["options"], re.IGNORECASE)
        assert value, f"CREATE COMPUTE POOL should set {option}"
        found[option] = value.group(1)
    return found


def created_function() -> dict[str, str]:
    """CREATE FUNCTION of 03_function.sql: name, SERVICE, ENDPOINT, MAX_BATCH_ROWS, the AS path."""
    statement = re.search(
        r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>\w+)\s*\((?P<args>[^)]*)\)"
        r"(?P<body>.*?)\bAS\s+'(?P<path>[^']*)'",
        active_sql(sql("03_function.sql")),
        re.IGNORECASE | re.DOTALL,
    )
    assert statement, "03_function.sql has no CREATE FUNCTION ... AS '<path>' statement"
    found = statement.groupdict()
    for option in ("SERVICE", "ENDPOINT", "MAX_BATCH_ROWS"):
        value = re.search(rf"\b{option}\s*=\s*(\w+)", found["body"], re.IGNORECASE)
        found[option] = value.group(1) if value else None
    return found


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load((CONTAINER / "spec.yaml").read_text(encoding="utf-8"))


def container_named(spec: dict[str, Any], name: str) -> dict[str, Any]:
    (container,) = [c for c in spec["spec"]["containers"] if c["name"] == name]
    return container


@pytest.fixture(scope="module")
def echo_container(spec: dict[str, Any]) -> dict[str, Any]:
    return container_named(spec, "echo")


@pytest.fixture(scope="module")
def sidecar(spec: dict[str, Any]) -> dict[str, Any]:
    """Snowflake's Prometheus sidecar, the container that runs Snowflake's image."""
    (container,) = [c for c in spec["spec"]["containers"] if c["image"] == SIDECAR_IMAGE]
    return container


@pytest.fixture(scope="module")
def scrape_target(sidecar: dict[str, Any]) -> dict[str, str]:
    """The sidecar's -e argument, with Snowflake's defaults filled in."""
    args = sidecar["args"]
    found = SCRAPE_TARGET.fullmatch(args[args.index("-e") + 1])
    assert found, f"not a localhost:PORT/PATH,INTERVAL target: {args}"
    return {
        "host": found["host"],
        "port": found["port"],
        "path": found["path"] or "/metrics",
        "interval": found["interval"] or "1m",
    }


@pytest.fixture(scope="module")
def endpoint(spec: dict[str, Any]) -> dict[str, Any]:
    (found,) = spec["spec"]["endpoints"]
    return found


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse_dockerfile(CONTAINER / "Dockerfile")


@pytest.fixture(scope="module")
def dockerignore() -> DockerIgnore:
    return parse_dockerignore(ROOT / ".dockerignore")


@pytest.fixture(scope="module")
def routes() -> RouteTable:
    """The route table of function_app.app, its Blueprints' functions included, as our server builds it."""
    return RouteTable.from_function_app(function_app.app, route_prefix_from_host_json(ROOT))


def serves(routes: RouteTable, method: str, path: str) -> bool:
    try:
        routes.match(method, path)
    except (NotFound, MethodNotAllowed):
        return False
    return True


def port_of(value: Any) -> int:
    return int(str(value))


# --------------------------------------------------------------------------- the specification


def test_the_service_runs_the_image_the_setup_creates_a_repository_for(echo_container: dict[str, Any]) -> None:
    image = PurePosixPath(echo_container["image"].split(":")[0])
    database, schema, repository = image.parts[1:4]
    setup = active_sql(sql("01_setup.sql"))
    assert re.search(rf"CREATE\s+DATABASE\s+(?:IF\s+NOT\s+EXISTS\s+)?{database}\b", setup, re.I)
    assert re.search(rf"CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?{schema}\b", setup, re.I)
    assert re.search(rf"CREATE\s+IMAGE\s+REPOSITORY\s+(?:IF\s+NOT\s+EXISTS\s+)?{repository}\b", setup, re.I)


def test_the_readme_builds_and_pushes_the_image_the_service_runs(echo_container: dict[str, Any]) -> None:
    image_and_tag = PurePosixPath(echo_container["image"]).name  # my_echo_service_image:latest
    readme = (CONTAINER / "README.md").read_text(encoding="utf-8")
    build = re.search(r"docker build [^\n]*", readme)
    assert build, "container/README.md has no docker build command"
    assert "--platform linux/amd64" in build.group(0)
    assert "-f container/Dockerfile" in build.group(0)
    assert f"<repository_url>/{image_and_tag}" in build.group(0)
    assert build.group(0).rstrip().endswith(" ."), "the build context must be the repository root"
    assert f"docker push <repository_url>/{image_and_tag}" in readme


@pytest.mark.parametrize(
    "where, port",
    [
        ("readinessProbe.port", lambda c, e: c["readinessProbe"]["port"]),
        ("endpoint port", lambda c, e: e["port"]),
    ],
)
def test_the_probe_and_the_endpoint_use_the_port_the_server_listens_on(echo_container, endpoint, where, port) -> None:
    listens_on = port_of(echo_container["env"]["SERVER_PORT"])
    assert port_of(port(echo_container, endpoint)) == listens_on, where


def test_the_readiness_probe_path_is_a_GET_route_of_the_app(echo_container, routes: RouteTable) -> None:
    assert serves(routes, "GET", echo_container["readinessProbe"]["path"])


def test_the_environment_of_the_spec_is_valid_server_settings(echo_container) -> None:
    settings = ServerSettings.from_environ({k: str(v) for k, v in echo_container["env"].items()})
    assert settings.port == port_of(echo_container["env"]["SERVER_PORT"])
    assert settings.workers == int(echo_container["env"]["WEB_CONCURRENCY"])


def test_the_tutorial_character_answers(echo_container) -> None:
    assert echo_container["env"]["CHARACTER_NAME"] == "Bob"


@pytest.mark.parametrize("name", CONTAINERS)
@pytest.mark.parametrize("kind", ["requests", "limits"])
def test_resources_use_the_documented_units(spec, name: str, kind: str) -> None:
    resources = container_named(spec, name)["resources"][kind]
    assert MEMORY.fullmatch(str(resources["memory"])), resources["memory"]
    assert CPU.fullmatch(str(resources["cpu"])), resources["cpu"]


def test_the_spec_requests_cpu_so_the_service_can_autoscale(echo_container) -> None:
    assert float(str(echo_container["resources"]["requests"]["cpu"]).rstrip("m")) > 0


@pytest.mark.parametrize("name", CONTAINERS)
def test_limits_are_not_below_requests(spec, name: str) -> None:
    resources = container_named(spec, name)["resources"]
    assert cpus(resources["limits"]["cpu"]) >= cpus(resources["requests"]["cpu"])
    assert mebibytes(resources["limits"]["memory"]) >= mebibytes(resources["requests"]["memory"])


def test_there_are_no_more_worker_processes_than_cpus_allowed(echo_container) -> None:
    assert int(echo_container["env"]["WEB_CONCURRENCY"]) <= cpus(echo_container["resources"]["limits"]["cpu"])


def test_the_endpoint_is_public_so_the_ui_opens_in_a_browser(endpoint) -> None:
    assert endpoint["public"] is True


def test_every_instance_runs_the_app_and_the_prometheus_sidecar(spec) -> None:
    assert tuple(c["name"] for c in spec["spec"]["containers"]) == CONTAINERS


def test_every_name_in_the_spec_is_a_valid_snowflake_name(spec) -> None:
    names = [c["name"] for c in spec["spec"]["containers"]] + [e["name"] for e in spec["spec"]["endpoints"]]
    assert [name for name in names if not SPEC_NAME.fullmatch(name)] == []


def test_the_sidecar_runs_snowflakes_image_with_the_documented_arguments(sidecar) -> None:
    assert (sidecar["image"], sidecar["args"]) == (SIDECAR_IMAGE, ["-e", "localhost:8000/metrics,1m"])


@pytest.mark.parametrize(
    "part, expected",
    [
        ("host", lambda echo: "localhost"),  # the containers of an instance share its network
        ("port", lambda echo: str(echo["env"]["SERVER_PORT"])),
        ("path", lambda echo: "/metrics"),
        ("interval", lambda echo: "1m"),  # one row per metric, instance and minute in the event table
    ],
)
def test_the_sidecar_scrapes_the_echo_container(scrape_target, echo_container, part, expected) -> None:
    assert scrape_target[part] == expected(echo_container)


def test_the_scrape_path_is_a_GET_route_of_the_app(scrape_target, routes: RouteTable) -> None:
    assert serves(routes, "GET", scrape_target["path"])


@pytest.mark.parametrize("kind, cpu, memory_mib", [("requests", 0.25, 256), ("limits", 1, 1024)])
def test_the_sidecar_asks_for_little(sidecar, kind: str, cpu: float, memory_mib: float) -> None:
    resources = sidecar["resources"][kind]
    assert cpus(resources["cpu"]) <= cpu
    assert mebibytes(resources["memory"]) <= memory_mib


def test_only_the_echo_container_decides_readiness(spec) -> None:
    assert [c["name"] for c in spec["spec"]["containers"] if "readinessProbe" in c] == ["echo"]


@pytest.mark.parametrize(
    "what, read, expected",
    [
        (
            "echo's readiness probe",
            lambda spec: container_named(spec, "echo")["readinessProbe"],
            {"port": 8000, "path": "/healthcheck"},
        ),
        ("echo's port", lambda spec: container_named(spec, "echo")["env"]["SERVER_PORT"], 8000),
        (
            "the endpoints",
            lambda spec: spec["spec"]["endpoints"],
            [{"name": "echoendpoint", "port": 8000, "public": True}],
        ),
    ],
)
def test_the_sidecar_leaves_the_app_as_it_was(spec, what: str, read, expected) -> None:
    assert read(spec) == expected, what


def test_every_container_requests_cpu_so_the_size_of_an_instance_is_known(spec) -> None:
    assert all("cpu" in c.get("resources", {}).get("requests", {}) for c in spec["spec"]["containers"])


def cpus(value: Any) -> float:
    text = str(value)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def mebibytes(value: Any) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", str(value)).groups()  # type: ignore[union-attr]
    return float(number) * {"M": 1e6 / 2**20, "Mi": 1, "G": 1e9 / 2**20, "Gi": 1024}[unit]


# --------------------------------------------------------------------------- the SQL


@pytest.mark.parametrize("name", SQL_FILES)
def test_each_sql_step_exists_and_starts_with_a_comment(name: str) -> None:
    assert sql(name).lstrip().startswith("--"), f"{name} should say what it does first"


def test_the_inline_specification_is_spec_yaml(spec: dict[str, Any]) -> None:
    assert yaml.safe_load(created_service()["spec"]) == spec


def test_the_inline_specification_is_spec_yaml_word_for_word_without_its_comments() -> None:
    spec_yaml = (CONTAINER / "spec.yaml").read_text(encoding="utf-8")
    uncommented = [re.sub(r"\s*#.*$", "", line) for line in spec_yaml.splitlines()]
    assert created_service()["spec"].strip("\n").splitlines() == [line for line in uncommented if line.strip()]


def test_the_service_runs_in_the_compute_pool_the_setup_creates() -> None:
    assert created_service()["pool"].lower() == created_pool()["name"].lower()


def test_the_service_scales_between_min_and_max_instances() -> None:
    low, high = instance_range(created_service()["rest"])
    assert 1 <= low < high


def test_the_stage_alternative_creates_the_same_range_of_instances() -> None:
    alternative = re.search(
        r"CREATE\s+SERVICE\s+\w+\s+IN\s+COMPUTE\s+POOL\s+\w+\s+FROM\s+@\w+\s+SPECIFICATION_FILE\s*=\s*'spec\.yaml'"
        r"(?P<rest>[^;]*);",
        commented_sql(sql("02_service.sql")),
        re.IGNORECASE,
    )
    assert alternative, "02_service.sql shows no CREATE SERVICE ... SPECIFICATION_FILE = 'spec.yaml' in its comments"
    assert instance_range(alternative["rest"]) == instance_range(created_service()["rest"])


def test_the_compute_pool_has_room_for_the_most_instances(spec) -> None:
    """MAX_NODES nodes hold MAX_INSTANCES instances, each asking for the CPU of all its containers."""
    pool = created_pool()
    per_instance = sum(cpus(c["resources"]["requests"]["cpu"]) for c in spec["spec"]["containers"])
    per_node = math.floor((NODE_VCPUS[pool["INSTANCE_FAMILY"].upper()] - SYSTEM_VCPUS_PER_NODE) / per_instance)
    _, most = instance_range(created_service()["rest"])
    assert per_node >= 1, f"an instance asking for {per_instance} vCPU fits no {pool['INSTANCE_FAMILY']} node"
    assert int(pool["MAX_NODES"]) * per_node >= most


def test_the_compute_pool_keeps_a_node_for_the_first_instance() -> None:
    low, _ = instance_range(created_service()["rest"])
    assert 1 <= int(created_pool()["MIN_NODES"]) <= low


def test_the_stage_alternative_uses_the_spec_file() -> None:
    text = sql("02_service.sql")
    assert re.search(r"FROM\s+@tutorial_stage\s+SPECIFICATION_FILE\s*=\s*'spec\.yaml'", text, re.I)
    assert (CONTAINER / "spec.yaml").is_file()


def test_the_function_calls_the_service_the_sql_creates() -> None:
    assert created_function()["SERVICE"].lower() == created_service()["name"].lower()


def test_the_function_uses_the_endpoint_the_spec_declares(endpoint) -> None:
    assert created_function()["ENDPOINT"] == endpoint["name"]


def test_the_function_path_is_a_POST_route_of_the_app(routes: RouteTable) -> None:
    path = created_function()["path"]
    assert path.startswith("/")
    assert serves(routes, "POST", path)


def test_the_function_caps_its_batch_size() -> None:
    rows = created_function()["MAX_BATCH_ROWS"]
    assert rows is not None and int(rows) > 0


def test_the_queries_call_the_function_the_sql_creates() -> None:
    name = created_function()["name"]
    queries = active_sql(sql("04_queries.sql"))
    assert f"SELECT {name}('hello!');" in queries
    assert f"SELECT {name}(message_text) FROM messages;" in queries


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/echo"),
        ("GET", "/healthcheck"),
        ("GET", "/ui"),
        ("POST", "/ui"),
        ("GET", "/latency"),
        ("GET", "/ui/latency"),
        ("GET", "/metrics"),
    ],
)
def test_the_app_serves_every_path_the_deployment_docs_send_people_to(routes: RouteTable, method, path) -> None:
    assert serves(routes, method, path), f"{method} {path} is in container/README.md and 05_status_and_logs.sql"


@pytest.mark.parametrize("name", SQL_FILES)
def test_the_readme_lists_each_sql_step(name: str) -> None:
    assert f"`sql/{name}`" in (CONTAINER / "README.md").read_text(encoding="utf-8")


def test_the_metric_queries_read_the_accounts_active_event_table() -> None:
    queries = active_sql(sql(METRICS_SQL))
    assert re.search(r"SHOW\s+PARAMETERS\s+LIKE\s+'event_table'\s+IN\s+ACCOUNT;", queries, re.I)
    assert re.search(r"SET\s+event_table\s*=", queries, re.I)
    assert queries.count("FROM IDENTIFIER($event_table)") >= 4  # what arrived, (a), (b) and (c)


def test_the_metric_queries_read_only_metric_rows_of_the_service_and_its_start_up_log_lines() -> None:
    queries = active_sql(sql(METRICS_SQL))
    reads = queries.count("FROM IDENTIFIER($event_table)")
    assert queries.count("record_type = 'METRIC'") == reads - 1
    assert queries.count("record_type = 'LOG'") == 1  # (d), the cold starts
    assert queries.count(f"resource_attributes:\"snow.service.name\" = '{created_service()['name'].upper()}'") == reads


def test_the_metric_queries_leave_out_snowflakes_platform_metrics() -> None:
    queries = active_sql(sql(METRICS_SQL))
    metric_reads = queries.count("record_type = 'METRIC'")
    assert queries.count("COALESCE(scope:name::string, '') <> 'snow.spcs.platform'") == metric_reads >= 4


@pytest.mark.parametrize("metric", APP_METRICS)
def test_the_metric_queries_read(metric: str) -> None:
    assert f"'{metric}'" in active_sql(sql(METRICS_SQL))


def test_the_metric_queries_read_the_metric_name_where_snowflake_documents_it() -> None:
    assert "record:metric.name" in active_sql(sql(METRICS_SQL))


def test_every_cumulative_series_is_differenced_per_instance() -> None:
    partitions = re.findall(
        r"LAG\(\w+\)\s+OVER\s*\(\s*PARTITION\s+BY\s+([\w\s,]+?)\s+ORDER\s+BY\s+sampled_at\s*\)",
        active_sql(sql(METRICS_SQL)),
        re.IGNORECASE,
    )
    assert len(partitions) == 3  # (a), (b) and (c)
    assert all(p.split(",")[0].strip() == "instance" for p in partitions), partitions


def test_the_percentiles_are_per_function_for_each_instance_and_for_all() -> None:
    queries = active_sql(sql(METRICS_SQL))
    each_and_all = r"GROUPING\s+SETS\s*\(\s*\(function_name,\s*instance,\s*le\),\s*\(function_name,\s*le\)\s*\)"
    assert re.search(each_and_all, queries)
    assert "0.50 * invocations" in queries and "0.99 * invocations" in queries


def test_the_metric_queries_count_the_last_hour_in_utc() -> None:
    queries = active_sql(sql(METRICS_SQL))
    assert "DATEADD(hour, -1, SYSDATE())" in queries  # TIMESTAMP is UTC without a time zone
    assert "CURRENT_TIMESTAMP" not in queries.upper()


@pytest.mark.parametrize(
    "earlier, later",
    [
        ("DROP FUNCTION", "DROP SERVICE"),
        ("DROP SERVICE", "DROP COMPUTE POOL"),
        ("DROP IMAGE REPOSITORY", "DROP DATABASE"),
        ("DROP STAGE", "DROP DATABASE"),
        ("DROP DATABASE", "DROP ROLE"),
        ("DROP WAREHOUSE", "DROP ROLE"),
    ],
)
def test_the_cleanup_drops_in_dependency_order(earlier: str, later: str) -> None:
    cleanup = active_sql(sql("07_cleanup.sql")).upper()
    assert -1 < cleanup.find(earlier) < cleanup.find(later)


# --------------------------------------------------------------------------- the Dockerfile


EXPECTED_IMAGE_ENV = {
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PIP_NO_CACHE_DIR": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "SERVER_HOST": "0.0.0.0",
    "SERVER_PORT": "8080",
    "CHARACTER_NAME": "I",
    "PYTHON_ENABLE_WORKER_EXTENSIONS": "1",
    "SERVER_LOG_FORMAT": "json",
}


def test_the_image_builds_on_python_3_11_slim(dockerfile: Dockerfile) -> None:
    assert dockerfile.base == "python:3.11-slim"


@pytest.mark.parametrize("name, value", EXPECTED_IMAGE_ENV.items())
def test_the_image_sets(dockerfile: Dockerfile, name: str, value: str) -> None:
    assert dockerfile.env.get(name) == value


def test_the_image_environment_is_valid_server_settings(dockerfile: Dockerfile) -> None:
    settings = ServerSettings.from_environ(dockerfile.env)
    assert (settings.host, settings.port, settings.log_format) == ("0.0.0.0", 8080, "json")


def test_the_image_exposes_the_port_it_listens_on(dockerfile: Dockerfile) -> None:
    assert dockerfile.expose == [int(dockerfile.env["SERVER_PORT"])]


def test_the_command_is_in_exec_form_so_sigterm_reaches_the_server(dockerfile: Dockerfile) -> None:
    assert dockerfile.cmd_exec_form
    assert not dockerfile.entrypoint
    assert dockerfile.cmd == ["python", "-m", "container"]


def test_the_module_the_command_runs_exists(dockerfile: Dockerfile) -> None:
    module = dockerfile.cmd[dockerfile.cmd.index("-m") + 1]
    assert (ROOT / module / "__main__.py").is_file()
    assert any(dest.rstrip("/") in (module, f"./{module}") for _, dest in dockerfile.copies)


def test_the_image_does_not_run_as_root(dockerfile: Dockerfile) -> None:
    assert dockerfile.user is not None
    user = dockerfile.user.split(":")[0]
    assert user not in ("", "0", "root")


def test_the_user_exists_in_the_image(dockerfile: Dockerfile) -> None:
    assert any(f"--uid {dockerfile.user}" in run for run in dockerfile.runs)


def test_the_healthcheck_asks_the_readiness_path_on_the_configured_port(
    dockerfile: Dockerfile, routes: RouteTable
) -> None:
    assert dockerfile.healthcheck is not None
    command = " ".join(dockerfile.healthcheck)
    assert "http://127.0.0.1:${SERVER_PORT}/healthcheck" in command
    assert serves(routes, "GET", "/healthcheck")


@pytest.mark.parametrize(
    "source",
    [
        "requirements.lock",
        "python_worker_extension_timer/",
        "host.json",
        "function_app.py",
        "echo_service/",
        "container/",
    ],
)
def test_the_image_copies(dockerfile: Dockerfile, source: str) -> None:
    assert source in dockerfile.copy_sources


def test_every_copied_path_exists_in_the_repository(dockerfile: Dockerfile) -> None:
    missing = [source for source in dockerfile.copy_sources if not (ROOT / source).exists()]
    assert not missing


def test_the_dependencies_are_installed_before_the_code_is_copied(dockerfile: Dockerfile) -> None:
    order = [(i.keyword, i.text) for i in dockerfile.instructions if i.keyword in ("COPY", "RUN")]
    install = next(n for n, (keyword, text) in enumerate(order) if keyword == "RUN" and "pip install" in text)
    copied_before = " ".join(text for keyword, text in order[:install] if keyword == "COPY")
    copied_after = " ".join(text for keyword, text in order[install:] if keyword == "COPY")
    assert "function_app.py" in copied_after and "echo_service/" in copied_after
    for requirements in re.findall(r"-r\s+(\S+)", order[install][1]):
        assert requirements in copied_before, f"{requirements} must be copied before pip install reads it"


def pip_installs(dockerfile: Dockerfile) -> list[list[str]]:
    """Every `pip install` of the RUN instructions, as its words."""
    return [
        command.split()
        for run in dockerfile.runs
        for command in run.split("&&")
        if command.split()[:2] == ["pip", "install"]
    ]


def test_the_image_installs_exactly_the_lock_with_its_hashes_checked(dockerfile: Dockerfile) -> None:
    locked = [words for words in pip_installs(dockerfile) if any(w.endswith("/requirements.lock") for w in words)]
    assert len(locked) == 1
    assert {"--require-hashes", "--no-deps"} <= set(locked[0])


def test_the_timer_extension_is_built_from_the_lock_alone(dockerfile: Dockerfile) -> None:
    """No index, no dependencies, no isolated build environment: nothing that the lock's hashes do not cover."""
    local = [
        words for words in pip_installs(dockerfile) if words[-1].rstrip("/").endswith("python_worker_extension_timer")
    ]
    assert len(local) == 1
    assert {"--no-index", "--no-deps", "--no-build-isolation"} <= set(local[0])


def test_the_image_checks_the_installed_set_is_complete(dockerfile: Dockerfile) -> None:
    assert any("pip check" in run and "pip install" in run for run in dockerfile.runs)


def test_the_user_is_created_before_anything_of_ours_is_copied(dockerfile: Dockerfile) -> None:
    """Its layer then stays cached across code and dependency changes."""
    order = [i for i in dockerfile.instructions if i.keyword in ("COPY", "RUN")]
    user = next(n for n, i in enumerate(order) if i.keyword == "RUN" and f"--uid {dockerfile.user}" in i.text)
    assert all(i.keyword != "COPY" for i in order[:user])


def test_every_local_package_requirements_txt_names_is_copied_first(dockerfile: Dockerfile) -> None:
    local = [
        line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip().startswith("./")
    ]
    copied = {source.rstrip("/") for source in dockerfile.copy_sources}
    for requirement in local:
        assert requirement[2:].rstrip("/") in copied, requirement


# --------------------------------------------------------------------------- the build context


def test_the_context_keeps_every_path_the_dockerfile_copies(dockerfile: Dockerfile, dockerignore: DockerIgnore) -> None:
    context = set(dockerignore.context_files(ROOT))
    for source in dockerfile.copy_sources:
        if (ROOT / source).is_dir():
            assert any(f.startswith(source.rstrip("/") + "/") for f in context), f"{source} is empty in the context"
        else:
            assert source in context, f"{source} is not in the build context"


@pytest.mark.parametrize(
    "path",
    [
        "tests/conftest.py",
        ".venv/bin/python",
        ".git/HEAD",
        "benchmarks/timer_overhead.py",
        "local.settings.json",
        "Makefile",
        "requirements-dev.txt",
        "requirements.txt",
        "constraints.txt",
        "container/requirements.txt",
        "container/Dockerfile",
        "container/README.md",
        "container/spec.yaml",
        "container/sql/01_setup.sql",
        "container/sql/07_cleanup.sql",
        ".mypy_cache/3.11/container/server.data.json",
        ".ruff_cache/0.17.0/12345",
        "container/.mypy_cache/CACHEDIR.TAG",
        "echo_service/.ruff_cache/CACHEDIR.TAG",
        "python_worker_extension_timer/.pytest_cache/README.md",
        "container/__pycache__/server.cpython-311.pyc",
        "echo_service/handlers.pyc",
        "python_worker_extension_timer/build/lib/python_worker_extension_timer/extension.py",
        "python_worker_extension_timer/dist/python_worker_extension_timer-1.0.tar.gz",
        "python_worker_extension_timer/python_worker_extension_timer.egg-info/PKG-INFO",
    ],
)
def test_the_context_leaves_out(dockerignore: DockerIgnore, path: str) -> None:
    assert dockerignore.excludes(path)


@pytest.mark.parametrize(
    "path",
    [
        "function_app.py",
        "host.json",
        "requirements.lock",
        "container/__main__.py",
        "echo_service/handlers.py",
        "python_worker_extension_timer/pyproject.toml",
        "python_worker_extension_timer/python_worker_extension_timer/extension.py",
    ],
)
def test_the_context_holds(dockerignore: DockerIgnore, path: str) -> None:
    assert dockerignore.includes(path)


# --------------------------------------------------------------------------- the image, run as processes


def stage_image(dockerfile: Dockerfile, dockerignore: DockerIgnore, root: Path) -> Path:
    """The image's WORKDIR as `docker build` fills it: COPYs from the context, `rm -rf` of RUNs."""
    context = dockerignore.context_files(ROOT)
    workdir = PurePosixPath(dockerfile.workdir or "/")
    image = root / "image"
    for sources, dest in dockerfile.copies:
        target = image / str(workdir / dest).lstrip("/")
        for source in sources:
            prefix = source.rstrip("/")
            if (ROOT / prefix).is_dir():
                for file in (f for f in context if f.startswith(prefix + "/")):
                    copy_file(ROOT / file, target / file[len(prefix) + 1 :])
            elif dest.endswith("/") or len(sources) > 1:
                copy_file(ROOT / source, target / Path(source).name)
            else:
                copy_file(ROOT / source, target)
    app = image / str(workdir).lstrip("/")
    for run in dockerfile.runs:
        for removed in re.findall(r"rm -rf ([\w./-]+)", run):
            shutil.rmtree(image / str(workdir / removed).lstrip("/"), ignore_errors=True)  # inside the image only
    return app


def copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def image_command(dockerfile: Dockerfile) -> list[str]:
    """The CMD, with `python` being this interpreter (its packages stand in for the pip install)."""
    command = dockerfile.command()
    return [sys.executable if word == "python" else word for word in command]


@pytest.fixture(scope="module")
def staged_app(dockerfile: Dockerfile, dockerignore: DockerIgnore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stage_image(dockerfile, dockerignore, tmp_path_factory.mktemp("image"))


@pytest.fixture(scope="module")
def image_server(
    dockerfile: Dockerfile, staged_app: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """The image's CMD in its WORKDIR with its ENV; only the address and worker count are local."""
    port = free_port()
    env = container_env(**dockerfile.env)
    env.update(
        SERVER_HOST="127.0.0.1",
        SERVER_PORT=str(port),
        WEB_CONCURRENCY="1",
        # what `pip install ./python_worker_extension_timer` puts on the path in the image
        PYTHONPATH=str(ROOT / "python_worker_extension_timer"),
    )
    server = ServerProcess(image_command(dockerfile), env, port, cwd=staged_app)
    server.start(tmp_path_factory.mktemp("image-log") / "server.log")
    yield server
    server.stop()


def test_the_image_holds_only_what_the_service_needs(staged_app: Path) -> None:
    top_level = sorted(p.name for p in staged_app.iterdir())
    assert top_level == ["container", "echo_service", "function_app.py", "host.json"]


def test_the_images_server_package_holds_only_its_modules(staged_app: Path) -> None:
    """No Dockerfile, README, specification, SQL or requirements: the service runs none of them."""
    assert sorted({p.suffix for p in (staged_app / "container").rglob("*") if p.is_file()}) == [".py"]


def test_the_build_files_are_gone_from_the_image(staged_app: Path) -> None:
    """The lock and the extension's sources were copied to /build for the install, which removes them."""
    image_root = staged_app.parents[0]
    assert (image_root / "app").is_dir() and not (image_root / "build").exists()


def test_the_image_serves_the_readiness_probe(image_server: ServerProcess) -> None:
    assert httpx.get(f"{image_server.base_url}/healthcheck", timeout=5).status_code == 200


def test_the_image_answers_the_tutorial_batch(image_server: ServerProcess) -> None:
    answer = httpx.post(
        f"{image_server.base_url}/echo", json={"data": [[0, "Hello friend"], [1, "Hello World"]]}, timeout=5
    )
    assert answer.json() == {"data": [[0, "I said Hello friend"], [1, "I said Hello World"]]}


def test_the_image_healthcheck_passes_against_the_running_server(
    dockerfile: Dockerfile, image_server: ServerProcess
) -> None:
    env = container_env(SERVER_PORT=str(image_server.port))
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    done = subprocess.run(dockerfile.healthcheck, env=env, capture_output=True, timeout=30)  # type: ignore[arg-type]
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def test_the_image_logs_json_lines_with_a_body(image_server: ServerProcess) -> None:
    httpx.get(f"{image_server.base_url}/healthcheck", timeout=5)
    lines = [line for line in image_server.output().splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert "body" in json.loads(line), line


def test_the_image_run_with_the_spec_environment_answers_as_bob(
    dockerfile: Dockerfile, echo_container: dict[str, Any], staged_app: Path, tmp_path: Path
) -> None:
    """The spec's env overrides the image's ENV (only the port is local), with its worker processes."""
    port = free_port()
    env = container_env(**dockerfile.env)
    env.update({name: str(value) for name, value in echo_container["env"].items()})
    env.update(SERVER_HOST="127.0.0.1", SERVER_PORT=str(port), PYTHONPATH=str(ROOT / "python_worker_extension_timer"))
    server = ServerProcess(image_command(dockerfile), env, port, cwd=staged_app).start(tmp_path / "server.log")
    try:
        answer = httpx.post(f"{server.base_url}/echo", json={"data": [[0, "hello!"]]}, timeout=5)
        assert answer.json() == {"data": [[0, "Bob said hello!"]]}
    finally:
        assert server.stop() == 0, server.output()


def test_the_image_is_ready_on_the_probe_within_5_seconds(image_server: ServerProcess) -> None:
    assert image_server.ready_after < 5.0


def test_the_image_runs_the_timer_extension(image_server: ServerProcess) -> None:
    answer = httpx.post(f"{image_server.base_url}/echo", json={"data": [[0, "hello!"]]}, timeout=5)
    assert answer.headers["server-timing"].startswith("func;dur=")
    assert httpx.get(f"{image_server.base_url}/latency", timeout=5).json()["functions"]["echo"]["count"] >= 1
