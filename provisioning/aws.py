"""What the provisioning scripts share: clients, the project's tags, error checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError, NoRegionError

from provisioning.naming import PROJECT

PROJECT_TAG_KEY = "project"
ARTIFACT_TAG_KEY = "artifact-sha256"
# The endpoint a model, config or alarm was made for: teardown matches by it, never by a prefix.
ENDPOINT_TAG_KEY = "endpoint"
# Statuses an endpoint passes through on its way to InService or Failed.
TRANSITIONAL_STATUSES = frozenset(
    {"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"}
)


def project_tags(
    artifact_sha256: str | None = None, endpoint: str | None = None
) -> list[dict[str, str]]:
    """The project tag first (the bucket takes it alone), then what the resource was made of
    and for."""
    tags = [{"Key": PROJECT_TAG_KEY, "Value": PROJECT}]
    if artifact_sha256:
        tags.append({"Key": ARTIFACT_TAG_KEY, "Value": artifact_sha256})
    if endpoint:
        tags.append({"Key": ENDPOINT_TAG_KEY, "Value": endpoint})
    return tags


def is_ours(tags: list[dict[str, str]]) -> bool:
    return any(t["Key"] == PROJECT_TAG_KEY and t["Value"] == PROJECT for t in tags)


def is_missing(error: ClientError) -> bool:
    """True for the ways AWS says a resource does not exist."""
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "").lower()
    if code in {"404", "NoSuchBucket", "NoSuchKey", "NoSuchEntity", "ResourceNotFound"}:
        return True
    return code in {"ValidationException", "ValidationError"} and (
        "could not find" in message or "does not exist" in message or "not found" in message
    )


@dataclass(frozen=True)
class AwsClients:
    """One boto3 client per service the scripts use; each honours AWS_ENDPOINT_URL."""

    region: str
    s3: Any
    iam: Any
    sts: Any
    sagemaker: Any
    runtime: Any
    autoscaling: Any
    cloudformation: Any
    lambda_: Any
    cloudwatch: Any
    logs: Any

    @classmethod
    def create(cls, region: str | None) -> AwsClients:
        session = boto3.Session(region_name=region)
        if not session.region_name:
            raise NoRegionError
        return cls(
            region=session.region_name,
            s3=session.client("s3"),
            iam=session.client("iam"),
            sts=session.client("sts"),
            sagemaker=session.client("sagemaker"),
            runtime=session.client("sagemaker-runtime"),
            autoscaling=session.client("application-autoscaling"),
            cloudformation=session.client("cloudformation"),
            lambda_=session.client("lambda"),
            cloudwatch=session.client("cloudwatch"),
            logs=session.client("logs"),
        )
