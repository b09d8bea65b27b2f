"""checkov on what would be deployed: the API's template after SAM's expansion, the serving
image's Dockerfile, and the model's execution role. Every check it skips says why on its line
in .checkov.yaml; anything else it finds fails the test."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from provisioning.iam_documents import execution_role_policy, sagemaker_trust_policy
from provisioning.naming import Names, Variant
from tests.e2e.sam_expansion import expand
from tests.support import REPO_ROOT

# `make test` installs it in an environment of its own (its pins clash with ours).
CHECKOV = REPO_ROOT / ".venv-tools" / "bin" / "checkov"
pytestmark = pytest.mark.skipif(
    not CHECKOV.exists(), reason="checkov is not installed: `make test` installs it"
)


def checkov(*files: Path) -> subprocess.CompletedProcess[str]:
    arguments = [str(CHECKOV), "--config-file", str(REPO_ROOT / ".checkov.yaml")]
    for file in files:
        arguments += ["-f", str(file)]
    return subprocess.run(arguments, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)


def execution_role_template() -> dict[str, Any]:
    """The role deploy_endpoint makes for the model, as CloudFormation would write it."""
    names = Names.derive(
        "iris-xgboost", "0" * 64, "123456789012", "eu-west-1", None,
        Variant(),
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:3.0-5",
    )  # fmt: skip
    image = "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:3.0-5"
    policy = execution_role_policy(names, "eu-west-1", "123456789012", image)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "ModelRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": sagemaker_trust_policy("123456789012"),
                    "Policies": [{"PolicyName": "model-access", "PolicyDocument": policy}],
                },
            }
        },
    }


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_checkov_finds_nothing_unexplained(stage: str, tmp_path: Path) -> None:
    api = tmp_path / "api.json"
    api.write_text(json.dumps(expand(stage, tmp_path)))
    role = tmp_path / "model-role.json"
    role.write_text(json.dumps(execution_role_template()))
    result = checkov(api, role, REPO_ROOT / "container" / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed checks: 0" in result.stdout
    assert result.stdout.count("Passed checks:") == 2  # cloudformation and dockerfile both ran
