"""The Azure Developer CLI template (azure.yaml, infra/) deploys the app as it needs to run.

No Bicep compiler runs here, so the Bicep files are read as text: a small reader finds an object by
what precedes its `{` and lists its top-level `key: value` entries.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))


# --- a minimal Bicep reader -------------------------------------------------------------------


def code_of(text: str) -> str:
    """`text` without its `//` comments (a `//` inside a string, as in `'https://...'`, stays)."""
    out, in_string, i = [], False, 0
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 1
            elif char == "'":
                in_string = False
        elif char == "'":
            in_string = True
            out.append(char)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def depth_changes(text: str) -> list[tuple[int, str]]:
    """(position, delimiter) of every bracket outside a string."""
    found, in_string, i = [], False, 0
    while i < len(text):
        char = text[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == "'":
                in_string = False
        elif char == "'":
            in_string = True
        elif char in "{}[]()":
            found.append((i, char))
        i += 1
    return found


def object_body(text: str, before: str) -> str:
    """The inside of the first `{...}` that follows the regex `before`."""
    match = re.search(before, text)
    assert match, f"nothing matches {before!r}"
    start = text.index("{", match.end())
    depth = 0
    for position, char in depth_changes(text[start:]):
        depth += 1 if char in "{[(" else -1
        if depth == 0:
            return text[start + 1 : start + position]
    raise AssertionError(f"the object after {before!r} never closes")


def entries(body: str) -> dict[str, str]:
    """The top-level `key: value` entries of an object body (nested objects give their first line)."""
    result, depth = {}, 0
    for line in body.splitlines():
        if depth == 0:
            match = re.match(r"\s*'?([A-Za-z_][\w.-]*)'?\s*:\s*(.*?)\s*$", line)
            if match:
                result[match[1]] = match[2]
        for _, char in depth_changes(line):
            depth += 1 if char in "{[(" else -1
    return result


@cache
def bicep(relative: str) -> str:
    return code_of((INFRA / relative).read_text())


def api_module_params() -> str:
    return object_body(object_body(bicep("main.bicep"), r"module api '\./app/api\.bicep' ="), r"\bparams:")


def site_params() -> str:
    return object_body(
        object_body(bicep("app/api.bicep"), r"module api 'br/public:avm/res/web/site:[\d.]+' ="), r"\bparams:"
    )


def storage_params() -> dict[str, str]:
    module = object_body(bicep("main.bicep"), r"module storage 'br/public:avm/res/storage/storage-account:[\d.]+' =")
    return entries(object_body(module, r"\bparams:"))


@cache
def deployed_settings() -> dict[str, str]:
    """Every app setting the function app gets: what main.bicep passes as `appSettings` and the
    connection settings api.bicep adds (it hands the union of both to the site)."""
    from_main = entries(object_body(api_module_params(), r"\bappSettings:"))
    from_api = entries(object_body(bicep("app/api.bicep"), r"var connectionSettings ="))
    return {**from_main, **from_api}


def infra_python() -> str:
    match = re.search(r"^var pythonVersion = '(\d+\.\d+)'$", bicep("main.bicep"), re.MULTILINE)
    assert match, "main.bicep names the Python version in `var pythonVersion`"
    return match[1]


# --- azure.yaml -------------------------------------------------------------------------------


def azure_yaml() -> dict:
    return yaml.safe_load((ROOT / "azure.yaml").read_text())


def test_azure_yaml_deploys_the_repository_root_as_a_python_function_app() -> None:
    assert azure_yaml()["services"] == {"api": {"project": ".", "language": "python", "host": "function"}}


def test_azd_finds_the_function_app_by_its_service_name_tag() -> None:
    [service] = azure_yaml()["services"]
    api = bicep("app/api.bicep")
    assert f"param serviceName string = '{service}'" in api
    assert entries(site_params())["tags"] == "union(tags, { 'azd-service-name': serviceName })"


def test_every_required_parameter_gets_a_value_from_the_azd_environment() -> None:
    required = re.findall(r"^param (\w+) \w+$", bicep("main.bicep"), re.MULTILINE)
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert required and set(required) <= set(given)


@pytest.mark.parametrize("parameter, variable", [("environmentName", "AZURE_ENV_NAME"), ("location", "AZURE_LOCATION")])
def test_azd_fills_in_the_environment_and_the_region(parameter: str, variable: str) -> None:
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert given[parameter]["value"] == f"${{{variable}}}"


def test_character_name_defaults_to_i_and_follows_the_azd_environment() -> None:
    given = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert given["characterName"]["value"] == "${CHARACTER_NAME=I}"
    assert "param characterName string = 'I'" in bicep("main.bicep")


@pytest.mark.parametrize(
    "output",
    ["SERVICE_API_URI", "AZURE_FUNCTION_NAME", "AZURE_RESOURCE_GROUP", "APPLICATIONINSIGHTS_CONNECTION_STRING"],
)
def test_azd_env_get_values_prints_what_the_readme_uses(output: str) -> None:
    assert re.search(rf"^output {output} string = \S", bicep("main.bicep"), re.MULTILINE)


# --- the app settings -------------------------------------------------------------------------

APP_SETTINGS = [
    # the worker runs the timer's hooks
    ("PYTHON_ENABLE_WORKER_EXTENSIONS", "'1'"),
    # the worker configures Azure Monitor, so the timer's OpenTelemetry instruments are exported
    ("PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY", "'true'"),
    # ... older 4.x workers (4.34) only with this one; newer ones take it for trace context alone
    ("PYTHON_ENABLE_OPENTELEMETRY", "'true'"),
    # only the app's logger becomes traces: not the exporter's own logs, nor the worker's per-call line
    ("PYTHON_APPLICATIONINSIGHTS_LOGGER_NAME", "'python_worker_extension_timer'"),
    ("PYTHON_AZURE_MONITOR_LOGGER_NAME", "'python_worker_extension_timer'"),
    ("CHARACTER_NAME", "characterName"),
    # where telemetry goes, and with which identity (App Insights takes Entra ID only)
    ("APPLICATIONINSIGHTS_CONNECTION_STRING", "applicationInsights.properties.ConnectionString"),
    ("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "'ClientId=${identityClientId};Authorization=AAD'"),
    # the host's storage, through the managed identity
    ("AzureWebJobsStorage__credential", "'managedidentity'"),
    ("AzureWebJobsStorage__clientId", "identityClientId"),
    ("AzureWebJobsStorage__blobServiceUri", "stg.properties.primaryEndpoints.blob"),
]


@pytest.mark.parametrize("name, value", APP_SETTINGS)
def test_the_function_app_gets_the_setting(name: str, value: str) -> None:
    assert deployed_settings()[name] == value


def test_the_site_gets_both_the_apps_settings_and_the_connections() -> None:
    assert entries(site_params())["appSettingsKeyValuePairs"] == "union(appSettings, connectionSettings)"


# What local.settings.json sets for Core Tools that Azure gets some other way.
LOCAL_ONLY = {
    "FUNCTIONS_WORKER_RUNTIME": "Flex Consumption reads the runtime from functionAppConfig.runtime",
    "AzureWebJobsStorage": "Azure uses the identity-based AzureWebJobsStorage__* settings",
    "AzureWebJobsFeatureFlags": "worker indexing (the v2 model) needs no flag in Azure",
}


@pytest.mark.parametrize("name", json.loads((ROOT / "local.settings.json").read_text())["Values"])
def test_every_local_setting_has_its_azure_counterpart(name: str) -> None:
    assert name in deployed_settings() or name in LOCAL_ONLY


@pytest.mark.parametrize("name", ["PYTHON_APPLICATIONINSIGHTS_LOGGER_NAME", "PYTHON_AZURE_MONITOR_LOGGER_NAME"])
def test_core_tools_collects_the_same_logger_as_azure(name: str) -> None:
    local = json.loads((ROOT / "local.settings.json").read_text())["Values"][name]
    assert deployed_settings()[name] == f"'{local}'"


# App settings the Flex Consumption plan no longer honours (functionAppConfig replaces them).
@pytest.mark.parametrize(
    "name",
    [
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "SCM_DO_BUILD_DURING_DEPLOYMENT",
        "ENABLE_ORYX_BUILD",
        "WEBSITE_CONTENTSHARE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "AzureWebJobsStorage",
    ],
)
def test_no_setting_that_flex_consumption_replaced(name: str) -> None:
    assert name not in deployed_settings()


# --- runtime and plan -------------------------------------------------------------------------


def test_the_app_runs_on_a_python_whose_worker_runs_extensions() -> None:
    """The 3.13+ worker calls no extension hooks; 3.10-3.12 run them with the setting on."""
    assert infra_python() in {"3.10", "3.11", "3.12"}


def test_the_function_app_runs_python_at_the_infra_version() -> None:
    params = entries(api_module_params())
    assert (params["runtimeName"], params["runtimeVersion"]) == ("'python'", "pythonVersion")
    runtime = entries(object_body(site_params(), r"\bruntime:"))
    assert runtime == {"name": "runtimeName", "version": "runtimeVersion"}


@pytest.mark.parametrize("python", ["3.10", "3.11", "3.12", "3.13"])
def test_requirements_install_the_azure_monitor_distro_on_every_python_flex_consumption_runs(python: str) -> None:
    """PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY makes the worker import azure-monitor-opentelemetry: it must be
    there whichever Python the remote build ran on, not only on the infra's."""
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    distro = [Requirement(line.split(" #", 1)[0]) for line in lines if line.startswith("azure-monitor-opentelemetry")]
    assert any(r.marker is None or r.marker.evaluate(environment) for r in distro)


