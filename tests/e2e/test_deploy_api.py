"""scripts.deploy_api: settings checks, and the CloudFormation calls on botocore's Stubber.

moto cannot run this stack (it has no SAM transform), so the CloudFormation client is
stubbed with the exact calls expected; S3 and STS run on moto.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from provisioning import stacks, stage_config
from provisioning.api_gateway import CHALICE_CONFIG_DIR, GatewayConfigError, GatewaySettings
from provisioning.api_package import DeployFailed
from provisioning.aws import AwsClients
from provisioning.naming import stack_name
from scripts import deploy_api

STACK = "sagemaker-proxy-dev"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
OUTPUTS = [
    {
        "OutputKey": "EndpointURL",
        "OutputValue": "https://abc123.execute-api.eu-west-1.amazonaws.com/api/",
    },
    {"OutputKey": "ApiKeyId", "OutputValue": "k3y1d"},
]


def stack(status: str, outputs: list[dict[str, str]] | None = None) -> dict[str, Any]:
    described = {"StackName": STACK, "StackStatus": status, "CreationTime": "2026-01-01T00:00:00Z"}
    if outputs:
        described["Outputs"] = outputs
    return {"Stacks": [described]}


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / ".chalice"
    shutil.copytree(CHALICE_CONFIG_DIR, target, ignore=shutil.ignore_patterns("deploy*"))
    return target


def edit(config_dir: Path, name: str, change: Any) -> None:
    path = config_dir / name
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (
            "config.json",
            lambda c: c["stages"]["prod"]["environment_variables"].update(CORS_ALLOW_ORIGIN="*"),
            "not \\*",
        ),
        (
            "config.json",
            lambda c: c["stages"]["prod"].pop("reserved_concurrency"),
            "reserved_concurrency",
        ),
        ("config.json", lambda c: c.update(api_gateway_endpoint_type="EDGE"), "REGIONAL"),
        ("gateway.json", lambda g: g["prod"].update(daily_quota=0), "positive"),
        ("gateway.json", lambda g: g.pop("prod"), "needs an entry"),
    ],
    ids=["cors star", "no reserved concurrency", "edge endpoint", "zero quota", "missing stage"],
)
def test_unsafe_or_incomplete_settings_are_refused(
    config_dir: Path, name: str, change: Any, message: str
) -> None:
    edit(config_dir, name, change)
    with pytest.raises(GatewayConfigError, match=message):
        GatewaySettings.load("prod", config_dir)


@pytest.fixture
def cfn() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "cloudformation",
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_change_set(stubber: Stubber, kind: str, status: str, reason: str = "") -> None:
    stubber.add_response(
        "create_change_set",
        {"Id": "arn:cs", "StackId": "arn:stack"},
        {
            "StackName": STACK,
            "ChangeSetName": ANY,
            "ChangeSetType": kind,
            "TemplateBody": "{}",
            "Capabilities": CAPABILITIES,
            "Tags": [{"Key": "project", "Value": "sagemaker-proxy"}],
        },
    )
    described = {"Status": status, "ExecutionStatus": "AVAILABLE", "StackName": STACK}
    if reason:
        described["StatusReason"] = reason
    stubber.add_response(
        "describe_change_set", described, {"StackName": STACK, "ChangeSetName": ANY}
    )


def deploy(client: Any) -> tuple[dict[str, str], list[str]]:
    lines: list[str] = []
    tags = [{"Key": "project", "Value": "sagemaker-proxy"}]
    return stacks.deploy_stack(client, STACK, "{}", tags, lines.append), lines


def test_a_new_stack_is_created_through_a_change_set(cfn: tuple[Any, Stubber]) -> None:
    client, stubber = cfn
    stubber.add_client_error(
        "describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist"
    )
    expect_change_set(stubber, "CREATE", "CREATE_COMPLETE")
    stubber.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    stubber.add_response("describe_stacks", stack("CREATE_COMPLETE"), {"StackName": STACK})
    stubber.add_response("describe_stacks", stack("CREATE_COMPLETE", OUTPUTS), {"StackName": STACK})
    result, _ = deploy(client)
    assert result["ApiKeyId"] == "k3y1d"


def test_an_unchanged_stack_is_left_alone(cfn: tuple[Any, Stubber]) -> None:
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    reason = "The submitted information didn't contain changes. Submit different information."
    expect_change_set(stubber, "UPDATE", "FAILED", reason)
    stubber.add_response(
        "describe_change_set",
        {"Status": "FAILED", "StatusReason": reason},
        {"StackName": STACK, "ChangeSetName": ANY},
    )
    stubber.add_response("delete_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    stubber.add_response("describe_stacks", stack("UPDATE_COMPLETE", OUTPUTS), {"StackName": STACK})
    result, lines = deploy(client)
    assert "  no changes: the stack already matches" in lines
    assert result["EndpointURL"].endswith("/api/")


def test_a_failed_update_names_the_resource_and_reason(cfn: tuple[Any, Stubber]) -> None:
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    expect_change_set(stubber, "UPDATE", "CREATE_COMPLETE")
    stubber.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    stubber.add_response("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"), {"StackName": STACK})
    event = {
        "StackId": "arn:stack",
        "EventId": "1",
        "StackName": STACK,
        "Timestamp": "2026-01-01T00:00:00Z",
        "LogicalResourceId": "UsagePlan",
        "ResourceStatus": "UPDATE_FAILED",
        "ResourceStatusReason": "Rate limit too high",
    }
    stubber.add_response("describe_stack_events", {"StackEvents": [event]}, {"StackName": STACK})
    with pytest.raises(DeployFailed, match="UsagePlan: Rate limit too high"):
        deploy(client)


def test_a_stack_in_progress_is_not_touched(cfn: tuple[Any, Stubber]) -> None:
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack("UPDATE_IN_PROGRESS"), {"StackName": STACK})
    with pytest.raises(DeployFailed, match="wait for it to settle"):
        deploy(client)


def test_delete_removes_the_stack_and_a_second_delete_is_a_no_op(cfn: tuple[Any, Stubber]) -> None:
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    stubber.add_response("delete_stack", {}, {"StackName": STACK})
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack {STACK} does not exist")
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack {STACK} does not exist")
    lines: list[str] = []
    assert stacks.delete_stack(client, stack_name("dev"), lines.append) == 0
    assert stacks.delete_stack(client, stack_name("dev"), lines.append) == 0
    assert lines[-1] == f"stack {STACK} does not exist: nothing to delete"


def test_a_stack_whose_first_create_failed_is_deleted_and_created_again(
    cfn: tuple[Any, Stubber],
) -> None:
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"), {"StackName": STACK})
    stubber.add_response("delete_stack", {}, {"StackName": STACK})
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack {STACK} does not exist")
    expect_change_set(stubber, "CREATE", "CREATE_COMPLETE")
    stubber.add_response("execute_change_set", {}, {"StackName": STACK, "ChangeSetName": ANY})
    stubber.add_response("describe_stacks", stack("CREATE_COMPLETE"), {"StackName": STACK})
    stubber.add_response("describe_stacks", stack("CREATE_COMPLETE", OUTPUTS), {"StackName": STACK})
    result, lines = deploy(client)
    assert result["ApiKeyId"] == "k3y1d"
    assert any("ROLLBACK_COMPLETE" in line and "deleting it" in line for line in lines)


REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's


def stage_pointed_at_endpoint(config_dir: Path, region: str = REGION) -> None:
    stage_config.point_stage_at_endpoint("dev", "iris-xgboost", region, ACCOUNT, config_dir)


def create_endpoint(aws: AwsClients) -> None:
    sm = aws.sagemaker
    sm.create_model(
        ModelName="m",
        PrimaryContainer={"Image": "1.dkr.ecr.eu-west-1.amazonaws.com/x:1"},
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
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
