"""scripts.deploy_endpoint's arguments: checked before any AWS call, the stage reviewed (its API
and body limit) before anything is made, and the request the deploy runs made of them."""

from __future__ import annotations

import argparse
import math

import botocore.session

from artifacts.binding import BindingError, bound_signature
from foundation.images import UnsupportedVersion, check_xgboost_version
from foundation.lambda_code import signature as sig
from foundation.paths import MODEL_ARTIFACT
from provisioning import checks, stage_config
from provisioning.endpoint.deploy import Autoscaling, EndpointRequest
from provisioning.endpoint.traffic import TrafficPolicy, TrafficSpecError
from provisioning.model_registry import GROUP_NAME, ModelVersion
from provisioning.monitoring import EndpointThresholds
from provisioning.naming import Variant
from provisioning.stage_review import StageReview, review_stage, stage_numbers_problem

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
            problems.append(stage_numbers_problem(args.stage, args.chalice_config_dir))
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


def request_from(
    args: argparse.Namespace,
    version: ModelVersion | None = None,
    review: StageReview | None = None,
) -> EndpointRequest:
    """The request, once ``argument_problem`` found nothing wrong; ``review``: the stage's, from
    ``review_of`` (its raised MAX_BODY_BYTES goes into the stage)."""
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
        max_body_bytes=review.max_body_bytes if review else None,
    )


def review_of(args: argparse.Namespace, signature: sig.Signature | None = None) -> StageReview:
    """What the deploy does to the stage's API and body limit, printed and kept on ``args``;
    ContractRefused when the API changes and ``--accept-signature-change`` was not given.
    ``signature``: the new model's (default: the bound artifact's)."""
    review = review_stage(
        args.stage,
        args.chalice_config_dir,
        signature or bound_signature(args.model, args.signature),
        args.accept_signature_change,
        args.serverless_memory is not None,
    )
    for line in review.lines():
        print(line)
    args.review = review
    return review
