"""`make deploy` before it creates anything: one region, one account, an endpoint that serves,
room for the reserved concurrency; then the upload and the template pointed at it. S3, STS and
SageMaker on moto, CloudFormation and Lambda's GetAccountSettings on the Stubber.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from chalicelib.signature import read_signature
from foundation.paths import IRIS_SIGNATURE
from provisioning import stage_config
from provisioning.aws import AwsClients, project_tags
from scripts import deploy_api
from tests.e2e.cloudformation_stubs import OUTPUTS, STACK, stack

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's


IRIS = read_signature(IRIS_SIGNATURE)


def stage_pointed_at_endpoint(config_dir: Path, region: str = REGION) -> None:
    stage_config.point_stage_at_endpoint("dev", "iris-xgboost", region, ACCOUNT, IRIS, config_dir)


def create_endpoint(aws: AwsClients, artifact_sha256: str | None = IRIS.artifact_sha256) -> None:
    """An endpoint as deploy_endpoint makes it: its model tagged with the artifact's sha256."""
    sm = aws.sagemaker
    sm.create_model(
        ModelName="m",
        PrimaryContainer={"Image": "1.dkr.ecr.eu-west-1.amazonaws.com/x:1"},
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
        Tags=project_tags(artifact_sha256),
    )
    sm.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "m", "InstanceType": "ml.m5.large",
             "InitialInstanceCount": 1},
        ],
    )  # fmt: skip
    sm.create_endpoint(EndpointName="iris-xgboost", EndpointConfigName="c")


def account_settings(unreserved: int, total: int = 1000) -> dict[str, Any]:
    return {
        "AccountLimit": {
            "TotalCodeSize": 1,
            "CodeSizeUnzipped": 1,
            "CodeSizeZipped": 1,
            "ConcurrentExecutions": total,
            "UnreservedConcurrentExecutions": unreserved,
        },
        "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": 0},
    }


def run_deploy_api(
    aws: AwsClients, cfn_client: Any, config_dir: Path, build_dir: Path, *extra: str
) -> tuple[int, list[str]]:
    args = deploy_api.parser().parse_args(
        [
            "--stage",
            "dev",
            "--build-dir",
            str(build_dir),
            "--chalice-config-dir",
            str(config_dir),
            *extra,
        ]
    )
    lines: list[str] = []
    return deploy_api.deploy(args, aws, cfn_client, lines.append), lines


@pytest.fixture
def moto_aws(fake_credentials: None) -> Iterator[AwsClients]:
    with mock_aws():
        yield AwsClients.create(REGION)


@pytest.fixture
def lambda_limits(moto_aws: AwsClients) -> Iterator[Stubber]:
    # moto has no GetAccountSettings: the Stubber answers it, checked against botocore's model.
    with Stubber(moto_aws.lambda_) as stubber:
        yield stubber


