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

from scripts import deploy_api
from scripts.api_gateway import CHALICE_CONFIG_DIR, GatewayConfigError, GatewaySettings
from scripts.aws import AwsClients

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
    return deploy_api.deploy_stack(client, STACK, "{}", tags, lines.append), lines


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
    with pytest.raises(deploy_api.DeployFailed, match="UsagePlan: Rate limit too high"):
        deploy(client)


def test_a_stack_in_progress_is_not_touched(cfn: tuple[Any, Stubber]) -> None:
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack("UPDATE_IN_PROGRESS"), {"StackName": STACK})
    with pytest.raises(deploy_api.DeployFailed, match="wait for it to settle"):
        deploy(client)


def test_delete_removes_the_stack_and_a_second_delete_is_a_no_op(cfn: tuple[Any, Stubber]) -> None:
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    stubber.add_response("delete_stack", {}, {"StackName": STACK})
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack {STACK} does not exist")
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack {STACK} does not exist")
    lines: list[str] = []
    assert deploy_api.delete("dev", client, lines.append) == 0
    assert deploy_api.delete("dev", client, lines.append) == 0
    assert lines[-1] == f"stack {STACK} does not exist: nothing to delete"


def test_deploy_uploads_the_package_and_points_the_template_at_it(
    cfn: tuple[Any, Stubber], fake_credentials: None, tmp_path: Path
) -> None:
    client, stubber = cfn
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
    with mock_aws():
        aws = AwsClients.create("eu-west-1")
        args = deploy_api.parser().parse_args(["--stage", "dev", "--build-dir", str(tmp_path)])
        lines: list[str] = []
        assert deploy_api.deploy(args, aws, client, lines.append) == 0, lines
        bucket = "sagemaker-proxy-123456789012-eu-west-1"
        code = json.loads(bodies[0])["Resources"]["APIHandler"]["Properties"]["CodeUri"]
        assert code["Bucket"] == bucket and code["Key"].startswith("lambda/")
        uploaded = aws.s3.get_object(Bucket=bucket, Key=code["Key"])["Body"].read()
        assert uploaded == (tmp_path / "api-dev" / "package" / "deployment.zip").read_bytes()
    assert "API: https://abc123.execute-api.eu-west-1.amazonaws.com/api/" in [
        x.strip() for x in lines
    ]
    assert any("get-api-key --api-key k3y1d --include-value" in line for line in lines)
