"""deploy_endpoint and delete_endpoint against moto: the real boto3 calls, in process."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import xgboost as xgb
from moto import mock_aws

from provisioning import endpoint_deploy
from provisioning.aws import AwsClients
from provisioning.endpoint_deploy import deploy_endpoint
from provisioning.endpoint_teardown import delete
from provisioning.iam_documents import ROLE_POLICY_NAME
from provisioning.plan import Deployment, StepFailed
from scripts import deploy_endpoint as deploy_command
from tests.support import moto_model_answer

READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Head")


class Recorder:
    """Every operation the scripts call, in order."""

    def __init__(self, aws: AwsClients) -> None:
        self.calls: list[str] = []
        for client in (aws.s3, aws.iam, aws.sts, aws.sagemaker, aws.runtime, aws.autoscaling):
            client.meta.events.register("before-call.*.*", self._record)

    def _record(self, model: object, **_: object) -> None:
        self.calls.append(model.name)  # type: ignore[attr-defined]

    @property
    def mutating(self) -> list[str]:
        return [call for call in self.calls if not call.startswith(READ_ONLY_PREFIXES)]

    def clear(self) -> None:
        self.calls.clear()


def make_aws(region: str, model_tar: Path | None = None) -> Iterator[AwsClients]:
    with mock_aws():
        if model_tar is not None:
            moto_model_answer(model_tar, region)
        yield AwsClients.create(region)


@pytest.fixture(params=["us-east-1", "eu-west-1"])
def aws(
    request: pytest.FixtureRequest, fake_credentials: None, trained_model: Path
) -> Iterator[AwsClients]:
    yield from make_aws(request.param, trained_model / "model.tar.gz")


def run_deploy(
    aws: AwsClients, model: Path, config_dir: Path, *extra: str
) -> tuple[int, list[str]]:
    lines: list[str] = []
    args = deploy_command.parser().parse_args(
        [
            "--endpoint-name",
            "iris-test",
            "--model",
            str(model),
            "--chalice-config-dir",
            str(config_dir),
            *extra,
        ]
    )
    run = Deployment(aws, dry_run=args.dry_run, out=lines.append, sleep=lambda _: None)
    return deploy_endpoint(deploy_command.request_from(args), aws, run), lines


def test_deploy_creates_everything_and_points_the_stage_at_it(
    aws: AwsClients, trained_model: Path, chalice_config: Path
) -> None:
    # When the artifact is deployed to a fresh account
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    # Then the bucket is private and encrypted and holds the artifact under its sha256
    assert code == 0, lines
    sha = json.loads((trained_model / "model-metadata.json").read_text())["artifact_sha256"]
    bucket = f"sagemaker-proxy-123456789012-{aws.region}"
    key = f"models/{sha}/model.tar.gz"
    blocked = aws.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocked.values())
    assert aws.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    body = aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.getnames() == ["xgboost-model"]
        booster = xgb.Booster()
        booster.load_model(bytearray(tar.extractfile("xgboost-model").read()))  # type: ignore[union-attr]
        assert booster.num_features() == 4
    # And SageMaker has the model on the region's built-in image, its config and the endpoint
    endpoint = aws.sagemaker.describe_endpoint(EndpointName="iris-test")
    assert endpoint["EndpointStatus"] == "InService"
    config = aws.sagemaker.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"]
    )
    model = aws.sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    image_accounts = {"us-east-1": "683313688378", "eu-west-1": "141502667606"}
    assert model["PrimaryContainer"]["Image"] == (
        f"{image_accounts[aws.region]}.dkr.ecr.{aws.region}.amazonaws.com/sagemaker-xgboost:3.0-5"
    )
    assert model["PrimaryContainer"]["ModelDataUrl"] == f"s3://{bucket}/{key}"
    tags = {
        t["Key"]: t["Value"]
        for t in aws.sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
    }
    assert tags == {"project": "sagemaker-proxy", "artifact-sha256": sha}
    # And the execution role may be assumed by SageMaker and reads only this artifact's prefix
    role = aws.iam.get_role(RoleName="sagemaker-proxy-iris-test")["Role"]
    assert model["ExecutionRoleArn"] == role["Arn"]
    policy = aws.iam.get_role_policy(
        RoleName="sagemaker-proxy-iris-test", PolicyName=ROLE_POLICY_NAME
    )
    document = policy["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document["Statement"][0]["Resource"] == f"arn:aws:s3:::{bucket}/models/{sha}/*"
    # And the stage's variable and policy name the endpoint
    stage = json.loads((chalice_config / "config.json").read_text())["stages"]["dev"]
    assert stage["environment_variables"]["SAGEMAKER_ENDPOINT_NAME"] == "iris-test"
    lambda_policy = json.loads((chalice_config / "policy-dev.json").read_text())
    assert lambda_policy["Statement"][0]["Resource"] == endpoint["EndpointArn"].lower()
    assert any("answer" in line for line in lines)


def test_own_image_is_deployed_and_the_role_pulls_from_its_repository_only(
    aws: AwsClients, trained_model: Path, chalice_config: Path
) -> None:
    # Given an image pushed by scripts.push_image
    image = f"123456789012.dkr.ecr.{aws.region}.amazonaws.com/proxy-model:sha-0123456789ab"
    # When the artifact is deployed with it
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config, "--image", image)
    assert code == 0, lines
    # Then the model runs that image
    endpoint = aws.sagemaker.describe_endpoint(EndpointName="iris-test")
    config = aws.sagemaker.describe_endpoint_config(
        EndpointConfigName=endpoint["EndpointConfigName"]
    )
    model = aws.sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    assert model["PrimaryContainer"]["Image"] == image
    # And the execution role may pull from that one repository and no other
    document = aws.iam.get_role_policy(
        RoleName="sagemaker-proxy-iris-test", PolicyName=ROLE_POLICY_NAME
    )["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    pulls = [s for s in document["Statement"] if "ecr:BatchGetImage" in s["Action"]]
    assert [s["Resource"] for s in pulls] == [
        f"arn:aws:ecr:{aws.region}:123456789012:repository/proxy-model"
    ]


def test_rerun_creates_nothing(aws: AwsClients, trained_model: Path, chalice_config: Path) -> None:
    run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    recorder = Recorder(aws)
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    assert code == 0
    # Only the smoke test's InvokeEndpoint is not a read.
    assert recorder.mutating == ["InvokeEndpoint"]
    assert not any("created" in line for line in lines)


def test_dry_run_makes_no_mutating_call(
    aws: AwsClients, trained_model: Path, chalice_config: Path
) -> None:
    before = (chalice_config / "config.json").read_text()
    recorder = Recorder(aws)
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config, "--dry-run")
    assert code == 0
    assert recorder.mutating == []
    assert any("create   endpoint iris-test" in line for line in lines)
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []
    assert (chalice_config / "config.json").read_text() == before


def test_delete_removes_everything_and_a_second_delete_is_a_no_op(
    aws: AwsClients, trained_model: Path, chalice_config: Path
) -> None:
    run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    assert delete(aws, "iris-test", keep_model=False, dry_run=False, out=lambda _: None) == 0
    assert aws.sagemaker.list_endpoints()["Endpoints"] == []
    assert aws.sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert aws.sagemaker.list_models()["Models"] == []
    recorder = Recorder(aws)
    assert delete(aws, "iris-test", keep_model=False, dry_run=False, out=lambda _: None) == 0
    assert recorder.mutating == []


def test_delete_dry_run_and_keep_model(
    aws: AwsClients, trained_model: Path, chalice_config: Path
) -> None:
    run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    recorder = Recorder(aws)
    delete(aws, "iris-test", keep_model=False, dry_run=True, out=lambda _: None)
    assert recorder.mutating == []
    delete(aws, "iris-test", keep_model=True, dry_run=False, out=lambda _: None)
    assert aws.sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert len(aws.sagemaker.list_models()["Models"]) == 1


def test_delete_refuses_an_endpoint_the_project_did_not_make(aws: AwsClients) -> None:
    aws.sagemaker.create_model(
        ModelName="theirs",
        PrimaryContainer={"Image": "x"},
        ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
    )
    aws.sagemaker.create_endpoint_config(
        EndpointConfigName="theirs-config",
        ProductionVariants=[
            {
                "VariantName": "v",
                "ModelName": "theirs",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    aws.sagemaker.create_endpoint(EndpointName="theirs", EndpointConfigName="theirs-config")
    assert delete(aws, "theirs", keep_model=False, dry_run=False, out=lambda _: None) == 1
    assert aws.sagemaker.describe_endpoint(EndpointName="theirs")["EndpointStatus"] == "InService"


def test_autoscaling_is_registered_and_removed(
    aws: AwsClients, trained_model: Path, chalice_config: Path
) -> None:
    code, _ = run_deploy(
        aws, trained_model / "model.tar.gz", chalice_config, "--autoscale-max", "3"
    )
    assert code == 0
    targets = aws.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")[
        "ScalableTargets"
    ]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
        ("endpoint/iris-test/variant/AllTraffic", 1, 3)
    ]
    delete(aws, "iris-test", keep_model=False, dry_run=False, out=lambda _: None)
    assert (
        aws.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
        == []
    )


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
    train_model.write_artifacts(output, seed=7, rounds=50, lambda_metadata=None)
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