def test_deploy_uploads_the_package_and_points_the_template_at_it(
    cfn: tuple[Any, Stubber],
    moto_aws: AwsClients,
    lambda_limits: Stubber,
    chalice_config: Path,
    tmp_path: Path,
) -> None:
    client, stubber = cfn
    aws = moto_aws
    stage_pointed_at_endpoint(chalice_config)
    create_endpoint(aws)
    lambda_limits.add_response("get_account_settings", account_settings(unreserved=990))
    bodies: list[str] = []

    def capture(**kwargs: Any) -> None:
        bodies.append(kwargs["params"]["TemplateBody"])

    client.meta.events.register("provide-client-params.cloudformation.CreateChangeSet", capture)
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack {STACK} does not exist")
    stubber.add_response("create_change_set", {"Id": "arn:cs"}, None)
    stubber.add_response("describe_change_set", {"Status": "CREATE_COMPLETE"}, None)
    stubber.add_response("execute_change_set", {}, None)
    stubber.add_response("describe_stacks", stack("CREATE_COMPLETE"), None)
    stubber.add_response("describe_stacks", stack("CREATE_COMPLETE", OUTPUTS), None)
    code, lines = run_deploy_api(aws, client, chalice_config, tmp_path)
    assert code == 0, lines
    bucket = f"sagemaker-proxy-{ACCOUNT}-{REGION}"
    code_uri = json.loads(bodies[0])["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    assert code_uri["Bucket"] == bucket and code_uri["Key"].startswith("lambda/")
    uploaded = aws.s3.get_object(Bucket=bucket, Key=code_uri["Key"])["Body"].read()
    assert uploaded == (tmp_path / "api-dev" / "package" / "deployment.zip").read_bytes()
    assert "API: https://abc123.execute-api.eu-west-1.amazonaws.com/api/" in [
        x.strip() for x in lines
    ]
    assert any("get-api-key --api-key k3y1d --include-value" in line for line in lines)


def refused(code: int, lines: list[str], said: str, aws: AwsClients) -> None:
    assert code == 1
    assert len(lines) == 1 and said in lines[0], lines
    # Nothing was created: no bucket, no upload, no stack (the cfn Stubber has no responses)
    assert aws.s3.list_buckets()["Buckets"] == []


def test_a_stage_without_a_recorded_region_is_refused(
    cfn: tuple[Any, Stubber], moto_aws: AwsClients, chalice_config: Path, tmp_path: Path
) -> None:
    code, lines = run_deploy_api(moto_aws, cfn[0], chalice_config, tmp_path)
    refused(code, lines, "records no endpoint region", moto_aws)


def test_another_region_than_the_endpoints_is_refused(
    cfn: tuple[Any, Stubber], moto_aws: AwsClients, chalice_config: Path, tmp_path: Path
) -> None:
    stage_pointed_at_endpoint(chalice_config, region="us-west-2")
    code, lines = run_deploy_api(moto_aws, cfn[0], chalice_config, tmp_path)
    refused(code, lines, "REGION=us-west-2", moto_aws)


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:sagemaker:*:*:endpoint/iris-xgboost",
        "arn:aws:sagemaker:eu-west-1:000000000000:endpoint/iris-xgboost",
        "arn:aws:sagemaker:us-east-1:123456789012:endpoint/iris-xgboost",
        "*",
    ],
    ids=["wildcards", "placeholder account", "other region", "star"],
)
def test_a_policy_for_another_account_region_or_wildcard_is_refused(
    cfn: tuple[Any, Stubber],
    moto_aws: AwsClients,
    chalice_config: Path,
    tmp_path: Path,
    resource: str,
) -> None:
    stage_pointed_at_endpoint(chalice_config)
    policy_path = chalice_config / "policy-dev.json"
    policy = json.loads(policy_path.read_text())
    policy["Statement"][0]["Resource"] = resource
    policy_path.write_text(json.dumps(policy))
    code, lines = run_deploy_api(moto_aws, cfn[0], chalice_config, tmp_path)
    refused(code, lines, "policy-dev.json grants SageMaker on", moto_aws)


def test_an_endpoint_that_does_not_exist_is_refused(
    cfn: tuple[Any, Stubber], moto_aws: AwsClients, chalice_config: Path, tmp_path: Path
) -> None:
    stage_pointed_at_endpoint(chalice_config)
    code, lines = run_deploy_api(moto_aws, cfn[0], chalice_config, tmp_path)
    refused(code, lines, "does not exist in this region", moto_aws)


def test_an_endpoint_not_in_service_is_refused(
    cfn: tuple[Any, Stubber], moto_aws: AwsClients, chalice_config: Path, tmp_path: Path
) -> None:
    stage_pointed_at_endpoint(chalice_config)
    with Stubber(moto_aws.sagemaker) as sagemaker:  # moto's endpoints are InService at once
        sagemaker.add_response(
            "describe_endpoint",
            {
                "EndpointName": "iris-xgboost",
                "EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/iris-xgboost",
                "EndpointStatus": "Creating",
                "CreationTime": "2026-01-01T00:00:00Z",
                "LastModifiedTime": "2026-01-01T00:00:00Z",
            },
            {"EndpointName": "iris-xgboost"},
        )
        code, lines = run_deploy_api(moto_aws, cfn[0], chalice_config, tmp_path)
    refused(code, lines, "is Creating, not InService", moto_aws)


