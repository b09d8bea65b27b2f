"""A SageMaker training job of the built-in XGBoost algorithm: its role, its channels in S3, its
name and request, and its start (or the reuse of one that ran). Every call is boto3's own."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import botocore.session
from botocore.exceptions import ClientError

from provisioning.aws import is_missing, project_tags
from provisioning.checks import IMAGE_URI
from provisioning.endpoint.model_resources import inline_policy
from provisioning.iam_documents import sagemaker_trust_policy, with_grants
from provisioning.naming import SAGEMAKER_NAME_LIMIT
from provisioning.plan import Deployment, exists
from training.job_progress import LOG_GROUP, TrainingFailed, first_line

TRAINING_POLICY_NAME = "sagemaker-proxy-training-access"
DATA_PREFIX = "training-data"
# Where the container keeps checkpoints (train.py:177 at v3.0-5 reads CheckpointConfig.LocalPath).
CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"
# MaxRuntimeInSeconds: at least 1, "The maximum value is 28 days" (service model, API reference).
MAX_RUNTIME = 28 * 24 * 3600
VOLUME_GB = 30
ATTEMPT = re.compile(r"(?P<stem>.*-[0-9a-f]{8}-[0-9a-f]{8})(?:-(?P<attempt>\d+))?")
AES256 = {"ServerSideEncryption": "AES256"}
SHARED_DATA = "named by its content: the next run on the same data uses it"


def _allow(sid: str, action: Any, resource: Any, condition: Any = None) -> dict[str, Any]:
    """Its Sid ends in its hash: merged grants keep Sids unique (IAM JSON reference, "Sid")."""
    allowed = {"Effect": "Allow", "Action": action, "Resource": resource}
    allowed |= {"Condition": condition} if condition else {}
    digest = hashlib.sha256(json.dumps(allowed, sort_keys=True).encode()).hexdigest()[:8]
    return {"Sid": f"{sid}{digest}", **allowed}


def _kms_statement(region: str, account: str, key: str) -> dict[str, Any]:
    """Decrypt the data, encrypt the model: a key id becomes its ARN; an alias is matched by
    kms:ResourceAliases (KMS Developer Guide, "Use aliases to control access to KMS keys")."""
    actions = ["kms:Decrypt", "kms:GenerateDataKey"]
    alias = key.split(":", 5)[-1] if key.startswith("arn:") else key
    if alias.startswith("alias/"):
        condition = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}}
        return _allow("UseTheKey", actions, f"arn:aws:kms:{region}:{account}:key/*", condition)
    arn = key if key.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}"
    return _allow("UseTheKey", actions, arn)


def training_role_policy(
    region: str, account: str, bucket: str, data_prefix: str, output_prefix: str, image_uri: str,
    kms_key: str | None = None, checkpoint_prefix: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Least privilege for a training job's role, from what SageMaker does as it (Developer
    Guide, "How to use SageMaker AI execution roles", CreateTrainingJob API: Execution Role
    Permissions, https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html): read the
    data, write the model and checkpoints under the output prefix and read the checkpoints back
    when a spot job resumes (``checkpoint_prefix``, by default ``<output_prefix>checkpoints/``),
    write logs and metrics, pull the image, and use the KMS key when one is given."""
    image = IMAGE_URI.fullmatch(image_uri)
    if image is None:
        raise ValueError(f"{image_uri!r} is not an ECR image URI")
    data = data_prefix.rstrip("/") + "/"
    output = output_prefix.rstrip("/") + "/"
    checkpoints = (checkpoint_prefix or f"{output}checkpoints/").rstrip("/") + "/"
    group = f"arn:aws:logs:{region}:{account}:log-group:{LOG_GROUP}"
    repository = (
        f"arn:aws:ecr:{image['region']}:{image['account']}:repository/{image['repository']}"
    )
    statements = [
        _allow("ReadTheData", "s3:GetObject", [f"arn:aws:s3:::{bucket}/{data}*",
                                               f"arn:aws:s3:::{bucket}/{checkpoints}*"]),
        _allow("ListTheData", "s3:ListBucket", f"arn:aws:s3:::{bucket}",
               {"StringLike": {"s3:prefix": [f"{data}*", f"{checkpoints}*"]}}),
        _allow("WriteTheModelAndCheckpoints", "s3:PutObject", f"arn:aws:s3:::{bucket}/{output}*"),
        _allow("WriteTheLogs", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                                "logs:DescribeLogStreams"], [group, f"{group}:*"]),
        # PutMetricData takes no resource: the namespace is what narrows it.
        _allow("PublishTheMetrics", "cloudwatch:PutMetricData", "*",
               {"StringEquals": {"cloudwatch:namespace": LOG_GROUP}}),
        _allow("PullTheImage", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                "ecr:BatchCheckLayerAvailability"], repository),
        # GetAuthorizationToken has no resource to scope it to.
        _allow("SignInToEcr", "ecr:GetAuthorizationToken", "*"),
    ]  # fmt: skip
    if kms_key:
        statements.append(_kms_statement(region, account, kms_key))
    return {"Version": "2012-10-17", "Statement": statements}


