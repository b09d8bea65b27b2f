"""Deploy build/model.tar.gz to a SageMaker endpoint, then point a Chalice stage at it.

Every step describes before it creates, and every name derives from the artifact's
sha256, so a rerun with the same artifact creates nothing. When a step fails, what this
run created is removed again, newest first; what existed before is left alone.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import botocore.session

from artifacts.binding import BindingError, bound_signature
from lambda_code import signature as sig
from paths import CHALICE_CONFIG_DIR, MODEL_ARTIFACT
from provisioning import checks, stage_config
from provisioning.aws import AwsClients
from provisioning.checks import AWS_ERRORS
from provisioning.endpoint.deploy import Autoscaling, EndpointRequest, deploy_endpoint
from provisioning.endpoint.traffic import TrafficPolicy, TrafficSpecError
from provisioning.images import DEFAULT_XGBOOST_VERSION, UnsupportedVersion, check_xgboost_version
from provisioning.model_registry import (
    GROUP_NAME,
    ModelVersion,
    RegistryRefused,
    chosen_version,
    fetch,
    version_serving,
)
from provisioning.monitoring import EndpointThresholds
from provisioning.naming import Variant
from provisioning.plan import Deployment

# The endpoint's alarm thresholds, as flags: (flag, EndpointThresholds field, what it means).
ALARM_FLAGS = (
    ("--alarm-5xx", "errors_5xx", "alarm when more 5XX errors than this come in a minute"),
    ("--alarm-4xx-rate", "rate_4xx", "alarm above this share of invocations refused by the model"),
    ("--alarm-model-latency-ms", "model_latency_ms", "alarm above this p99 model latency"),
    (
        "--alarm-overhead-latency-ms",
        "overhead_latency_ms",
        "alarm above this p99 SageMaker overhead",
    ),
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.deploy_endpoint", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--endpoint-name", required=True, help="the SageMaker endpoint to create or update"
    )
    p.add_argument(
        "--model",
        type=Path,
        help="the artifact to deploy (default: build/model.tar.gz)",
    )
    registry = p.add_argument_group(
        "from the Model Registry (instead of --model): an approved version, its signature with it"
    )
    registry.add_argument(
        "--model-package-group",
        metavar="GROUP",
        help="deploy the latest approved version of this group (scripts.register_model)",
    )
    registry.add_argument("--version", type=int, help="that version instead (it must be approved)")
    registry.add_argument(
        "--previous",
        action="store_true",
        help="roll back: the latest approved version before the one the endpoint serves",
    )
    p.add_argument(
        "--signature",
        type=Path,
        help="the artifact's signature, which must be made for it (default: beside it, "
        "<name>.signature.json); the stage's proxy validates by it",
    )
    p.add_argument(
        "--bucket",
        help="S3 bucket for the artifact (default: sagemaker-proxy-<account>-<region>, created if missing)",
    )
    p.add_argument(
        "--role-arn",
        help="SageMaker execution role to use (default: create sagemaker-proxy-<endpoint> once)",
    )
    p.add_argument(
        "--region", help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION / profile)"
    )
    p.add_argument(
        "--instance-type", default="ml.m5.large", help="instance type (default: ml.m5.large)"
    )
    p.add_argument(
        "--instance-count", type=int, default=1, help="initial instance count (default: 1)"
    )
    p.add_argument(
        "--serverless-memory",
        type=int,
        choices=[1024, 2048, 3072, 4096, 5120, 6144],
        help="serve serverless with this much memory (MB) instead of instances",
    )
    p.add_argument(
        "--serverless-concurrency",
        type=int,
        default=5,
        help="serverless max concurrency (default: 5)",
    )
    p.add_argument(
        "--image", help="container image URI (default: the built-in XGBoost image for the region)"
    )
    p.add_argument(
        "--xgboost-version",
        default=DEFAULT_XGBOOST_VERSION,
        help=f"built-in XGBoost image version (default: {DEFAULT_XGBOOST_VERSION})",
    )
    p.add_argument(
        "--stage", default="dev", help="Chalice stage to point at the endpoint (default: dev)"
    )
    p.add_argument(
        "--chalice-config-dir",
        type=Path,
        default=CHALICE_CONFIG_DIR,
        help=argparse.SUPPRESS,
    )
    p.add_argument(
        "--wait-minutes", type=int, default=30, help="longest wait for InService (default: 30)"
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="return once the create or update is started (no smoke test)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan; make no change (only describe calls)",
    )
    p.add_argument(
        "--traffic",
        default="canary:10:300",
        help="how an update of a live endpoint shifts traffic, rolled back by the endpoint's "
        "alarms: all-at-once, canary:PERCENT:WAIT_SECONDS or linear:PERCENT:INTERVAL_SECONDS "
        "(default: canary:10:300)",
    )
    defaults = EndpointThresholds()
    for flag, field, what in ALARM_FLAGS:
        default = getattr(defaults, field)
        p.add_argument(flag, type=float, default=default, help=f"{what} (default: {default:g})")
    p.add_argument(
        "--capture-percent",
        type=int,
        default=0,
        help="capture this percent of requests and answers to s3://<bucket>/capture/<endpoint>/ "
        "(default: 0, none); read them with python -m scripts.captured",
    )
    p.add_argument(
        "--keep-configs",
        type=int,
        default=2,
        help="after a deploy that serves, keep this many earlier endpoint configs (and their "
        "models) to go back to, and remove older ones (default: 2; 0 keeps only the one serving)",
    )
    p.add_argument(
        "--break-lock",
        action="store_true",
        help="take the endpoint's lock even from a run that may still be going (one on another "
        "machine that was killed: a run on this machine takes over a dead run's lock by itself)",
    )
    p.add_argument(
        "--autoscale-min", type=int, default=1, help="autoscaling minimum instances (default: 1)"
    )
    p.add_argument(
        "--autoscale-max",
        type=int,
        help="enable target-tracking autoscaling up to this many instances",
    )
    p.add_argument(
        "--target-invocations",
        type=float,
        default=100.0,
        help="target invocations per instance per minute (default: 100)",
    )
    return p


def registry_problem(args: argparse.Namespace) -> str | None:
    if args.model_package_group is None:
        if args.version is not None or args.previous:
            return "--version and --previous go with --model-package-group"
        return None
    if args.model is not None or args.signature is not None:
        return "--model-package-group deploys the version's own artifact: drop --model/--signature"
    if not GROUP_NAME.fullmatch(args.model_package_group):
        return f"--model-package-group {args.model_package_group!r} is not a group name"
    if args.version is not None and args.previous:
        return "--version names a version, --previous finds one: give one of them"
    if args.version is not None and args.version < 1:
        return "--version must be 1 or more"
    if args.image:
        return "--model-package-group deploys the version's own image: drop --image"
    return None


def argument_problem(args: argparse.Namespace) -> str | None:
    """The first problem with the arguments that can be seen without calling AWS, or None."""
    problem = registry_problem(args)
    if problem:
        return problem
    if args.model_package_group is not None:
        # The version's artifact is fetched after the checks that need no AWS.
        return _settings_problem(args, None)
    if args.model is None:
        args.model = MODEL_ARTIFACT
    artifact_problem = checks.artifact(args.model)
    signature: sig.Signature | None = None
    if not artifact_problem:
        try:
            signature = bound_signature(args.model, args.signature)
        except BindingError as error:
            artifact_problem = str(error)
    return artifact_problem or _settings_problem(args, signature)


def _settings_problem(args: argparse.Namespace, signature: sig.Signature | None) -> str | None:
    problems = [
        checks.sagemaker_name(args.endpoint_name, "--endpoint-name"),
        None
        if checks.STAGE.fullmatch(args.stage)
        else f"--stage {args.stage!r} is not a stage name",
        checks.positive(args.instance_count, "--instance-count"),
        checks.positive(args.serverless_concurrency, "--serverless-concurrency"),
        checks.positive(args.wait_minutes, "--wait-minutes"),
        checks.positive(args.autoscale_min, "--autoscale-min"),
        checks.positive(args.target_invocations, "--target-invocations"),
    ]
    if args.autoscale_max is not None:
        problems.append(checks.positive(args.autoscale_max, "--autoscale-max"))
        if args.autoscale_max < args.autoscale_min:
            problems.append("--autoscale-max must be at least --autoscale-min")
        if args.serverless_memory:
            problems.append("autoscaling is for instance endpoints; serverless scales itself")
    if args.image:
        problems.append(checks.image_uri(args.image))
    elif signature is not None:
        try:
            check_xgboost_version(args.xgboost_version, signature.xgboost_version)
        except UnsupportedVersion as error:
            problems.append(str(error))
    try:
        TrafficPolicy.parse(args.traffic)
    except TrafficSpecError as error:
        problems.append(str(error))
    for flag in (
        "alarm_5xx",
        "alarm_4xx_rate",
        "alarm_model_latency_ms",
        "alarm_overhead_latency_ms",
    ):
        value = getattr(args, flag)
        if not math.isfinite(value) or value < 0:
            problems.append(f"--{flag.replace('_', '-')} must be a finite number, 0 or more")
    if not 0 <= args.capture_percent <= 100:
        problems.append("--capture-percent must be 0 to 100")
    if args.keep_configs < 0:
        problems.append("--keep-configs must be 0 or more")
    if checks.STAGE.fullmatch(args.stage):
        try:
            stage_config.StageFiles.read(args.stage, args.chalice_config_dir)
        except ValueError as error:
            problems.append(f"stage {args.stage}: {error}")
    if args.role_arn and not checks.ROLE_ARN.fullmatch(args.role_arn):
        problems.append(f"--role-arn {args.role_arn!r} is not an IAM role ARN")
    if args.bucket and not checks.BUCKET.fullmatch(args.bucket):
        problems.append(f"--bucket {args.bucket!r} is not an S3 bucket name")
    if args.region and args.region not in known_regions():
        problems.append(f"--region {args.region!r} is not a region SageMaker runs in")
    return next((problem for problem in problems if problem), None)


def known_regions() -> set[str]:
    """Every region botocore knows SageMaker in, in every partition."""
    session = botocore.session.get_session()
    return {
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("sagemaker", partition)
    }


def request_from(args: argparse.Namespace, version: ModelVersion | None = None) -> EndpointRequest:
    """The request, once ``argument_problem`` found nothing wrong."""
    autoscaling = None
    if args.autoscale_max:
        autoscaling = Autoscaling(args.autoscale_min, args.autoscale_max, args.target_invocations)
    return EndpointRequest(
        endpoint_name=args.endpoint_name,
        model=args.model,
        signature=bound_signature(args.model, args.signature),
        extra_tags=version.tags() if version else (),
        model_version=f"{version.group}/{version.version}" if version else None,
        stage=args.stage,
        variant=Variant(
            args.instance_type,
            args.instance_count,
            args.serverless_memory,
            args.serverless_concurrency,
        ),
        image=args.image,
        xgboost_version=args.xgboost_version,
        bucket=args.bucket,
        role_arn=args.role_arn,
        wait_minutes=args.wait_minutes,
        wait=not args.no_wait,
        autoscaling=autoscaling,
        traffic=TrafficPolicy.parse(args.traffic),
        thresholds=EndpointThresholds(
            **{field: getattr(args, flag[2:].replace("-", "_")) for flag, field, _ in ALARM_FLAGS}
        ),
        capture_percent=args.capture_percent,
        chalice_config_dir=args.chalice_config_dir,
        break_lock=args.break_lock,
        keep_configs=args.keep_configs,
    )


def main(argv: list[str] | None = None) -> int:
    arguments = parser()
    args = arguments.parse_args(argv)
    try:
        problem = argument_problem(args)
        if problem:
            arguments.error(problem)  # exits 2, before any AWS call
        aws = AwsClients.create(args.region)
        version = _registered_version(args, aws) if args.model_package_group else None
    except KeyboardInterrupt:
        print("INTERRUPTED (SIGINT) before anything was made")
        return 130
    except RegistryRefused as error:
        print(f"REFUSED: {error} (nothing made)")
        return 2
    except AWS_ERRORS as error:
        print(f"FAILED: {checks.one_line(error)}")
        return 1
    return deploy_endpoint(request_from(args, version), aws, Deployment(aws, dry_run=args.dry_run))


def _registered_version(args: argparse.Namespace, aws: AwsClients) -> ModelVersion:
    """The version to deploy, fetched into build/registry/ and checked; its artifact, signature
    and image become the deploy's."""
    group = args.model_package_group
    serving_now = (
        version_serving(aws.sagemaker, args.endpoint_name, group) if args.previous else None
    )
    if args.previous and serving_now is None:
        raise RegistryRefused(f"endpoint {args.endpoint_name} serves no version of {group}")
    version = chosen_version(aws.sagemaker, group, args.version, previous_of=serving_now)
    args.model, signature = fetch(aws.s3, version)
    args.signature = None
    args.image = version.image
    print(
        f"version: {group} {version.version} ({version.status}"
        + (f", replacing {serving_now}" if serving_now else "")
        + f"), {signature.objective}, sha256 {version.sha256[:12]}"
    )
    return version


if __name__ == "__main__":
    sys.exit(main())