def test_a_reservation_the_account_cannot_give_is_refused_before_anything_is_created(
    cfn: tuple[Any, Stubber],
    moto_aws: AwsClients,
    lambda_limits: Stubber,
    chalice_config: Path,
    tmp_path: Path,
) -> None:
    # A new account's quota of 10: dev reserves 10, which would leave 0 unreserved
    stage_pointed_at_endpoint(chalice_config)
    create_endpoint(moto_aws)
    lambda_limits.add_response("get_account_settings", account_settings(unreserved=10, total=10))
    code, lines = run_deploy_api(moto_aws, cfn[0], chalice_config, tmp_path)
    assert code == 1 and len(lines) == 1
    assert "reserving 10 would leave fewer than Lambda's minimum of 10" in lines[0]
    # The endpoint is all that exists; no bucket, no upload
    assert moto_aws.s3.list_buckets()["Buckets"] == []


@pytest.mark.parametrize(
    ("served", "said"),
    [
        ("1" * 64, "validates by the signature of artifact 80fef02d96df..., but endpoint "
         "iris-xgboost serves 111111111111..."),
        (None, "its model has no artifact-sha256 tag"),
    ],
    ids=["another artifact", "an artifact it cannot tell"],
)  # fmt: skip
def test_a_stage_whose_signature_is_not_the_served_models_is_refused(
    cfn: tuple[Any, Stubber],
    moto_aws: AwsClients,
    chalice_config: Path,
    tmp_path: Path,
    served: str | None,
    said: str,
) -> None:
    # Given the stage validates by Iris's signature, and the endpoint serves another artifact
    stage_pointed_at_endpoint(chalice_config)
    create_endpoint(moto_aws, artifact_sha256=served)
    # When the API is deployed
    code, lines = run_deploy_api(moto_aws, cfn[0], chalice_config, tmp_path)
    # Then it is refused before anything is made: it would answer with another model's labels
    refused(code, lines, said, moto_aws)


def test_a_stage_whose_signature_file_is_broken_is_refused(
    cfn: tuple[Any, Stubber], moto_aws: AwsClients, chalice_config: Path, tmp_path: Path
) -> None:
    stage_pointed_at_endpoint(chalice_config)
    create_endpoint(moto_aws)
    signature = stage_config.signature_file(chalice_config, "dev")
    signature.write_text(signature.read_text()[:-30])
    code, lines = run_deploy_api(moto_aws, cfn[0], chalice_config, tmp_path)
    refused(code, lines, "dev.json: not a JSON file", moto_aws)


def test_ctrl_c_while_the_stack_deploys_says_where_it_stands_in_one_line(
    cfn: tuple[Any, Stubber],
    moto_aws: AwsClients,
    lambda_limits: Stubber,
    chalice_config: Path,
    tmp_path: Path,
) -> None:
    import signal

    client, stubber = cfn
    stage_pointed_at_endpoint(chalice_config)
    create_endpoint(moto_aws)
    lambda_limits.add_response("get_account_settings", account_settings(unreserved=990))
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack {STACK} does not exist")
    stubber.add_response("create_change_set", {"Id": "arn:cs"}, None)
    stubber.add_response("describe_change_set", {"Status": "CREATE_COMPLETE"}, None)
    stubber.add_response("execute_change_set", {}, None)
    # Given Ctrl-C pressed just after CloudFormation was told to go ahead
    client.meta.events.register(
        "after-call.cloudformation.ExecuteChangeSet",
        lambda **_: signal.raise_signal(signal.SIGINT),
    )
    stubber.add_response("describe_stacks", stack("CREATE_IN_PROGRESS"), None)
    code, lines = run_deploy_api(moto_aws, client, chalice_config, tmp_path)
    # Then it stops with Ctrl-C's code and one line saying CloudFormation carries on
    assert code == 130
    assert lines[-1].startswith(
        "INTERRUPTED (SIGINT): stack sagemaker-proxy-dev is CREATE_IN_PROGRESS"
    )
    assert "rolls back by itself" in lines[-1]