def ensure_training_role(run: Deployment, role: str, policy: dict[str, Any], account: str) -> str:
    """The training role, made when missing (trusting SageMaker for this account only), with
    ``policy``'s statements added to those it has; its ARN. As model_resources.ensure_role."""
    iam = run.aws.iam
    named = {"RoleName": role, "PolicyName": TRAINING_POLICY_NAME}

    def remove() -> None:
        try:
            iam.delete_role_policy(**named)
        except ClientError as error:
            if not is_missing(error):
                raise
        iam.delete_role(RoleName=role)

    run.ensure(
        f"IAM role {role}",
        lambda: exists(lambda: iam.get_role(RoleName=role)),
        lambda: iam.create_role(
            RoleName=role,
            AssumeRolePolicyDocument=json.dumps(sagemaker_trust_policy(account)),
            Description="SageMaker training jobs of sagemaker-proxy",
            Tags=project_tags()[:1],
        ),
        remove,
    )
    current = inline_policy(iam, role, TRAINING_POLICY_NAME)
    granted = with_grants(current, policy)
    what = f"{TRAINING_POLICY_NAME} of {role}: this data, output and image"
    if current != granted:
        if run.dry_run:
            run.out(f"  grant    {what}  (dry run)")
        else:
            iam.put_role_policy(**named, PolicyDocument=json.dumps(granted))
            run.out(f"  granted  {what}")
            if current is not None:  # a new role's policy goes with the role
                previous = {**named, "PolicyDocument": json.dumps(current)}
                restore = f"grants added to {role} (restored as they were)"
                run.undo.append((restore, lambda: iam.put_role_policy(**previous)))
    if run.dry_run and current is None:
        return f"arn:aws:iam::{account}:role/{role}"
    return str(iam.get_role(RoleName=role)["Role"]["Arn"])


def upload_channels(
    run: Deployment, bucket: str, digest: str, channels: dict[str, Path], kms_key: str | None = None
) -> dict[str, str]:
    """Each channel folder's files to s3://bucket/training-data/<digest[:16]>/<channel>/, but for
    those already there (an object of that key and size); channel -> its S3 prefix."""
    s3 = run.aws.s3
    extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else AES256
    uris: dict[str, str] = {}
    for channel, folder in channels.items():
        prefix = f"{DATA_PREFIX}/{digest[:16]}/{channel}/"
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        there = {item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])}
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            key = prefix + path.name
            present = partial(bool, there.get(key) == path.stat().st_size)
            upload = partial(s3.upload_file, str(path), bucket, key, ExtraArgs=extra)
            run.ensure(f"s3://{bucket}/{key}", present, upload, None, kept_because=SHARED_DATA)
        uris[channel] = f"s3://{bucket}/{prefix}"
    return uris


def job_name(base: str, digest: str, hyperparameters: dict[str, str], attempt: int) -> str:
    """``<base>-<data>-<hyperparameters>[-<attempt>]``: equal inputs, equal name. The base is cut
    to 11 characters: with both hashes and up to 99 attempts, a name fits a tuning job's 32."""
    stem = re.sub(r"[^a-zA-Z0-9-]+", "-", base)[:11].strip("-") or "xgboost"
    values = json.dumps(hyperparameters, sort_keys=True).encode()
    name = f"{stem}-{digest[:8]}-{hashlib.sha256(values).hexdigest()[:8]}"
    name += f"-{attempt}" if attempt > 1 else ""
    return name[:SAGEMAKER_NAME_LIMIT]


def job_stem(name: str) -> str:
    """The name without its attempt: what every attempt of one job shares."""
    parts = ATTEMPT.fullmatch(name)
    return parts["stem"] if parts else name[: SAGEMAKER_NAME_LIMIT - 3]


def next_attempt(name: str) -> str:
    parts = ATTEMPT.fullmatch(name)
    return f"{job_stem(name)}-{int(parts['attempt'] or 1) + 1 if parts else 2}"