def test_the_template_names_the_python_version_itself() -> None:
    """Never the platform's default: functionAppConfig.runtime.version is what the app and its build run on."""
    assert re.search(r"^\s*runtimeVersion: pythonVersion$", bicep("main.bicep"), re.MULTILINE)
    assert infra_python() in {"3.10", "3.11", "3.12", "3.13"}


def test_the_plan_is_flex_consumption() -> None:
    plan = object_body(bicep("main.bicep"), r"module appServicePlan 'br/public:avm/res/web/serverfarm:[\d.]+' =")
    assert entries(object_body(plan, r"\bsku:")) == {"name": "'FC1'", "tier": "'FlexConsumption'"}


def test_the_package_is_deployed_from_a_container_of_the_storage_account() -> None:
    containers = object_body(object_body(bicep("main.bicep"), r"\bblobServices:"), r"\bcontainers:")
    assert "name: deploymentStorageContainerName" in containers
    storage = entries(object_body(site_params(), r"\bstorage:"))
    assert storage["type"] == "'blobContainer'"
    assert storage["value"] == "'${stg.properties.primaryEndpoints.blob}${deploymentStorageContainerName}'"


def test_the_package_is_read_with_the_managed_identity() -> None:
    authentication = entries(object_body(site_params(), r"\bauthentication:"))
    assert authentication == {"type": "'UserAssignedIdentity'", "userAssignedIdentityResourceId": "identityId"}


