"""What CloudFormation sees: `make deploy`'s template after SAM's own expansion, read resource by
resource and linted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.sam_expansion import expand_template
from tests.support import REPO_ROOT

CHALICE_DIR = REPO_ROOT / "chalice_app"


@pytest.fixture(scope="module")
def expanded(package: tuple[str, Path]) -> tuple[str, dict[str, Any]]:
    stage, output = package
    expansion = expand_template(json.loads((output / "sam.json").read_text()))
    (output / "expanded.json").write_text(json.dumps(expansion))
    return stage, expansion["Resources"]


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r["Type"] == f"AWS::ApiGateway::{kind}"}


def test_the_expansion_has_one_stage_and_the_usage_plan_is_bound_to_it(
    expanded: tuple[str, dict[str, Any]],
) -> None:
    _, resources = expanded
    (stage_id, stage), *others = of_type(resources, "Stage").items()
    assert others == []
    assert stage["Properties"]["StageName"] == "api"
    # SAM's deployment names no stage of its own (without OpenApiVersion it made "Stage")
    for deployment in of_type(resources, "Deployment").values():
        assert "StageName" not in deployment["Properties"]
    (plan,) = of_type(resources, "UsagePlan").values()
    assert plan["Properties"]["ApiStages"] == [
        {"ApiId": {"Ref": "RestAPI"}, "Stage": {"Ref": stage_id}}
    ]
    assert stage["Properties"]["MethodSettings"][0]["ThrottlingRateLimit"] > 0


def test_the_expansion_keys_every_route_but_preflights_and_maps_only_documented_sources(
    expanded: tuple[str, dict[str, Any]],
) -> None:
    stage, resources = expanded
    body = resources["RestAPI"]["Properties"]["Body"]
    for path, item in body["paths"].items():
        for method, operation in item.items():
            keyed = operation.get("security") == [{"api_key": []}]
            assert keyed == (method != "options"), (path, method)
    origin = json.loads((CHALICE_DIR / ".chalice" / "config.json").read_text())["stages"][stage][
        "environment_variables"
    ]["CORS_ALLOW_ORIGINS"].split(",")[0]
    for response in body["x-amazon-apigateway-gateway-responses"].values():
        parameters = response["responseParameters"]
        assert parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{origin}'"
        # Request parameters or quoted literals only: anything else fails the API's import
        for value in parameters.values():
            assert value.startswith(("'", "method.request.")), value


def test_the_expansions_log_grant_is_the_functions_own_log_group(
    expanded: tuple[str, dict[str, Any]],
) -> None:
    stage, resources = expanded
    function = resources["APIHandler"]["Properties"]
    assert function["FunctionName"] == f"sagemaker-proxy-{stage}"
    (policy,) = resources["ApiHandlerRole"]["Properties"]["Policies"]
    (logs,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "WriteOwnLogs"]
    for resource in logs["Resource"]:
        assert resource.split(":log-group:")[1].startswith(
            f"/aws/lambda/{function['FunctionName']}"
        )
        assert "*" not in resource.removesuffix(":*")


def test_the_expansion_passes_cfn_lint(
    expanded: tuple[str, dict[str, Any]], package: tuple[str, Path]
) -> None:
    _, output = package
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    result = subprocess.run(
        [cfn_lint, str(output / "expanded.json"), "--regions", "eu-west-1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
