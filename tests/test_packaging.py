"""What `chalice package` would deploy for each stage: template, package contents, policies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from parliament import analyze_policy_string

from tests.conftest import REPO_ROOT

CHALICE_DIR = REPO_ROOT / "chalice_app"
DEPLOYED_STAGES = ["dev", "prod"]
# Top-level entries the Lambda may ship: the app, Chalice's runtime, pydantic and its dependencies.
ALLOWED_TOP_LEVEL = ("app.py", "chalicelib", "chalice", "pydantic", "annotated_types", "typing_")


@pytest.fixture(scope="module", params=DEPLOYED_STAGES)
def package(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    stage = request.param
    output = tmp_path_factory.mktemp(f"package-{stage}")
    chalice = str(Path(sys.executable).with_name("chalice"))
    # No credentials: packaging makes no AWS call. The region only fills template ARNs.
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [chalice, "package", "--stage", stage, str(output)],
        cwd=CHALICE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return stage, output


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
    assert "chalicelib/model_metadata.json" in names


def test_template_keeps_debug_off_and_cors_narrow(package: tuple[str, Path]) -> None:
    stage, output = package
    template = json.loads((output / "sam.json").read_text())
    function = template["Resources"]["APIHandler"]["Properties"]
    variables = function["Environment"]["Variables"]
    assert variables["CORS_ALLOW_ORIGIN"] not in ("", "*")
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
