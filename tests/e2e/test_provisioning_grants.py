"""The model's execution role: grants only ever added, restored when a run fails, and assumed for
this account only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provisioning.aws import AwsClients
from provisioning.endpoint import deploy as endpoint_deploy
from provisioning.iam_documents import ROLE_POLICY_NAME
from provisioning.plan import StepFailed
from tests.e2e.provisioning_runs import run_deploy
from tests.support import forget_moto_answers, moto_model_answer


def role_policy(aws: AwsClients) -> dict:
    document = aws.iam.get_role_policy(
        RoleName="sagemaker-proxy-iris-test", PolicyName=ROLE_POLICY_NAME
    )["PolicyDocument"]
    return json.loads(document) if isinstance(document, str) else document


def artifact_prefixes(policy: dict) -> set[str]:
    return {s["Resource"] for s in policy["Statement"] if s["Action"] == "s3:GetObject"}


@pytest.fixture(scope="module")
def second_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scripts import train_model

    output = tmp_path_factory.mktemp("second")
    train_model.write_artifacts(output / "model.tar.gz", seed=7, rounds=50)
    return output / "model.tar.gz"


def test_a_second_artifact_adds_grants_and_keeps_the_first(
    aws: AwsClients, trained_model: Path, chalice_config: Path, second_model: Path
) -> None:
    # Given an endpoint on the first artifact
    assert run_deploy(aws, trained_model / "model.tar.gz", chalice_config)[0] == 0
    first = artifact_prefixes(role_policy(aws))
    # When a second artifact is deployed under the same endpoint name (the endpoint deleted in
    # between, since moto has no UpdateEndpoint; the role is kept and reused either way)
    aws.sagemaker.delete_endpoint(EndpointName="iris-test")
    forget_moto_answers(aws.region)
    moto_model_answer(second_model, aws.region)  # what the second model answers its smoke test
    assert run_deploy(aws, second_model, chalice_config)[0] == 0
    # Then the role can still read the first (a live config may use it) and now the second
    both = artifact_prefixes(role_policy(aws))
    assert first < both and len(both) == 2
    trust = aws.iam.get_role(RoleName="sagemaker-proxy-iris-test")["Role"]
    statement = trust["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_a_failed_deploy_restores_the_grants_as_they_were(
    aws: AwsClients,
    trained_model: Path,
    chalice_config: Path,
    second_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run_deploy(aws, trained_model / "model.tar.gz", chalice_config)[0] == 0
    before = role_policy(aws)
    aws.sagemaker.delete_endpoint(EndpointName="iris-test")  # moto has no UpdateEndpoint

    def failing_smoke_test(*_: object) -> str:
        raise StepFailed("smoke test", "injected")

    monkeypatch.setattr(endpoint_deploy, "smoke_test", failing_smoke_test)
    code, lines = run_deploy(aws, second_model, chalice_config)
    assert code == 1
    assert any("restored as they were" in line for line in lines)
    assert role_policy(aws) == before
