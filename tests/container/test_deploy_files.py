"""The deployment files agree with each other and with the app.

container/Dockerfile, .dockerignore, container/spec.yaml, container/sql/*.sql and
container/README.md are read as they are written; the app's routes come from the
functions function_app.py registers. Nothing here needs Docker or Snowflake: the
last tests assemble the image's /app from the build context as `docker build`
would and run its CMD and HEALTHCHECK as plain processes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import httpx
import pytest
import yaml
from azure.functions.decorators.function_app import FunctionBuilder

import function_app
from container.errors import MethodNotAllowed, NotFound
from container.routing import RouteTable, route_of, route_prefix_from_host_json
from container.settings import ServerSettings
from tests.support.dockerfile import DockerIgnore, Dockerfile, parse_dockerfile, parse_dockerignore
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
    "06_cleanup.sql",
)
MEMORY = re.compile(r"\d+(?:\.\d+)?(?:M|Mi|G|Gi)")  # the units the specification reference allows
CPU = re.compile(r"\d+(?:\.\d+)?m?")


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


@pytest.fixture(scope="module")
def echo_container(spec: dict[str, Any]) -> dict[str, Any]:
    (container,) = [c for c in spec["spec"]["containers"] if c["name"] == "echo"]
    return container


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
    """The route table of function_app.app, built from its registered functions.

    FunctionApp.get_functions() may run only once per app, so each registered
    FunctionBuilder is built on its own instead, as tests/support/in_process does.
    """
    builders = [value for value in vars(function_app).values() if isinstance(value, FunctionBuilder)]
    assert builders, "function_app registers no functions"
    found = [route for builder in builders if (route := route_of(builder.build())) is not None]
    return RouteTable(found, route_prefix_from_host_json(ROOT))


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


@pytest.mark.parametrize("kind", ["requests", "limits"])
def test_resources_use_the_documented_units(echo_container, kind: str) -> None:
    resources = echo_container["resources"][kind]
    assert MEMORY.fullmatch(str(resources["memory"])), resources["memory"]
    assert CPU.fullmatch(str(resources["cpu"])), resources["cpu"]


def test_the_spec_requests_cpu_so_the_service_can_autoscale(echo_container) -> None:
    assert float(str(echo_container["resources"]["requests"]["cpu"]).rstrip("m")) > 0


def test_limits_are_not_below_requests(echo_container) -> None:
    resources = echo_container["resources"]
    assert cpus(resources["limits"]["cpu"]) >= cpus(resources["requests"]["cpu"])
    assert mebibytes(resources["limits"]["memory"]) >= mebibytes(resources["requests"]["memory"])


def test_there_are_no_more_worker_processes_than_cpus_allowed(echo_container) -> None:
    assert int(echo_container["env"]["WEB_CONCURRENCY"]) <= cpus(echo_container["resources"]["limits"]["cpu"])


def test_the_endpoint_is_public_so_the_ui_opens_in_a_browser(endpoint) -> None:
    assert endpoint["public"] is True


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


def test_the_service_runs_in_the_compute_pool_the_setup_creates() -> None:
    pool = created_service()["pool"]
    assert re.search(rf"CREATE\s+COMPUTE\s+POOL\s+(?:IF\s+NOT\s+EXISTS\s+)?{pool}\b", active_sql(sql("01_setup.sql")), re.I)


def test_the_service_starts_with_a_fixed_number_of_instances() -> None:
    rest = created_service()["rest"]
    low = re.search(r"MIN_INSTANCES\s*=\s*(\d+)", rest, re.I)
    high = re.search(r"MAX_INSTANCES\s*=\s*(\d+)", rest, re.I)
    assert low and high and 1 <= int(low.group(1)) <= int(high.group(1))


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
    ],
)
def test_the_app_serves_every_path_the_deployment_docs_send_people_to(routes: RouteTable, method, path) -> None:
    assert serves(routes, method, path), f"{method} {path} is in container/README.md and 05_status_and_logs.sql"


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
    cleanup = active_sql(sql("06_cleanup.sql")).upper()
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


def test_the_healthcheck_asks_the_readiness_path_on_the_configured_port(dockerfile: Dockerfile, routes: RouteTable) -> None:
    assert dockerfile.healthcheck is not None
    command = " ".join(dockerfile.healthcheck)
    assert "http://127.0.0.1:${SERVER_PORT}/healthcheck" in command
    assert serves(routes, "GET", "/healthcheck")


@pytest.mark.parametrize("source", ["requirements.txt", "container/requirements.txt", "python_worker_extension_timer/",
                                    "host.json", "function_app.py", "echo_service/", "container/"])
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


def test_every_local_package_requirements_txt_names_is_copied_first(dockerfile: Dockerfile) -> None:
    local = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip().startswith("./")]
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
        "requirements.txt",
        "container/requirements.txt",
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
            shutil.rmtree(app / removed, ignore_errors=True)
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
def image_server(dockerfile: Dockerfile, staged_app: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
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
    assert top_level == ["container", "echo_service", "function_app.py", "host.json", "requirements.txt"]


def test_the_image_serves_the_readiness_probe(image_server: ServerProcess) -> None:
    assert httpx.get(f"{image_server.base_url}/healthcheck", timeout=5).status_code == 200


def test_the_image_answers_the_tutorial_batch(image_server: ServerProcess) -> None:
    answer = httpx.post(
        f"{image_server.base_url}/echo", json={"data": [[0, "Hello friend"], [1, "Hello World"]]}, timeout=5
    )
    assert answer.json() == {"data": [[0, "I said Hello friend"], [1, "I said Hello World"]]}


def test_the_image_healthcheck_passes_against_the_running_server(dockerfile: Dockerfile, image_server: ServerProcess) -> None:
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
