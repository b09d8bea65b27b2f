"""Deploy (or delete) a stage's API: API Gateway + Lambda, with key, usage plan and CORS errors.

    python -m scripts.deploy_api --stage dev [--dry-run]
    python -m scripts.deploy_api --stage dev --delete

One CloudFormation stack per stage (``sagemaker-proxy-<stage>``), from ``chalice package``
with the template of ``scripts.api_gateway`` merged in: the API, the Lambda and its role,
an API key and usage plan bound to the stage, gateway errors that carry the stage's CORS
headers, stage and per-key throttling and a daily quota. Changes go through a change set.
Prints the API URL and how to read the key.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from scripts import api_preflight, checks
from scripts.api_gateway import (
    CHALICE_CONFIG_DIR,
    CHALICE_DIR,
    GatewayConfigError,
    GatewaySettings,
    chalice_app_importable,
    merge_template,
)
from scripts.api_preflight import PreflightFailed, StageTarget
from scripts.aws import AwsClients, project_tags
from scripts.checks import AWS_ERRORS
from scripts.deploy_endpoint import Deployment, ensure_bucket
from scripts.processes import chalice_executable

REPO_ROOT = Path(__file__).resolve().parent.parent
# CloudFormation's limit for a template passed inline.
TEMPLATE_BODY_LIMIT = 51_200
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class DeployFailed(Exception):
    pass


def app_routes() -> dict[str, list[str]]:
    """Paths and methods of app.py (importing it makes no AWS call)."""
    with chalice_app_importable():
        from app import app
    return {path: sorted(methods) for path, methods in app.routes.items()}


def package(stage: str, output: Path, config_dir: Path = CHALICE_CONFIG_DIR) -> Path:
    """``chalice package`` with the gateway template merged in; returns the folder it wrote."""
    settings = GatewaySettings.load(stage, config_dir)
    output.mkdir(parents=True, exist_ok=True)
    merge = output / "gateway-merge.json"
    merge.write_text(json.dumps(merge_template(settings, app_routes()), indent=2))
    target = output / "package"
    finished = subprocess.run(
        [
            chalice_executable(),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge),
            str(target),
        ],
        cwd=CHALICE_DIR,
        # Packaging makes no AWS call; the region only fills ARNs in the template.
        env={**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")},
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise DeployFailed(
            f"chalice package failed: {finished.stderr.strip() or finished.stdout.strip()}"
        )
    return target


def with_code_in_s3(template: dict[str, Any], bucket: str, key: str) -> dict[str, Any]:
    """The template with the Lambda's code read from S3 (what `aws cloudformation package` does)."""
    template["Resources"]["APIHandler"]["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": key}
    return template


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


def preflight(aws: AwsClients, target: StageTarget, reserved_concurrency: int) -> str:
    """Every check that needs AWS but changes nothing; returns the account."""
    api_preflight.check_region(target, aws.region)
    account = str(aws.sts.get_caller_identity()["Account"])
    api_preflight.check_policy(target, aws.region, account)
    api_preflight.check_endpoint_serves(aws.sagemaker, target)
    api_preflight.check_concurrency(aws.lambda_, reserved_concurrency)
    return account


