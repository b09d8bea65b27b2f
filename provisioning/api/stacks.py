"""A CloudFormation stack, created or updated through a change set, and deleted."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from provisioning.api.package import DeployFailed

NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


def stack_status(cfn: Any, name: str) -> str | None:
    try:
        return str(cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"])
    except ClientError as error:
        if "does not exist" in error.response.get("Error", {}).get("Message", ""):
            return None
        raise


def deploy_stack(
    cfn: Any, name: str, body: str, tags: list[dict[str, str]], out: Callable[[str], None]
) -> dict[str, str]:
    """Create or update the stack through a change set; returns its outputs."""
    status = stack_status(cfn, name)
    if status is not None and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise DeployFailed(f"stack {name} is {status}: wait for it to settle")
    if status == "ROLLBACK_COMPLETE":
        # A first create that failed leaves this: CloudFormation updates it no more, only deletes.
        out(
            f"  stack {name} is ROLLBACK_COMPLETE (its first create failed): deleting it to create it again"
        )
        cfn.delete_stack(StackName=name)
        try:
            cfn.get_waiter("stack_delete_complete").wait(
                StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 120}
            )
        except WaiterError:
            raise DeployFailed(
                f"stack {name} could not be deleted: {first_failure(cfn, name)}"
            ) from None
        status = None
    # A stack whose first change set never ran is REVIEW_IN_PROGRESS: it is created, not updated.
    kind = "CREATE" if status in (None, "REVIEW_IN_PROGRESS") else "UPDATE"
    change_set = f"deploy-{int(time.time())}"
    cfn.create_change_set(
        StackName=name,
        ChangeSetName=change_set,
        ChangeSetType=kind,
        TemplateBody=body,
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
        Tags=tags,
    )
    out(f"  change set {change_set} ({kind.lower()}): waiting for CloudFormation to compute it")
    try:
        cfn.get_waiter("change_set_create_complete").wait(
            StackName=name, ChangeSetName=change_set, WaiterConfig={"Delay": 5, "MaxAttempts": 120}
        )
    except WaiterError:
        described = cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
        reason = described.get("StatusReason", "")
        if any(marker in reason for marker in NO_CHANGES):
            cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
            out("  no changes: the stack already matches")
            return outputs(cfn, name)
        raise DeployFailed(f"change set failed: {reason}") from None
    cfn.execute_change_set(StackName=name, ChangeSetName=change_set)
    out(f"  executing: {kind.lower()} of stack {name} (a few minutes)")
    waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig={"Delay": 10, "MaxAttempts": 180})
    except WaiterError:
        raise DeployFailed(f"stack {name}: {first_failure(cfn, name)}") from None
    return outputs(cfn, name)


def first_failure(cfn: Any, name: str) -> str:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in reversed(events) if e.get("ResourceStatus", "").endswith("_FAILED")]
    if not failed:
        return "did not finish"
    return f"{failed[0]['LogicalResourceId']}: {failed[0].get('ResourceStatusReason', 'failed')}"


def outputs(cfn: Any, name: str) -> dict[str, str]:
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def delete_stack(cfn: Any, stack: str, out: Callable[[str], None]) -> int:
    if stack_status(cfn, stack) is None:
        out(f"stack {stack} does not exist: nothing to delete")
        return 0
    cfn.delete_stack(StackName=stack)
    out(f"deleting stack {stack}")
    try:
        cfn.get_waiter("stack_delete_complete").wait(
            StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": 120}
        )
    except WaiterError:
        out(f"deploy_api failed: stack {stack}: {first_failure(cfn, stack)}")
        return 1
    out(f"deleted stack {stack} (the S3 bucket and its objects are kept)")
    return 0
