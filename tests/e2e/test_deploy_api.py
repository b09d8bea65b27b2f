"""scripts.deploy_api: settings checks, and the CloudFormation calls on botocore's Stubber.

moto cannot run this stack (it has no SAM transform), so the CloudFormation client is
stubbed with the exact calls expected.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from provisioning.api import stacks as stacks
from provisioning.api.gateway import CHALICE_CONFIG_DIR, GatewayConfigError, GatewaySettings
from provisioning.api.package import DeployFailed
from provisioning.naming import stack_name
from tests.e2e.cloudformation_stubs import CAPABILITIES, OUTPUTS, STACK, stack


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
            lambda c: c["stages"]["prod"]["environment_variables"].update(CORS_ALLOW_ORIGINS="*"),
            "prod: CORS_ALLOW_ORIGINS: '\\*' is not an origin",
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