def deploy(args: argparse.Namespace, aws: AwsClients, cfn: Any, out: Callable[[str], None]) -> int:
    stack = f"sagemaker-proxy-{args.stage}"
    try:
        settings = GatewaySettings.load(args.stage, args.chalice_config_dir)
        target = StageTarget.load(args.stage, args.chalice_config_dir)
        account = preflight(aws, target, settings.reserved_concurrency)
        built = package(args.stage, args.build_dir / f"api-{args.stage}", args.chalice_config_dir)
    except (GatewayConfigError, DeployFailed, PreflightFailed) as error:
        out(f"deploy_api failed: {error}")
        return 1
    except AWS_ERRORS as error:
        out(f"deploy_api failed: {checks.one_line(error)}")
        return 1
    zip_bytes = (built / "deployment.zip").read_bytes()
    bucket = args.bucket or f"sagemaker-proxy-{account}-{aws.region}"
    key = f"lambda/{hashlib.sha256(zip_bytes).hexdigest()}.zip"
    out(
        f"{'plan' if args.dry_run else 'deploy'}: stage {args.stage} as stack {stack} in {aws.region}; "
        f"API key {'required' if settings.api_key_required else 'not required'}, "
        f"{settings.rate_limit:g}/s (burst {settings.burst_limit}), {settings.daily_quota}/day per key, "
        f"CORS {settings.cors_origin}, reserved concurrency {settings.reserved_concurrency}"
    )
    run = Deployment(aws, dry_run=args.dry_run, out=out)
    try:
        ensure_bucket(run, bucket, project_tags())
        run.ensure(
            f"s3://{bucket}/{key} ({len(zip_bytes):,} bytes)",
            lambda: _object_exists(aws.s3, bucket, key),
            lambda: aws.s3.put_object(
                Bucket=bucket, Key=key, Body=zip_bytes, ServerSideEncryption="AES256"
            ),
            None,  # content-addressed: harmless to keep, and the stack may already use it
        )
        template = with_code_in_s3(json.loads((built / "sam.json").read_text()), bucket, key)
        body = json.dumps(template)
        if len(body) > TEMPLATE_BODY_LIMIT:
            raise DeployFailed(f"template is {len(body)} bytes, over CloudFormation's inline limit")
        if args.dry_run:
            out(f"  deploy   stack {stack} from {built / 'sam.json'}  (dry run: not deployed)")
            return 0
        result = deploy_stack(cfn, stack, body, project_tags(), out)
    except DeployFailed as error:
        out(f"deploy_api failed: {error}")
        return 1
    except AWS_ERRORS as error:
        out(f"deploy_api failed: {checks.one_line(error)}")
        return 1
    out(f"\nAPI: {result.get('EndpointURL', '?')}")
    if "ApiKeyId" in result:
        out(
            f"API key id: {result['ApiKeyId']}. Its value, to send as x-api-key:\n"
            f"  aws apigateway get-api-key --api-key {result['ApiKeyId']} --include-value "
            "--query value --output text"
        )
    return 0


def _object_exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchBucket"):
            return False
        raise


def delete(stage: str, cfn: Any, out: Callable[[str], None]) -> int:
    stack = f"sagemaker-proxy-{stage}"
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


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.deploy_api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--stage", required=True, help="a stage in gateway.json and config.json")
    parser.add_argument(
        "--region",
        help="AWS region (default: the region scripts.deploy_endpoint recorded for the stage); "
        "must be the endpoint's",
    )
    parser.add_argument(
        "--bucket",
        help="bucket for the Lambda's package (default: sagemaker-proxy-<account>-<region>)",
    )
    parser.add_argument("--dry-run", action="store_true", help="package and describe only")
    parser.add_argument("--delete", action="store_true", help="delete the stage's stack")
    parser.add_argument(
        "--chalice-config-dir", type=Path, default=CHALICE_CONFIG_DIR, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--build-dir", type=Path, default=REPO_ROOT / "build", help=argparse.SUPPRESS
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = parser()
    args = arguments.parse_args(argv)
    if not checks.STAGE.fullmatch(args.stage):
        arguments.error(f"--stage {args.stage!r} is not a stage name")
    try:
        # The stage's endpoint region, unless told otherwise (then the preflight compares them).
        region = args.region or StageTarget.load(args.stage, args.chalice_config_dir).region
        aws = AwsClients.create(region)
        if args.delete:
            return delete(args.stage, aws.cloudformation, print)
        return deploy(args, aws, aws.cloudformation, print)
    except AWS_ERRORS as error:
        print(f"deploy_api failed: {checks.one_line(error)}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
