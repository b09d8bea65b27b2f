"""Deploy (or delete) a stage's API: API Gateway + Lambda, with key, usage plan and CORS errors.

    python -m scripts.deploy_api --stage dev [--region R] [--dry-run]
    python -m scripts.deploy_api --stage dev --delete

One CloudFormation stack per stage (``sagemaker-proxy-<stage>``), from ``chalice package``
with the template of ``provisioning.api.gateway`` merged in: the API, the Lambda and its role,
an API key and usage plan bound to the stage, gateway errors that carry the stage's CORS
headers, stage and per-key throttling and a daily quota. Changes go through a change set.
Before anything is created it checks one region and one account end to end, an endpoint
that serves, and room for the reserved concurrency. Prints the API URL and how to read the key.
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before the imports below: a signal in them is one line too (foundation.interrupts says why).
    from foundation.interrupts import one_line_while_starting

    one_line_while_starting("deploy_api")

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from foundation.command_help import ends_with_example
from foundation.interrupts import Interrupted, interruptible, shielded, stops_in_one_line
from foundation.paths import BUILD_DIR, CHALICE_CONFIG_DIR
from provisioning import checks
from provisioning.api.gateway import GatewayConfigError, GatewaySettings
from provisioning.api.package import DeployFailed, package, with_code_in_s3
from provisioning.api.preflight import PreflightFailed, StageTarget, preflight
from provisioning.api.stacks import delete_stack, deploy_stack, stack_status
from provisioning.aws import AwsClients, project_tags
from provisioning.checks import AWS_ERRORS
from provisioning.endpoint.model_resources import ensure_bucket
from provisioning.naming import project_bucket, stack_name
from provisioning.plan import Deployment, exists

# What a signal outside the stack's deploy leaves: at most a change CloudFormation carries on with.
RESUME = "stopped; CloudFormation finishes what it was given; run the same command again"
# CloudFormation's limit for a template passed inline.
TEMPLATE_BODY_LIMIT = 51_200


def deploy(args: argparse.Namespace, aws: AwsClients, cfn: Any, out: Callable[[str], None]) -> int:
    stack = stack_name(args.stage)
    try:
        settings = GatewaySettings.load(args.stage, args.chalice_config_dir)
        if settings.production and settings.only_gate_is_the_api_key and not args.api_key_only:
            out(refusal(args.stage))
            return 2
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
    bucket = args.bucket or project_bucket(account, aws.region)
    key = f"lambda/{hashlib.sha256(zip_bytes).hexdigest()}.zip"
    out(
        f"{'plan' if args.dry_run else 'deploy'}: stage {args.stage} as stack {stack} in {aws.region}; "
        f"sign-in {settings.sign_in()}, "
        f"API key {'required' if settings.api_key_required else 'not required'}, "
        f"{settings.rate_limit:g}/s (burst {settings.burst_limit}), {settings.daily_quota}/day per key, "
        f"CORS {', '.join(settings.cors_origins)}, reserved concurrency {settings.reserved_concurrency}"
    )
    run = Deployment(aws, dry_run=args.dry_run, out=out)
    try:
        ensure_bucket(run, bucket, project_tags())
        run.ensure(
            f"s3://{bucket}/{key} ({len(zip_bytes):,} bytes)",
            lambda: exists(lambda: aws.s3.head_object(Bucket=bucket, Key=key)),
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
        with interruptible():
            result = deploy_stack(cfn, stack, body, project_tags(), out)
    except Interrupted as signal:
        out(interrupted_stack(cfn, stack, signal))
        return signal.exit_code
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


def refusal(stage: str) -> str:
    return (
        f"deploy_api refused: stage {stage} is a production stage (gateway.json) whose only gate "
        "is the API key, which every visitor of a web page that calls it can read. Connect a "
        "sign-in provider (AUTH_MODE in the stage's variables in .chalice/config.json: README, "
        '"Who may call"), or pass --api-key-only (make deploy ALLOW_API_KEY_ONLY=1) to deploy '
        "it anyway."
    )


def interrupted_stack(cfn: Any, stack: str, signal: Interrupted) -> str:
    """What a signal during the stack's deploy leaves: CloudFormation carries on by itself with
    what it was given (and rolls back by itself if that fails), so say where the stack stands."""
    with shielded():
        try:
            status = stack_status(cfn, stack)
        except AWS_ERRORS:
            status = None
    where = f"stack {stack} is {status}" if status else f"stack {stack} was not made"
    return (
        f"INTERRUPTED ({signal.name}): {where}; CloudFormation carries on with what it was "
        "given and rolls back by itself if that fails; run the same command again once it "
        "settles"
    )


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        **ends_with_example("python -m scripts.deploy_api --stage dev --dry-run"),
        prog="python -m scripts.deploy_api",
        description=__doc__,
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
        "--api-key-only",
        action="store_true",
        help="deploy a production stage (gateway.json) even though its only gate is the API key; "
        "without it such a stage is refused",
    )
    parser.add_argument(
        "--chalice-config-dir", type=Path, default=CHALICE_CONFIG_DIR, help=argparse.SUPPRESS
    )
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR, help=argparse.SUPPRESS)
    return parser


@stops_in_one_line(lambda stop: f"INTERRUPTED ({stop.name}): {RESUME}")
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
            return delete_stack(aws.cloudformation, stack_name(args.stage), print)
        return deploy(args, aws, aws.cloudformation, print)
    except AWS_ERRORS as error:
        print(f"deploy_api failed: {checks.one_line(error)}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