# --- no keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [("allowSharedKeyAccess", "false"), ("allowBlobPublicAccess", "false"), ("minimumTlsVersion", "'TLS1_2'")],
)
def test_the_storage_account_accepts_no_shared_key_and_no_anonymous_reader(name: str, value: str) -> None:
    assert storage_params()[name] == value


def test_application_insights_accepts_entra_id_only() -> None:
    monitoring = object_body(bicep("main.bicep"), r"module monitoring 'br/public:avm/res/insights/component:[\d.]+' =")
    assert entries(object_body(monitoring, r"\bparams:"))["disableLocalAuth"] == "true"


@pytest.mark.parametrize("path", [p.relative_to(INFRA).as_posix() for p in BICEP_FILES])
def test_no_key_or_connection_secret_is_read(path: str) -> None:
    text = bicep(path)
    assert "listKeys(" not in text and "AccountKey" not in text and "InstrumentationKey" not in text


def role_assignments() -> dict[str, tuple[str, str]]:
    """role definition id -> (scope, principal) of every role assignment in rbac.bicep."""
    rbac = bicep("app/rbac.bicep")
    roles = dict(re.findall(r"^var (\w+) = '([0-9a-f-]{36})'$", rbac, re.MULTILINE))
    found = {}
    for name in re.findall(r"^resource (\w+) 'Microsoft\.Authorization/roleAssignments@[\w-]+' =", rbac, re.MULTILINE):
        body = object_body(rbac, rf"resource {name} ")
        properties = entries(object_body(body, r"\bproperties:"))
        role = re.fullmatch(
            r"subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions', (\w+)\)",
            properties["roleDefinitionId"],
        )
        assert role, properties["roleDefinitionId"]
        found[roles[role[1]]] = (entries(body)["scope"], properties["principalId"])
    return found


@pytest.mark.parametrize(
    "role, scope",
    [
        ("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "storageAccount"),  # Storage Blob Data Owner
        ("3913510d-42f4-4e42-8a64-420c390055eb", "applicationInsights"),  # Monitoring Metrics Publisher
    ],
)
def test_the_managed_identity_has_the_role(role: str, scope: str) -> None:
    assert role_assignments()[role] == (scope, "managedIdentityPrincipalId")


def test_the_roles_go_to_the_function_apps_identity() -> None:
    rbac = entries(object_body(object_body(bicep("main.bicep"), r"module rbac '\./app/rbac\.bicep' ="), r"\bparams:"))
    params = entries(api_module_params())
    assert rbac["managedIdentityPrincipalId"] == "apiUserAssignedIdentity.outputs.principalId"
    assert params["identityClientId"] == "apiUserAssignedIdentity.outputs.clientId"


# --- what can be checked without a Bicep compiler ---------------------------------------------


@pytest.mark.parametrize("path", [p.relative_to(INFRA).as_posix() for p in BICEP_FILES])
def test_every_bracket_closes(path: str) -> None:
    stack = []
    for _, char in depth_changes(bicep(path)):
        if char in "{[(":
            stack.append(char)
        else:
            assert stack and stack.pop() + char in ("{}", "[]", "()"), f"unbalanced {char!r} in {path}"
    assert not stack


@pytest.mark.parametrize("path", [p.relative_to(INFRA).as_posix() for p in BICEP_FILES])
def test_strings_are_single_quoted(path: str) -> None:
    """Bicep has no double-quoted strings: a `"` outside a '...' string is a syntax error."""
    outside = re.sub(r"'(?:\\.|[^'\\])*'", "''", bicep(path))
    assert '"' not in outside


@pytest.mark.parametrize("path", [p.relative_to(INFRA).as_posix() for p in BICEP_FILES])
def test_every_local_module_exists(path: str) -> None:
    for module in re.findall(r"^module \w+ '(\.[^']+)'", bicep(path), re.MULTILINE):
        assert ((INFRA / path).parent / module).is_file(), module


# --- the upload and the host ------------------------------------------------------------------


def test_the_host_exports_telemetry_with_opentelemetry() -> None:
    assert json.loads((ROOT / "host.json").read_text())["telemetryMode"] == "OpenTelemetry"
