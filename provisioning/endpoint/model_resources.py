"""What a SageMaker model needs before it exists: the bucket, the artifact in it, the execution
role and its grants; then the model and its endpoint config. Each step describes first."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from provisioning.aws import is_missing
from provisioning.iam_documents import ROLE_POLICY_NAME, sagemaker_trust_policy, with_grants
from provisioning.naming import Names, Variant
from provisioning.plan import Deployment, exists

PUBLIC_ACCESS_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
DEFAULT_ENCRYPTION = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
# Kept by a rollback: every deploy and stage of the account and region shares the bucket, and
# another run may be using it this very moment; it costs nothing empty.
SHARED_BUCKET = "shared by every deploy of this account and region"
# Kept too: named by its content, so another endpoint's model may read the same object.
SHARED_ARTIFACT = "named by its content: another endpoint's model may read it"


def _bucket_settings(
    s3: Any, bucket: str, tags: list[dict[str, str]]
) -> dict[str, Callable[[], Any]]:
    """The settings the project bucket must have, each with the call that gives it, in the
    order they are given: the project tag first (it marks the bucket as the project's)."""
    return {
        "project tag": lambda: s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags[:1]}),
        "public access blocked": lambda: s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCKED
        ),
        "encrypted": lambda: s3.put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration=DEFAULT_ENCRYPTION
        ),
    }


def _read(call: Callable[[], Any], absent: str) -> Any:
    """A bucket setting, or None when S3 says the bucket has none (error code ``absent``)."""
    try:
        return call()
    except ClientError as error:
        if _s3_code(error) != absent:
            raise
        return None


def _missing_settings(s3: Any, bucket: str, tags: list[dict[str, str]]) -> list[str]:
    """Which settings the bucket lacks (a run stopped after CreateBucket leaves it bare)."""
    tagged = _read(lambda: s3.get_bucket_tagging(Bucket=bucket)["TagSet"], "NoSuchTagSet")
    blocked = _read(
        lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
        "NoSuchPublicAccessBlockConfiguration",
    )
    encryption = _read(
        lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"],
        "ServerSideEncryptionConfigurationNotFoundError",
    )
    missing = []
    if tags[0] not in (tagged or []):
        missing.append("project tag")
    if not all((blocked or {}).get(key) for key in PUBLIC_ACCESS_BLOCKED):
        missing.append("public access blocked")
    if not (encryption or {}).get("Rules"):
        missing.append("encrypted")
    return missing


def _s3_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def ensure_bucket(
    run: Deployment, bucket: str, tags: list[dict[str, str]], project_bucket: bool = True
) -> None:
    """The project's bucket (artifacts, locks, the Lambda's packages): private and encrypted. A
    bucket that exists is checked, not trusted: one a stopped run left bare is repaired (the
    project's own; a bucket of yours, named with --bucket, only gets a warning)."""
    s3 = run.aws.s3
    settings = _bucket_settings(s3, bucket, tags)
    described = f"s3://{bucket} ({', '.join(settings)})"
    if exists(lambda: s3.head_bucket(Bucket=bucket)):
        missing = _missing_settings(s3, bucket, tags)
        if not missing:
            run.out(f"  exists   {described}")
        elif run.dry_run:
            run.out(f"  repair   s3://{bucket}: {', '.join(missing)}  (dry run)")
        elif project_bucket or "project tag" not in missing:
            for setting in missing:
                settings[setting]()
            run.out(f"  repaired s3://{bucket}: {', '.join(missing)}")
        else:
            run.out(f"  warning  s3://{bucket} is not the project's: it lacks {', '.join(missing)}")
        return

    def create() -> None:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if run.aws.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": run.aws.region}
        try:
            s3.create_bucket(**kwargs)
        except ClientError as error:
            if _s3_code(error) != "BucketAlreadyOwnedByYou":  # another run made it just now
                raise
        for give in settings.values():
            give()

    run.ensure(described, lambda: False, create, None, kept_because=SHARED_BUCKET)


def ensure_artifact(
    run: Deployment, names: Names, artifact: bytes, tags: list[dict[str, str]]
) -> None:
    """Upload the artifact unless it is there. The upload is conditional (If-None-Match: *): of
    two runs uploading at once, S3 lets one write it and refuses the other, which finds it there."""
    s3 = run.aws.s3

    def upload() -> None:
        try:
            s3.put_object(
                Bucket=names.bucket,
                Key=names.key,
                Body=artifact,
                ServerSideEncryption="AES256",
                Tagging="&".join(f"{t['Key']}={t['Value']}" for t in tags),
                IfNoneMatch="*",
            )
        except ClientError as error:
            if _s3_code(error) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise

    run.ensure(
        f"s3://{names.bucket}/{names.key}",
        lambda: exists(lambda: s3.head_object(Bucket=names.bucket, Key=names.key)),
        upload,
        None,
        kept_because=SHARED_ARTIFACT,
    )


def inline_policy(iam: Any, role: str, name: str) -> dict[str, Any] | None:
    """A role's inline policy as a document, or None when it has none of that name."""
    try:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    except ClientError as error:
        if not is_missing(error):
            raise
        return None
    return json.loads(document) if isinstance(document, str) else dict(document)


def ensure_role(
    run: Deployment, names: Names, policy: dict[str, Any], tags: list[dict[str, str]], account: str
) -> str:
    iam = run.aws.iam

    def remove() -> None:
        try:
            iam.delete_role_policy(RoleName=names.role, PolicyName=ROLE_POLICY_NAME)
        except ClientError as error:
            if not is_missing(error):  # a run stopped before it gave the role its policy
                raise
        iam.delete_role(RoleName=names.role)

    run.ensure(
        f"IAM role {names.role}",
        lambda: exists(lambda: iam.get_role(RoleName=names.role)),
        lambda: iam.create_role(
            RoleName=names.role,
            AssumeRolePolicyDocument=json.dumps(sagemaker_trust_policy(account)),
            Description="SageMaker execution role for the sagemaker-proxy model",
            Tags=tags[:1],
        ),
        remove,
    )
    current = inline_policy(iam, names.role, ROLE_POLICY_NAME)
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


def data_capture(names: Names, percent: int) -> dict[str, Any]:
    """CreateEndpointConfig's DataCaptureConfig: requests and answers, CSV and JSON kept as
    text (other types would be base64), into this endpoint's prefix of the project bucket, under
    the artifact's sha256 (``Names.capture_destination``: every capture file's key names its
    model)."""
    if not percent:
        return {}
    return {
        "DataCaptureConfig": {
            "EnableCapture": True,
            "InitialSamplingPercentage": percent,
            "DestinationS3Uri": names.capture_destination,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {
                "CsvContentTypes": ["text/csv"],
                "JsonContentTypes": ["application/json"],
            },
        }
    }


def ensure_model_and_config(
    run: Deployment,
    names: Names,
    image: str,
    role_arn: str,
    variant: Variant,
    tags: list[dict[str, str]],
    capture_percent: int = 0,
) -> None:
    sm = run.aws.sagemaker
    run.ensure(
        f"model {names.model} ({image})",
        lambda: exists(lambda: sm.describe_model(ModelName=names.model)),
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
        lambda: exists(
            lambda: sm.describe_endpoint_config(EndpointConfigName=names.endpoint_config)
        ),
        lambda: sm.create_endpoint_config(
            EndpointConfigName=names.endpoint_config,
            ProductionVariants=[variant.production_variant(names.model)],
            Tags=tags,
            **data_capture(names, capture_percent),
        ),
        lambda: sm.delete_endpoint_config(EndpointConfigName=names.endpoint_config),
    )
