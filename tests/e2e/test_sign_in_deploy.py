"""Sign-in on a deployed stage: a Cognito user pool's authorizer on every route but the
preflights in the template `make deploy` ships (and in SAM's expansion of it), and a production
stage whose only gate is the API key refused before any AWS call."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from foundation.paths import CHALICE_DIR
from provisioning.api import package as api_package
from provisioning.api.gateway import GatewayConfigError, GatewaySettings
from provisioning.aws import AwsClients
from scripts import deploy_api
from tests.e2e.sam_expansion import expand_template

POOL_ARN = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbC123"
SCOPE = "https://api.example.com/predict"
COGNITO = {
    "AUTH_MODE": "cognito",
    "AUTH_COGNITO_USER_POOL_ARN": POOL_ARN,
    "AUTH_AUDIENCE": "4example0client0id",
    "AUTH_SCOPES": SCOPE,
}


def project_with_prod(tmp_path: Path, variables: dict[str, str]) -> Path:
    """A copy of the Chalice project whose prod stage has these variables as well."""
    project = tmp_path / "chalice_app"
    shutil.copytree(
        CHALICE_DIR, project, ignore=shutil.ignore_patterns("deployments", "__pycache__")
    )
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    config["stages"]["prod"]["environment_variables"].update(variables)
    config_path.write_text(json.dumps(config, indent=2))
    return project


@pytest.fixture(scope="module")
def cognito_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cognito")
    project = project_with_prod(folder, COGNITO)
    return api_package.package("prod", folder / "out", project_dir=project)


def operations(definition: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in definition["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def check_cognito_on_every_route_but_preflights(definition: dict[str, Any]) -> None:
    authorizer = definition["securityDefinitions"]["CognitoUserPool"]
    assert authorizer["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert authorizer["x-amazon-apigateway-authorizer"]["providerARNs"] == [POOL_ARN]
    assert authorizer["name"] == "Authorization"
    seen = set()
    for path, method, operation in operations(definition):
        if method == "options":
            assert "security" not in operation, path
        else:
            # The key meters; the pool decides who may call.
            assert operation["security"] == [{"api_key": []}, {"CognitoUserPool": [SCOPE]}], path
            seen.add(path)
    assert seen == {"/predict", "/health", "/openapi.json"}


def test_the_template_has_the_pools_authorizer_on_every_route_but_preflights(
    cognito_package: Path,
) -> None:
    template = json.loads((cognito_package / "sam.json").read_text())
    check_cognito_on_every_route_but_preflights(
        template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    )
    # The function checks the same tokens (what `chalice local` cannot do for Cognito).
    variables = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["AUTH_MODE"] == "cognito"
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    linted = subprocess.run(
        [cfn_lint, str(cognito_package / "sam.json")], capture_output=True, text=True
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_sams_expansion_keeps_the_authorizer_on_every_route_but_preflights(
    cognito_package: Path,
) -> None:
    expanded = expand_template(json.loads((cognito_package / "sam.json").read_text()))
    check_cognito_on_every_route_but_preflights(
        expanded["Resources"]["RestAPI"]["Properties"]["Body"]
    )


def test_an_iam_stage_asks_for_sigv4_on_every_route_but_preflights(tmp_path: Path) -> None:
    project = project_with_prod(tmp_path, {"AUTH_MODE": "iam"})
    built = api_package.package("prod", tmp_path / "out", project_dir=project)
    definition = json.loads((built / "sam.json").read_text())["Resources"]["RestAPI"]["Properties"][
        "DefinitionBody"
    ]
    assert definition["securityDefinitions"]["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
    for path, method, operation in operations(definition):
        if method == "options":
            assert "security" not in operation, path
        else:
            assert operation["security"] == [{"api_key": []}, {"sigv4": []}], path


def test_a_stage_without_sign_in_has_no_authorizer(tmp_path: Path) -> None:
    built = api_package.package("prod", tmp_path / "out")
    definition = json.loads((built / "sam.json").read_text())["Resources"]["RestAPI"]["Properties"][
        "DefinitionBody"
    ]
    assert "CognitoUserPool" not in definition["securityDefinitions"]
    for _, method, operation in operations(definition):
        assert operation.get("security", []) in ([], [{"api_key": []}]), method


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"AUTH_MODE": "cognito", "AUTH_AUDIENCE": "c"}, "AUTH_COGNITO_USER_POOL_ARN"),
        ({**COGNITO, "AUTH_AUDIENCE": ""}, "AUTH_AUDIENCE"),
        (
            {"AUTH_MODE": "jwt", "AUTH_ISSUER": "http://idp.example.com", "AUTH_AUDIENCE": "a"},
            "https",
        ),
        ({"AUTH_MODE": "sso"}, "one of"),
        (
            {**COGNITO, "AUTH_KEYS_HARD_LIMIT_SECONDS": "60"},
            "AUTH_KEYS_HARD_LIMIT_SECONDS must be at least AUTH_KEYS_MAX_AGE_SECONDS",
        ),
    ],
)
def test_sign_in_settings_the_lambda_would_refuse_are_refused_at_deploy(
    tmp_path: Path, variables: dict[str, str], message: str
) -> None:
    project = project_with_prod(tmp_path, variables)
    with pytest.raises(GatewayConfigError, match=message):
        GatewaySettings.load("prod", project / ".chalice")


def run_deploy(config_dir: Path, build_dir: Path, *extra: str) -> tuple[int, list[str], AwsClients]:
    args = deploy_api.parser().parse_args(
        [
            "--stage",
            "prod",
            "--chalice-config-dir",
            str(config_dir),
            "--build-dir",
            str(build_dir),
            *extra,
        ]
    )
    lines: list[str] = []
    aws = AwsClients.create("eu-west-1")
    with Stubber(aws.cloudformation) as cfn:  # no CloudFormation call is expected
        code = deploy_api.deploy(args, aws, aws.cloudformation, lines.append)
        cfn.assert_no_pending_responses()
    return code, lines, aws


def test_a_production_stage_behind_an_api_key_alone_is_refused_unless_told(
    fake_credentials: None, tmp_path: Path
) -> None:
    config_dir = tmp_path / "plain" / ".chalice"
    shutil.copytree(CHALICE_DIR / ".chalice", config_dir, ignore=shutil.ignore_patterns("deploy*"))
    with mock_aws():
        code, lines, aws = run_deploy(config_dir, tmp_path / "build")
        assert code == 2
        assert "refused" in lines[0] and "--api-key-only" in lines[0]
        assert aws.s3.list_buckets()["Buckets"] == []  # nothing made
        # Told explicitly, it goes on (to the preflight, which finds no endpoint in moto).
        code, lines, _ = run_deploy(config_dir, tmp_path / "build", "--api-key-only")
        assert code != 2 and not any("refused" in line for line in lines), lines


def test_a_production_stage_with_sign_in_is_not_refused(
    fake_credentials: None, tmp_path: Path
) -> None:
    project = project_with_prod(tmp_path, COGNITO)
    with mock_aws():
        code, lines, _ = run_deploy(project / ".chalice", tmp_path / "build")
    assert code != 2 and not any("refused" in line for line in lines), lines
