"""What `chalice package` would deploy for each stage: template, package contents, policies."""

from __future__ import annotations

import compileall
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from parliament import analyze_policy_string

from provisioning.api import package as api_package
from tests.support import REPO_ROOT

CHALICE_DIR = REPO_ROOT / "chalice_app"
DEPLOYED_STAGES = ["dev", "prod"]
# Top-level entries the Lambda may ship: the app, Chalice's runtime, pydantic and its dependencies,
# PyJWT.
ALLOWED_TOP_LEVEL = (
    "app.py",
    "chalicelib",
    "chalice",
    "pydantic",
    "annotated_types",
    "typing_",
    # PyJWT, which checks sign-in tokens (chalicelib/signin/tokens.py)
    "jwt",
    "pyjwt",
)


def test_template_passes_cfn_lint(package: tuple[str, Path]) -> None:
    _, output = package
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run([cfn_lint, str(output / "sam.json")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_holds_only_the_app_and_its_dependencies(package: tuple[str, Path]) -> None:
    _, output = package
    with zipfile.ZipFile(output / "deployment.zip") as archive:
        names = archive.namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    unexpected = {name for name in top_level if not name.startswith(ALLOWED_TOP_LEVEL)}
    assert unexpected == set()
    for forbidden in (
        "tests/",
        "scripts/",
        "serving/",
        ".chalice/",
        "model.tar.gz",
        "xgboost",
        "boto3/",
    ):
        assert not any(forbidden in name for name in names), forbidden
    assert "chalicelib/signatures/iris.json" in names


def test_a_checkout_with_bytecode_ships_sources_only(tmp_path: Path) -> None:
    # Given a checkout where Python has written bytecode, its default (this machine's
    # PYTHONDONTWRITEBYTECODE hides it)
    project = tmp_path / "chalice_app"
    shutil.copytree(CHALICE_DIR, project, ignore=shutil.ignore_patterns("__pycache__", "deploy*"))
    assert compileall.compile_dir(project / "chalicelib", quiet=1)
    assert list((project / "chalicelib").rglob("__pycache__/*.pyc"))
    # When make deploy packages the stage
    output = api_package.package("dev", tmp_path / "package", project_dir=project)
    # Then every module's source ships and no compiled file of this laptop does
    with zipfile.ZipFile(output / "deployment.zip") as archive:
        names = set(archive.namelist())
        assert archive.testzip() is None
    assert {name for name in names if "__pycache__" in name or name.endswith(".pyc")} == set()
    sources = {
        f"chalicelib/{path.relative_to(project / 'chalicelib')}"
        for path in (project / "chalicelib").rglob("*.py")
    }
    assert sources <= names and "app.py" in names


def test_template_keeps_debug_off_and_cors_narrow(package: tuple[str, Path]) -> None:
    stage, output = package
    template = json.loads((output / "sam.json").read_text())
    function = template["Resources"]["APIHandler"]["Properties"]
    variables = function["Environment"]["Variables"]
    assert variables["CORS_ALLOW_ORIGINS"] and "*" not in variables["CORS_ALLOW_ORIGINS"]
    assert function["Timeout"] == 25
    # The role Chalice generates holds exactly the stage's policy file.
    role = template["Resources"]["ApiHandlerRole"]["Properties"]
    policy_file = CHALICE_DIR / ".chalice" / f"policy-{stage}.json"
    assert [p["PolicyDocument"] for p in role["Policies"]] == [json.loads(policy_file.read_text())]


@pytest.mark.parametrize("stage", DEPLOYED_STAGES)
def test_lambda_policy_passes_parliament_and_names_one_endpoint(stage: str) -> None:
    text = (CHALICE_DIR / ".chalice" / f"policy-{stage}.json").read_text()
    assert [finding.issue for finding in analyze_policy_string(text).findings] == []
    for statement in json.loads(text)["Statement"]:
        if any(action.startswith("sagemaker:") for action in statement["Action"]):
            assert statement["Resource"] != "*"
            assert ":endpoint/" in statement["Resource"]


def test_parliament_would_catch_a_star_resource() -> None:
    loose = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint", "Resource": "*"}]}'
    assert "RESOURCE_STAR" in [finding.issue for finding in analyze_policy_string(loose).findings]


# -- what API Gateway adds (scripts.api_gateway) ---------------------------------------


def resources(output: Path) -> dict[str, Any]:
    return json.loads((output / "sam.json").read_text())["Resources"]


def test_the_usage_plan_and_key_are_bound_to_the_stage(package: tuple[str, Path]) -> None:
    stage, output = package
    settings = json.loads((CHALICE_DIR / ".chalice" / "gateway.json").read_text())[stage]
    template = resources(output)
    plan = template["UsagePlan"]["Properties"]
    assert plan["ApiStages"] == [{"ApiId": {"Ref": "RestAPI"}, "Stage": {"Ref": "RestAPI.Stage"}}]
    assert template["RestAPI"]["Properties"]["OpenApiVersion"]  # no stray "Stage" stage
    assert plan["Throttle"] == {
        "RateLimit": settings["rate_limit"],
        "BurstLimit": settings["burst_limit"],
    }
    assert plan["Quota"] == {"Limit": settings["daily_quota"], "Period": "DAY"}
    assert settings["api_key_required"]
    assert template["ApiKey"]["Type"] == "AWS::ApiGateway::ApiKey"
    assert template["ApiKey"]["Properties"]["Enabled"] is True
    assert template["UsagePlanKey"]["Properties"] == {
        "KeyId": {"Ref": "ApiKey"},
        "KeyType": "API_KEY",
        "UsagePlanId": {"Ref": "UsagePlan"},
    }
    # And the stage-wide throttle matches too
    (method_settings,) = template["RestAPI"]["Properties"]["MethodSettings"]
    assert method_settings["ThrottlingRateLimit"] == settings["rate_limit"]
    assert method_settings["ThrottlingBurstLimit"] == settings["burst_limit"]


def test_every_method_but_preflights_needs_the_key_and_answers_within_29_s(
    package: tuple[str, Path],
) -> None:
    _, output = package
    definition = resources(output)["RestAPI"]["Properties"]["DefinitionBody"]
    assert definition["securityDefinitions"]["api_key"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
    }
    operations = [
        (path, method, operation)
        for path, item in definition["paths"].items()
        for method, operation in item.items()
    ]
    assert {path for path, _, _ in operations} == {"/predict", "/health", "/openapi.json"}
    for path, method, operation in operations:
        if method == "options":
            assert "security" not in operation, path  # browsers send preflights without keys
        else:
            assert operation["security"] == [{"api_key": []}], (path, method)
            integration = operation["x-amazon-apigateway-integration"]
            assert integration["timeoutInMillis"] <= 29_000


def test_the_gateways_own_errors_carry_the_stages_cors_origin(package: tuple[str, Path]) -> None:
    stage, output = package
    # The first listed origin: a gateway response can carry only one (GatewaySettings)
    origin = json.loads((CHALICE_DIR / ".chalice" / "config.json").read_text())["stages"][stage][
        "environment_variables"
    ]["CORS_ALLOW_ORIGINS"].split(",")[0]
    definition = resources(output)["RestAPI"]["Properties"]["DefinitionBody"]
    responses = definition["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED"}
    # A 401 from an authorizer carries the challenge RFC 6750 asks for, as the proxy's own does.
    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized["statusCode"] == "401"
    assert unauthorized["responseParameters"]["gatewayresponse.header.WWW-Authenticate"] == (
        """'Bearer realm="sagemaker-proxy"'"""
    )
    for response in responses.values():
        headers = response["responseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{origin}'"
        assert "*" not in headers["gatewayresponse.header.Access-Control-Allow-Origin"]
        body = response["responseTemplates"]["application/json"]
        assert '"Code"' in body and '"RequestId": "$context.requestId"' in body


def test_reserved_concurrency_and_regional_endpoint(package: tuple[str, Path]) -> None:
    stage, output = package
    config = json.loads((CHALICE_DIR / ".chalice" / "config.json").read_text())
    template = resources(output)
    assert (
        template["APIHandler"]["Properties"]["ReservedConcurrentExecutions"]
        == config["stages"][stage]["reserved_concurrency"]
    )
    assert template["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"


@pytest.mark.parametrize("stage", DEPLOYED_STAGES)
def test_plain_chalice_deploy_still_packages_the_stage(stage: str, tmp_path: Path) -> None:
    # `chalice deploy --stage <stage>` is the other way to deploy: Chalice alone, without what
    # scripts.api_gateway adds (key, usage plan, CORS on gateway errors, one-stage fix).
    from foundation.processes import chalice_executable

    result = subprocess.run(
        [chalice_executable(), "package", "--stage", stage, str(tmp_path / "out")],
        cwd=CHALICE_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    template = json.loads((tmp_path / "out" / "sam.json").read_text())
    function = template["Resources"]["APIHandler"]["Properties"]
    assert function["ReservedConcurrentExecutions"] > 0
    assert function["Environment"]["Variables"]["SAGEMAKER_ENDPOINT_NAME"]
    assert "UsagePlan" not in template["Resources"]  # what only `make deploy` adds