def check_job_settings(
    instance_type: str, instance_count: int, max_runtime: int, spot_max_wait: int | None
) -> str | None:
    """What CreateTrainingJob would refuse in these settings, in one line, or None."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    types: list[str] = model.shape_for("TrainingInstanceType").enum
    if instance_type not in types:
        close = difflib.get_close_matches(instance_type, types, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (e.g. ml.m5.large)"
        return f"--instance-type {instance_type} is not a SageMaker training instance type{hint}"
    if instance_count < 1:
        return f"--instance-count must be at least 1, not {instance_count}"
    if not 1 <= max_runtime <= MAX_RUNTIME:
        return f"--max-runtime must be 1 to {MAX_RUNTIME} seconds (28 days), not {max_runtime}"
    if spot_max_wait is not None and spot_max_wait < max_runtime:
        return f"--max-wait ({spot_max_wait} s) must be at least --max-runtime ({max_runtime} s)"
    return None


def training_job_request(
    name: str, image: str, role_arn: str, channels_s3: dict[str, str], output_s3: str,
    hyperparameters: dict[str, str], instance_type: str, instance_count: int, max_runtime: int,
    spot_max_wait: int | None, checkpoint_s3: str | None, kms_key: str | None,
    tags: list[dict[str, str]],
) -> dict[str, Any]:  # fmt: skip
    """CreateTrainingJob's arguments. Checkpoints go to ``<checkpoint_s3>/<name less its
    attempt>/``: no other job reads them. v3.0-5 does not resume from them: callback.py:88-92
    saves with XGBoost's TrainingCheckPoint (``xgboost-checkpoint_0.ubj``, after round 0 only,
    interval=0), which checkpointing.py:149 (``xgboost-checkpoint.<n>``) never loads."""
    order = sorted(channels_s3, key=lambda channel: (channel != "train", channel != "validation"))
    source = {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}
    request: dict[str, Any] = {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": role_arn,
        "InputDataConfig": [
            {"ChannelName": channel,
             "DataSource": {"S3DataSource": {**source, "S3Uri": channels_s3[channel]}},
             "ContentType": "text/csv"}
            for channel in order
        ],
        "OutputDataConfig": {"S3OutputPath": output_s3},
        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": instance_count,
                           "VolumeSizeInGB": VOLUME_GB},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
        "HyperParameters": dict(hyperparameters),  # strings: botocore refuses others
        "Tags": list(tags),
    }  # fmt: skip
    if kms_key:
        request["OutputDataConfig"]["KmsKeyId"] = kms_key
        request["ResourceConfig"]["VolumeKmsKeyId"] = kms_key
    if spot_max_wait is not None:
        request["EnableManagedSpotTraining"] = True
        request["StoppingCondition"]["MaxWaitTimeInSeconds"] = spot_max_wait
    if checkpoint_s3:
        where = f"{checkpoint_s3.rstrip('/')}/{job_stem(name)}/"
        request["CheckpointConfig"] = {"S3Uri": where, "LocalPath": CHECKPOINT_LOCAL_PATH}
    return request


def create_when_role_is_ready(
    create: Callable[[], Any], sleep: Callable[[float], None], attempts: int = 6
) -> None:
    """A new IAM role takes seconds to be assumable: SageMaker says it could not assume it."""
    for attempt in range(1, attempts + 1):
        try:
            create()
            return
        except ClientError as error:
            message = str(error.response.get("Error", {}).get("Message", "")).lower()
            if attempt == attempts or "assume" not in message:
                raise
            sleep(10)


def start_or_reuse(
    sagemaker: Any, request: dict[str, Any], sleep: Callable[[float], None] = time.sleep
) -> tuple[str, str]:
    """Start the job unless it ran: a Completed one is reused, one under way is followed, and
    after a Failed or Stopped one the next attempt starts. (name, what happened)."""
    name = request["TrainingJobName"]
    before = ""
    for _ in range(100):
        try:
            described = sagemaker.describe_training_job(TrainingJobName=name)
        except ClientError as error:
            if not is_missing(error):
                raise
            create = partial(sagemaker.create_training_job, **{**request, "TrainingJobName": name})
            create_when_role_is_ready(create, sleep)
            return name, f"created  training job {name}{before}"
        status = described["TrainingJobStatus"]
        if status == "Completed":
            return name, f"exists   training job {name} (Completed: its model is used, no new job)"
        if status in ("InProgress", "Stopping"):
            return name, f"attach   training job {name} ({status}: followed, no new job)"
        reason = first_line(described.get("FailureReason")) if status == "Failed" else status
        before = f" (attempt {name} {status}: {reason})"
        name = next_attempt(name)
    raise TrainingFailed(name, "has failed 100 attempts: look at their FailureReason")


def model_artifact(s3: Any, description: dict[str, Any]) -> bytes:
    """The job's model.tar.gz, from ModelArtifacts.S3ModelArtifacts."""
    uri = description.get("ModelArtifacts", {}).get("S3ModelArtifacts", "")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not key:
        raise TrainingFailed(description["TrainingJobName"], "has no model artifact in S3")
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
