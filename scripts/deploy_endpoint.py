"""Deploy build/model.tar.gz to a SageMaker endpoint, then point a Chalice stage at it.

Every step describes before it creates, and every name derives from the artifact's
sha256, so a rerun with the same artifact creates nothing. When a step fails, what this
run created is removed again, newest first; what existed before is left alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
from botocore.exceptions import ClientError

from scripts import checks, stage_config
from scripts.aws import (
    TRANSITIONAL_STATUSES,
    VARIANT_NAME,
    AwsClients,
    is_missing,
    is_ours,
    project_tags,
)
from scripts.checks import AWS_ERRORS
from scripts.images import (
    DEFAULT_XGBOOST_VERSION,
    UnsupportedRegion,
    UnsupportedVersion,
    check_xgboost_version,
    xgboost_image_uri,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO_ROOT / "build" / "model.tar.gz"
# The first Iris row: setosa, the first class, for any model trained by scripts.train_model.
SMOKE_TEST_ROW = "5.1,3.5,1.4,0.2"
SMOKE_TEST_CLASS = 0
ROLE_POLICY_NAME = "sagemaker-proxy-model-access"
SAGEMAKER_NAME_LIMIT = 63


class StepFailed(Exception):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


@dataclass(frozen=True)
class Variant:
    """What serves the model: instances, or serverless memory and concurrency."""

    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    serverless_memory: int | None = None
    serverless_concurrency: int = 5

    @property
    def serverless(self) -> bool:
        return self.serverless_memory is not None

    def production_variant(self, model_name: str) -> dict[str, Any]:
        variant: dict[str, Any] = {"VariantName": VARIANT_NAME, "ModelName": model_name}
        if self.serverless:
            variant["ServerlessConfig"] = {
                "MemorySizeInMB": self.serverless_memory,
                "MaxConcurrency": self.serverless_concurrency,
            }
        else:
            variant["InstanceType"] = self.instance_type
            variant["InitialInstanceCount"] = self.instance_count
        return variant


@dataclass(frozen=True)
class Names:
    endpoint: str
    bucket: str
    key: str
    role: str
    model: str
    endpoint_config: str

    @classmethod
    def derive(
        cls,
        endpoint: str,
        sha256: str,
        account: str,
        region: str,
        bucket: str | None,
        variant: Variant,
        image: str,
    ) -> Names:
        stem = endpoint[: SAGEMAKER_NAME_LIMIT - 21]
        model = f"{stem}-{sha256[:12]}"
        spec = json.dumps([image, variant.production_variant(model)], sort_keys=True)
        return cls(
            endpoint=endpoint,
            bucket=bucket or f"sagemaker-proxy-{account}-{region}",
            key=f"models/{sha256}/model.tar.gz",
            role=f"sagemaker-proxy-{endpoint}"[:64],
            model=f"{model}-{hashlib.sha256(image.encode()).hexdigest()[:4]}"[
                :SAGEMAKER_NAME_LIMIT
            ],
            endpoint_config=f"{model}-{hashlib.sha256(spec.encode()).hexdigest()[:6]}",
        )


def execution_role_policy(names: Names, region: str, account: str, image: str) -> dict[str, Any]:
    """Least privilege for the model: read its artifact's prefix, write its logs, pull its image."""
    image_account, _, rest = image.partition(".dkr.ecr.")
    repository = rest.split("/", 1)[1].split(":", 1)[0].split("@", 1)[0]
    prefix = names.key.rsplit("/", 1)[0]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{names.bucket}/{prefix}/*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                "Resource": f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{names.endpoint}:*",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchCheckLayerAvailability",
                ],
                "Resource": f"arn:aws:ecr:{region}:{image_account}:repository/{repository}",
            },
            # GetAuthorizationToken has no resource to scope it to.
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        ],
    }


def sagemaker_trust_policy(account: str) -> dict[str, Any]:
    """SageMaker may assume the role, on behalf of this account only (the confused-deputy
    guard AWS recommends: aws:SourceAccount, IAM User Guide, "The confused deputy problem")."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }
        ],
    }


def with_grants(current: dict[str, Any] | None, wanted: dict[str, Any]) -> dict[str, Any]:
    """``current`` with ``wanted``'s statements added, none taken away: a live config of the
    endpoint may still use an earlier artifact or image, and an instance that autoscaling or a
    replacement starts must still be able to read it."""
    statements = list(current["Statement"]) if current else []
    statements += [statement for statement in wanted["Statement"] if statement not in statements]
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class Deployment:
    """One run of the deploy: the plan it prints and the undo steps for what it created."""

    aws: AwsClients
    dry_run: bool = False
    out: Callable[[str], None] = print
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    undo: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)

    def ensure(
        self,
        what: str,
        exists: Callable[[], bool],
        create: Callable[[], Any],
        remove: Callable[[], Any] | None,
    ) -> bool:
        """Create ``what`` unless it exists; return True when this run created it (or would)."""
        if exists():
            self.out(f"  exists   {what}")
            return False
        if self.dry_run:
            self.out(f"  create   {what}  (dry run: not created)")
            return True
        create()
        self.out(f"  created  {what}")
        if remove is not None:
            self.undo.append((what, remove))
        return True

    def roll_back(self) -> None:
        for what, remove in reversed(self.undo):
            try:
                remove()
                self.out(f"  removed  {what}")
            except AWS_ERRORS as error:
                self.out(f"  could not remove {what}: {checks.one_line(error)}")
        self.undo.clear()


def _exists(call: Callable[[], Any]) -> bool:
    try:
        call()
        return True
    except ClientError as error:
        if is_missing(error):
            return False
        raise


def ensure_bucket(run: Deployment, bucket: str, tags: list[dict[str, str]]) -> None:
    """The project's bucket (artifacts, and the Lambda's package): private and encrypted."""
    s3 = run.aws.s3

    def create() -> None:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if run.aws.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": run.aws.region}
        s3.create_bucket(**kwargs)
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags[:1]})

    run.ensure(
        f"s3://{bucket} (encrypted, public access blocked)",
        lambda: _exists(lambda: s3.head_bucket(Bucket=bucket)),
        create,
        lambda: s3.delete_bucket(Bucket=bucket),
    )


def ensure_artifact(
    run: Deployment, names: Names, artifact: bytes, tags: list[dict[str, str]]
) -> None:
    s3 = run.aws.s3
    run.ensure(
        f"s3://{names.bucket}/{names.key}",
        lambda: _exists(lambda: s3.head_object(Bucket=names.bucket, Key=names.key)),
        lambda: s3.put_object(
            Bucket=names.bucket,
            Key=names.key,
            Body=artifact,
            ServerSideEncryption="AES256",
            Tagging="&".join(f"{t['Key']}={t['Value']}" for t in tags),
        ),
        lambda: s3.delete_object(Bucket=names.bucket, Key=names.key),
    )


def ensure_role(
    run: Deployment, names: Names, policy: dict[str, Any], tags: list[dict[str, str]], account: str
) -> str:
    iam = run.aws.iam

    def remove() -> None:
        iam.delete_role_policy(RoleName=names.role, PolicyName=ROLE_POLICY_NAME)
        iam.delete_role(RoleName=names.role)

    run.ensure(
        f"IAM role {names.role}",
        lambda: _exists(lambda: iam.get_role(RoleName=names.role)),
        lambda: iam.create_role(
            RoleName=names.role,
            AssumeRolePolicyDocument=json.dumps(sagemaker_trust_policy(account)),
            Description="SageMaker execution role for the sagemaker-proxy model",
            Tags=tags[:1],
        ),
        remove,
    )
    try:
        current = iam.get_role_policy(RoleName=names.role, PolicyName=ROLE_POLICY_NAME)[
            "PolicyDocument"
        ]
        current = json.loads(current) if isinstance(current, str) else current
    except ClientError as error:
        if not is_missing(error):
            raise
        current = None
    granted = with_grants(current, policy)
    if current != granted:
        if run.dry_run:
            run.out(
                f"  grant    {ROLE_POLICY_NAME} of {names.role}: this artifact and image  (dry run)"
            )
        else:
            iam.put_role_policy(
                RoleName=names.role, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(granted)
            )
            run.out(f"  granted  {ROLE_POLICY_NAME} of {names.role}: this artifact and image")
            if current is not None:  # a new role's policy goes with the role
                previous = json.dumps(current)
                run.undo.append(
                    (
                        f"grants added to {names.role} (restored as they were)",
                        lambda: iam.put_role_policy(
                            RoleName=names.role,
                            PolicyName=ROLE_POLICY_NAME,
                            PolicyDocument=previous,
                        ),
                    )
                )
    if run.dry_run and current is None:
        return f"arn:aws:iam::<account>:role/{names.role}"
    return str(iam.get_role(RoleName=names.role)["Role"]["Arn"])


def create_model_when_role_is_ready(
    run: Deployment, request: dict[str, Any], attempts: int = 6
) -> None:
    """A new IAM role takes a few seconds to become assumable by SageMaker."""
    for attempt in range(1, attempts + 1):
        try:
            run.aws.sagemaker.create_model(**request)
            return
        except ClientError as error:
            message = error.response.get("Error", {}).get("Message", "")
            if attempt == attempts or "assume" not in message.lower():
                raise
            run.sleep(10)


def ensure_model_and_config(
    run: Deployment,
    names: Names,
    image: str,
    role_arn: str,
    variant: Variant,
    tags: list[dict[str, str]],
) -> None:
    sm = run.aws.sagemaker
    run.ensure(
        f"model {names.model} ({image})",
        lambda: _exists(lambda: sm.describe_model(ModelName=names.model)),
        lambda: create_model_when_role_is_ready(
            run,
            {
                "ModelName": names.model,
                "PrimaryContainer": {
                    "Image": image,
                    "ModelDataUrl": f"s3://{names.bucket}/{names.key}",
                },
                "ExecutionRoleArn": role_arn,
                "Tags": tags,
            },
        ),
        lambda: sm.delete_model(ModelName=names.model),
    )
    run.ensure(
        f"endpoint config {names.endpoint_config}",
        lambda: _exists(
            lambda: sm.describe_endpoint_config(EndpointConfigName=names.endpoint_config)
        ),
        lambda: sm.create_endpoint_config(
            EndpointConfigName=names.endpoint_config,
            ProductionVariants=[variant.production_variant(names.model)],
            Tags=tags,
        ),
        lambda: sm.delete_endpoint_config(EndpointConfigName=names.endpoint_config),
    )


def blue_green(wait_minutes: int) -> dict[str, Any]:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
            "TerminationWaitInSeconds": 120,
            "MaximumExecutionTimeoutInSeconds": max(600, wait_minutes * 60),
        }
    }


def ensure_endpoint(
    run: Deployment, names: Names, variant: Variant, tags: list[dict[str, str]], wait_minutes: int
) -> bool:
    """Create the endpoint, or update it to the new config. True when anything changed."""
    sm = run.aws.sagemaker
    try:
        current = sm.describe_endpoint(EndpointName=names.endpoint)
    except ClientError as error:
        if not is_missing(error):
            raise
        current = None
    if current is None:
        return run.ensure(
            f"endpoint {names.endpoint}",
            lambda: False,
            lambda: sm.create_endpoint(
                EndpointName=names.endpoint, EndpointConfigName=names.endpoint_config, Tags=tags
            ),
            lambda: sm.delete_endpoint(EndpointName=names.endpoint),
        )
    if current["EndpointConfigName"] == names.endpoint_config:
        run.out(
            f"  exists   endpoint {names.endpoint} on {names.endpoint_config} ({current['EndpointStatus']})"
        )
        return False
    if not is_ours(sm.list_tags(ResourceArn=current["EndpointArn"]).get("Tags", [])):
        raise StepFailed(
            "endpoint", f"{names.endpoint} exists and was not made by this project; not touching it"
        )
    if current["EndpointStatus"] in TRANSITIONAL_STATUSES:
        raise StepFailed(
            "endpoint",
            f"{names.endpoint} is {current['EndpointStatus']}; try again when it settles",
        )
    if run.dry_run:
        run.out(
            f"  update   endpoint {names.endpoint}: {current['EndpointConfigName']} -> {names.endpoint_config}  (dry run)"
        )
        return True
    request: dict[str, Any] = {
        "EndpointName": names.endpoint,
        "EndpointConfigName": names.endpoint_config,
    }
    if not variant.serverless:  # blue/green is for instance endpoints
        request["DeploymentConfig"] = blue_green(wait_minutes)
    sm.update_endpoint(**request)
    run.out(
        f"  updated  endpoint {names.endpoint}: {current['EndpointConfigName']} -> {names.endpoint_config} (blue/green)"
    )
    return True


def wait_until_settled(
    run: Deployment, names: Names, wait_minutes: int, poll_seconds: float = 15.0
) -> dict[str, Any]:
    """Poll DescribeEndpoint with a progress line (boto3's waiter shows none), up to a bound."""
    started = run.clock()
    deadline = started + wait_minutes * 60
    while True:
        endpoint = run.aws.sagemaker.describe_endpoint(EndpointName=names.endpoint)
        status = endpoint["EndpointStatus"]
        run.out(f"  waiting  {names.endpoint}: {status} after {run.clock() - started:.0f} s")
        if status not in TRANSITIONAL_STATUSES:
            return dict(endpoint)
        if run.clock() >= deadline:
            raise StepFailed("wait", f"still {status} after {wait_minutes} min")
        run.sleep(poll_seconds)


def check_serving(endpoint: dict[str, Any], names: Names) -> None:
    reason = endpoint.get("FailureReason")
    if endpoint["EndpointStatus"] != "InService":
        raise StepFailed(
            "wait", f"endpoint is {endpoint['EndpointStatus']}: {reason or 'no reason given'}"
        )
    if endpoint["EndpointConfigName"] != names.endpoint_config:
        raise StepFailed(
            "wait",
            f"endpoint serves {endpoint['EndpointConfigName']}, not {names.endpoint_config}: {reason or 'rolled back'}",
        )
    if reason:
        raise StepFailed("wait", f"endpoint is InService but reports: {reason}")


def smoke_test(run: Deployment, names: Names) -> str:
    """Invoke the endpoint as the proxy will, and check the answer the way the proxy reads it:
    one row of scores that sum to 1, the known row getting its known class."""
    response = run.aws.runtime.invoke_endpoint(
        EndpointName=names.endpoint,
        Body=SMOKE_TEST_ROW,
        ContentType="text/csv",
        Accept="application/json",
    )
    text = response["Body"].read().decode(errors="replace")
    try:
        rows = [row["score"] for row in json.loads(text)["predictions"]]
        scores = [float(score) for score in rows[0]]
    except (ValueError, KeyError, TypeError, IndexError):
        raise StepFailed(
            "smoke test", f"the answer is not the JSON the proxy reads: {text[:200]}"
        ) from None
    if len(rows) != 1 or abs(sum(scores) - 1) > 1e-3 or not all(0 <= s <= 1 for s in scores):
        raise StepFailed("smoke test", f"the answer is not one row of probabilities: {text[:200]}")
    if scores.index(max(scores)) != SMOKE_TEST_CLASS:
        raise StepFailed(
            "smoke test", f"row {SMOKE_TEST_ROW} should be class {SMOKE_TEST_CLASS}: {text[:200]}"
        )
    return text


def ensure_autoscaling(
    run: Deployment, names: Names, minimum: int, maximum: int, target: float
) -> None:
    resource = f"endpoint/{names.endpoint}/variant/{VARIANT_NAME}"
    if run.dry_run:
        run.out(
            f"  scale    {resource}: {minimum}..{maximum} instances at {target:g} invocations/instance/min  (dry run)"
        )
        return
    run.aws.autoscaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=minimum,
        MaxCapacity=maximum,
    )
    run.aws.autoscaling.put_scaling_policy(
        PolicyName=f"{names.endpoint}-invocations",
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
    )
    run.out(
        f"  scaled   {resource}: {minimum}..{maximum} instances at {target:g} invocations/instance/min"
    )


def deploy(args: argparse.Namespace, aws: AwsClients, run: Deployment) -> int:
    artifact = args.model.read_bytes()
    sha256 = hashlib.sha256(artifact).hexdigest()
    try:
        image = args.image or xgboost_image_uri(aws.region, args.xgboost_version)
        account = aws.sts.get_caller_identity()["Account"]
    except UnsupportedRegion as error:
        return fail(run, "image", str(error))
    except AWS_ERRORS as error:
        return fail(run, "account", checks.one_line(error))
    variant = Variant(
        args.instance_type, args.instance_count, args.serverless_memory, args.serverless_concurrency
    )
    names = Names.derive(
        args.endpoint_name, sha256, account, aws.region, args.bucket, variant, image
    )
    tags = project_tags(sha256)
    run.out(
        f"{'plan' if args.dry_run else 'deploy'}: {args.model} (sha256 {sha256[:12]}) to {names.endpoint} in {aws.region}"
    )

    step = "upload"
    try:
        ensure_bucket(run, names.bucket, tags)
        ensure_artifact(run, names, artifact, tags)
        step = "role"
        role_arn = args.role_arn or ensure_role(
            run, names, execution_role_policy(names, aws.region, account, image), tags, account
        )
        step = "model"
        ensure_model_and_config(run, names, image, role_arn, variant, tags)
        step = "endpoint"
        ensure_endpoint(run, names, variant, tags, args.wait_minutes)
        if args.dry_run:
            run.out(
                f"  write    stage {args.stage}: SAGEMAKER_ENDPOINT_NAME and policy-{args.stage}.json  (dry run)"
            )
            return 0
        if not args.no_wait:
            step = "wait"
            check_serving(wait_until_settled(run, names, args.wait_minutes), names)
            step = "smoke test"
            run.out(f"  answer   {SMOKE_TEST_ROW} -> {smoke_test(run, names)}")
        if args.autoscale_max:
            step = "autoscaling"
            ensure_autoscaling(
                run, names, args.autoscale_min, args.autoscale_max, args.target_invocations
            )
    except StepFailed as failure:
        return fail(run, failure.step, failure.reason)
    except AWS_ERRORS as error:
        return fail(run, step, checks.one_line(error))
    for path in stage_config.point_stage_at_endpoint(
        args.stage, names.endpoint, aws.region, account, args.chalice_config_dir
    ):
        run.out(f"  wrote    {path}")
    run.out(f"next: make deploy STAGE={args.stage}")
    return 0


def fail(run: Deployment, step: str, reason: str) -> int:
    run.out(f"FAILED at {step}: {reason}")
    if run.undo:
        run.out("rolling back what this run created:")
        run.roll_back()
    return 1


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
        default=DEFAULT_MODEL,
        help="the artifact to deploy (default: build/model.tar.gz)",
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
        default=stage_config.CHALICE_CONFIG_DIR,
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


def argument_problem(args: argparse.Namespace) -> str | None:
    """The first problem with the arguments that can be seen without calling AWS, or None."""
    problems = [
        checks.sagemaker_name(args.endpoint_name, "--endpoint-name"),
        checks.artifact(args.model),
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
    else:
        try:
            check_xgboost_version(args.xgboost_version, _artifact_xgboost(args.model))
        except UnsupportedVersion as error:
            problems.append(str(error))
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


def _artifact_xgboost(model: Path) -> str:
    """The XGBoost that trained the artifact: its metadata beside it, else the proxy's copy."""
    for path in (model.with_name("model-metadata.json"), stage_config.LAMBDA_METADATA):
        if path.is_file():
            return str(json.loads(path.read_text())["xgboost_version"])
    return "0.0"


def main(argv: list[str] | None = None) -> int:
    arguments = parser()
    args = arguments.parse_args(argv)
    problem = argument_problem(args)
    if problem:
        arguments.error(problem)  # exits 2, before any AWS call
    try:
        aws = AwsClients.create(args.region)
    except AWS_ERRORS as error:
        print(f"FAILED: {checks.one_line(error)}")
        return 1
    return deploy(args, aws, Deployment(aws, dry_run=args.dry_run))


if __name__ == "__main__":
    sys.exit(main())
