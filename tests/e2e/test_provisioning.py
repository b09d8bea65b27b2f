"""deploy_endpoint and delete_endpoint against moto: the real boto3 calls, in process."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import xgboost as xgb

from chalicelib.signature import read_signature
from provisioning.aws import AwsClients
from provisioning.endpoint.teardown import delete
from provisioning.iam_documents import ROLE_POLICY_NAME
from tests.e2e.provisioning_runs import Recorder, run_deploy


def test_deploy_creates_everything_and_points_the_stage_at_it(
    aws: AwsClients, trained_model: Path, chalice_config: Path
) -> None:
    # When the artifact is deployed to a fresh account
    code, lines = run_deploy(aws, trained_model / "model.tar.gz", chalice_config)
    # Then the bucket is private and encrypted and holds the artifact under its sha256
    assert code == 0, lines
    signature = read_signature(trained_model / "model.signature.json")
    sha = signature.artifact_sha256
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
    assert tags == {"project": "sagemaker-proxy", "artifact-sha256": sha, "endpoint": "iris-test"}
    # And the execution role may be assumed by SageMaker and reads only this artifact's prefix
    role = aws.iam.get_role(RoleName="sagemaker-proxy-iris-test")["Role"]
    assert model["ExecutionRoleArn"] == role["Arn"]
    policy = aws.iam.get_role_policy(
        RoleName="sagemaker-proxy-iris-test", PolicyName=ROLE_POLICY_NAME
    )
    document = policy["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document["Statement"][0]["Resource"] == f"arn:aws:s3:::{bucket}/models/{sha}/*"
    # And the stage's variables and policy name the endpoint, and it validates by its signature
    stage = json.loads((chalice_config / "config.json").read_text())["stages"]["dev"]
    assert stage["environment_variables"]["SAGEMAKER_ENDPOINT_NAME"] == "iris-test"
    assert stage["environment_variables"]["MODEL_SIGNATURE"] == "dev.json"
    shipped = chalice_config.parent / "chalicelib" / "signatures" / "dev.json"
    assert read_signature(shipped) == signature
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
    # Only the endpoint's lock, taken and given back, and the smoke test are not reads.
    assert recorder.mutating == ["PutObject", "InvokeEndpoint", "DeleteObject"]
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
    assert recorder.mutating == ["PutObject", "DeleteObject"]  # the lock, and nothing else


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


def test_only_the_last_configs_are_kept_and_the_run_says_which(
    aws: AwsClients, chalice_config: Path, tmp_path: Path
) -> None:
    from scripts import train_model
    from tests.support import forget_moto_answers, moto_model_answer

    # Given four artifacts deployed in turn to one endpoint (moto has no UpdateEndpoint: the
    # endpoint is deleted in between, its configs and models kept, as after blue/green updates)
    lines: list[str] = []
    for seed in (1, 2, 3, 4):
        model = tmp_path / f"seed{seed}" / "model.tar.gz"
        train_model.write_artifacts(model, seed=seed, rounds=5)
        if seed > 1:
            aws.sagemaker.delete_endpoint(EndpointName="iris-test")
        forget_moto_answers(aws.region)
        moto_model_answer(model, aws.region)
        code, lines = run_deploy(aws, model, chalice_config)
        assert code == 0, "\n".join(lines)
    # Then the one serving and the two before it are left, with their models; the first is gone
    configs = aws.sagemaker.list_endpoint_configs()["EndpointConfigs"]
    assert len(configs) == 3
    serving = aws.sagemaker.describe_endpoint(EndpointName="iris-test")["EndpointConfigName"]
    assert serving in {config["EndpointConfigName"] for config in configs}
    assert len(aws.sagemaker.list_models()["Models"]) == 3
    assert any(line.startswith("  keeping  the 2 configs before this one") for line in lines)
    assert sum(line.startswith("  removed  old ") for line in lines) == 2  # a config, its model
    # And the role reads only the three artifacts those models read
    document = aws.iam.get_role_policy(
        RoleName="sagemaker-proxy-iris-test", PolicyName=ROLE_POLICY_NAME
    )["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    reads = [s for s in document["Statement"] if s["Action"] == "s3:GetObject"]
    assert len(reads) == 3
    assert any(line.startswith("  narrowed ") for line in lines)
