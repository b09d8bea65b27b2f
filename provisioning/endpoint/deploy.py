"""Deploy an artifact to a SageMaker endpoint, then point a Chalice stage at it: the steps in
order, with plain arguments (``EndpointRequest``), whatever command or test calls them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from foundation.images import DEFAULT_XGBOOST_VERSION, UnsupportedRegion, xgboost_image_uri
from foundation.interrupts import Interrupted, interruptible, shielded
from foundation.lambda_code import signature as sig
from foundation.paths import CHALICE_CONFIG_DIR
from provisioning import checks, stage_config
from provisioning.aws import AwsClients, project_tags
from provisioning.checks import AWS_ERRORS
from provisioning.endpoint.alarms import ensure_endpoint_alarms, firing
from provisioning.endpoint.model_resources import (
    ensure_artifact,
    ensure_bucket,
    ensure_model_and_config,
    ensure_role,
)
from provisioning.endpoint.pruning import prune_old_configs
from provisioning.endpoint.rollout import (
    check_serving,
    ensure_autoscaling,
    ensure_endpoint,
    smoke_test,
    wait_until_settled,
)
from provisioning.endpoint.traffic import TrafficPolicy, deployment_config
from provisioning.iam_documents import execution_role_policy
from provisioning.monitoring import EndpointThresholds
from provisioning.naming import Names, Variant
from provisioning.plan import Deployment, StepFailed, fail, interrupted
from provisioning.run_lock import EndpointLock, LockHeld, holding


@dataclass(frozen=True)
class Autoscaling:
    minimum: int
    maximum: int
    target_invocations: float


@dataclass(frozen=True)
class EndpointRequest:
    """What to deploy, and where to record it."""

    endpoint_name: str
    model: Path
    # The artifact's signature, checked against it: the smoke test's row and the stage's copy.
    signature: sig.Signature
    stage: str = "dev"
    variant: Variant = field(default_factory=Variant)
    image: str | None = None
    xgboost_version: str = DEFAULT_XGBOOST_VERSION
    bucket: str | None = None
    role_arn: str | None = None
    wait_minutes: int = 30
    wait: bool = True
    autoscaling: Autoscaling | None = None
    traffic: TrafficPolicy = field(default_factory=TrafficPolicy)
    thresholds: EndpointThresholds = field(default_factory=EndpointThresholds)
    # Percent of requests captured to s3://<bucket>/capture/<endpoint>/; 0: none.
    capture_percent: int = 0
    chalice_config_dir: Path = CHALICE_CONFIG_DIR
    # Take the endpoint's lock whoever holds it.
    break_lock: bool = False
    # Earlier endpoint configs (and their models) kept after a deploy; older ones are removed.
    keep_configs: int = 2
    # A Model Registry version's tags for what the deploy makes, and its "<group>/<version>".
    extra_tags: tuple[dict[str, str], ...] = ()
    model_version: str | None = None
    # The stage's MAX_BODY_BYTES, when the deploy raises it for the model's full batch.
    max_body_bytes: int | None = None


# How long a deploy's lock lasts beyond its longest wait: past it, another run may take over.
LOCK_MARGIN_MINUTES = 30


AGAIN = "the same command deploys again"


@dataclass
class Progress:
    """The step a run is in, and whether the endpoint serves what it deployed: what it says
    when it fails or is stopped."""

    step: str
    serving: bool = False


def deploy_endpoint(request: EndpointRequest, aws: AwsClients, run: Deployment) -> int:
    """Exit code: 0 when the endpoint serves the artifact (or the dry run's plan is printed);
    1 when a step failed (after the rollback), 128 + the signal when one stopped the run.
    A signal is caught from the first line to the last (the command's main adds the moments
    before and after)."""
    progress = Progress("account")
    try:
        with interruptible():
            return _deploy(request, aws, run, progress)
    except Interrupted as signal:  # outside the lock: nothing of this run's is under way
        return _stopped(run, progress, signal)


def _stopped(run: Deployment, progress: Progress, signal: Interrupted) -> int:
    if not progress.serving:
        return interrupted(run, progress.step, signal, AGAIN)
    run.out(
        f"INTERRUPTED ({signal.name}) at {progress.step}: the endpoint has the new model "
        "(nothing to roll back); the same command finishes the rest"
    )
    return signal.exit_code


def _deploy(request: EndpointRequest, aws: AwsClients, run: Deployment, progress: Progress) -> int:
    artifact = request.model.read_bytes()
    sha256 = hashlib.sha256(artifact).hexdigest()
    try:
        image = request.image or xgboost_image_uri(aws.region, request.xgboost_version)
        account = str(aws.sts.get_caller_identity()["Account"])
    except UnsupportedRegion as error:
        return fail(run, "image", str(error))
    except AWS_ERRORS as error:
        return fail(run, "account", checks.one_line(error))
    names = Names.derive(
        request.endpoint_name,
        sha256,
        account,
        aws.region,
        request.bucket,
        request.variant,
        image,
        request.capture_percent,
    )
    verb = "plan" if run.dry_run else "deploy"
    run.out(f"{verb}: {request.model} (sha256 {sha256[:12]}) to {names.endpoint} in {aws.region}")
    progress.step = "upload"

    def steps() -> int:
        return _undone_on_failure(
            run,
            progress,
            lambda: _steps(request, aws, run, names, image, account, artifact, progress),
        )

    try:
        ensure_bucket(run, names.bucket, project_tags(), project_bucket=request.bucket is None)
        if run.dry_run:
            return steps()
        lock = EndpointLock(
            aws.s3,
            names.bucket,
            names.endpoint,
            "deploy_endpoint",
            request.wait_minutes + LOCK_MARGIN_MINUTES,
        )
        progress.step = "lock"
        with holding(lock, request.break_lock, run.out):
            code = steps()
    except LockHeld as held:
        return fail(run, "lock", str(held))
    except AWS_ERRORS as error:  # the bucket, or taking the lock: before anything under it
        return fail(run, progress.step, checks.one_line(error))
    if code != 0:
        return code
    progress.step = f"stage {request.stage}"
    return _point_stage(request, run, names, account, aws.region)


def _undone_on_failure(run: Deployment, progress: Progress, steps: Callable[[], int]) -> int:
    """Run ``steps``; on a failure or a signal, undo what they made, said in one line. Called
    inside the endpoint's lock, so that no other run takes it before the undo is done."""
    try:
        return steps()
    except Interrupted as signal:
        with shielded():  # a second signal cannot move the undo out of the lock
            return _stopped(run, progress, signal)
    except StepFailed as failure:
        with shielded():
            return fail(run, failure.step, failure.reason)
    except AWS_ERRORS as error:
        with shielded():
            return fail(run, progress.step, checks.one_line(error))


def _steps(
    request: EndpointRequest,
    aws: AwsClients,
    run: Deployment,
    names: Names,
    image: str,
    account: str,
    artifact: bytes,
    progress: Progress,
) -> int:
    """Every step after the bucket, in order; raises what stops them."""
    sha256 = hashlib.sha256(artifact).hexdigest()
    tags = project_tags(sha256, names.endpoint) + list(request.extra_tags)
    progress.step = "upload"
    ensure_artifact(run, names, artifact, tags[:2])
    progress.step = "role"
    policy = execution_role_policy(
        names, aws.region, account, image, capture=request.capture_percent > 0
    )
    role_arn = request.role_arn or ensure_role(run, names, policy, tags, account)
    progress.step = "model"
    ensure_model_and_config(
        run, names, image, role_arn, request.variant, tags, request.capture_percent
    )
    if request.extra_tags and not run.dry_run:
        # A model made before for the same artifact gets the version's tags too.
        model_arn = aws.sagemaker.describe_model(ModelName=names.model)["ModelArn"]
        aws.sagemaker.add_tags(ResourceArn=model_arn, Tags=list(request.extra_tags))
    progress.step = "alarms"
    alarms = ensure_endpoint_alarms(run, names.endpoint, request.thresholds, tags)
    progress.step = "endpoint"
    rollout = deployment_config(request.traffic, alarms, request.wait_minutes)
    ensure_endpoint(run, names, request.variant, tags, request.wait_minutes, rollout)
    if run.dry_run:
        run.out(
            f"  write    stage {request.stage}: SAGEMAKER_ENDPOINT_NAME, SAGEMAKER_REGION, "
            f"MODEL_SIGNATURE{', MAX_BODY_BYTES' if request.max_body_bytes else ''}, "
            f"signatures/{request.stage}.json and policy-{request.stage}.json  (dry run)"
        )
        return 0
    if request.wait:
        progress.step = "wait"
        settled = wait_until_settled(run, names, request.wait_minutes)
        if settled["EndpointConfigName"] != names.endpoint_config:
            fired = firing(aws, alarms)
            reason = settled.get("FailureReason") or "no reason given"
            raise StepFailed(
                "wait",
                f"SageMaker rolled back to {settled['EndpointConfigName']}: {reason}"
                + (f" (alarm {', '.join(fired)})" if fired else ""),
            )
        check_serving(settled, names)
        progress.step = "smoke test"
        run.out(f"  answer   {smoke_test(run, names, request.signature)}")
    if request.autoscaling:
        progress.step = "autoscaling"
        scaling = request.autoscaling
        ensure_autoscaling(run, names, scaling.minimum, scaling.maximum, scaling.target_invocations)
    # The endpoint serves: what this run made is no longer to be undone.
    run.undo.clear()
    run.kept.clear()
    progress.serving = True
    if request.extra_tags:
        # An endpoint updated in place keeps the tags it was created with: the version now.
        endpoint_arn = aws.sagemaker.describe_endpoint(EndpointName=names.endpoint)["EndpointArn"]
        aws.sagemaker.add_tags(ResourceArn=endpoint_arn, Tags=list(request.extra_tags))
    if request.wait:
        progress.step = "clean up"
        prune_old_configs(
            run, names, request.keep_configs, request.role_arn is None, aws.region, account
        )
    return 0


def _point_stage(
    request: EndpointRequest, run: Deployment, names: Names, account: str, region: str
) -> int:
    """Write the stage's files; the endpoint serves whatever happens here, so a failure is
    said, not rolled back: a rerun writes them."""
    try:
        written = stage_config.point_stage_at_endpoint(
            request.stage,
            names.endpoint,
            region,
            account,
            request.signature,
            request.chalice_config_dir,
            model_version=request.model_version,
            max_body_bytes=request.max_body_bytes,
            artifact=request.model,  # its drift baseline ships with the stage
        )
    except (OSError, ValueError) as error:
        run.out(
            f"FAILED at stage {request.stage}: {error}. The endpoint serves; fix that and rerun "
            "the same command to write the stage"
        )
        return 1
    for path in written:
        run.out(f"  wrote    {path}")
    run.out(f"next: make deploy STAGE={request.stage}")
    return 0
