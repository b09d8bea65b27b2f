"""The IAM documents the project writes: the model's execution role and the Lambda's policy."""

from __future__ import annotations

from typing import Any

from foundation.lambda_code import batch_jobs
from provisioning.naming import Names, stack_name, stem

# The execution role's one inline policy.
ROLE_POLICY_NAME = "sagemaker-proxy-model-access"


def execution_role_policy(
    names: Names, region: str, account: str, image: str, capture: bool = False
) -> dict[str, Any]:
    """Least privilege for the model: read its artifact's prefix, write its logs, pull its image,
    and with ``capture``, write captured data into its endpoint's prefix."""
    image_account, _, rest = image.partition(".dkr.ecr.")
    repository = rest.split("/", 1)[1].split(":", 1)[0].split("@", 1)[0]
    prefix = names.key.rsplit("/", 1)[0]
    policy: dict[str, Any] = {
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
    if capture:
        # Data capture writes as the execution role, into this endpoint's prefix only.
        policy["Statement"].append(
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{names.bucket}/{names.capture_prefix}/*",
            }
        )
    return policy


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


def endpoint_arn(region: str, account: str, endpoint_name: str) -> str:
    # SageMaker ARNs carry the endpoint name in lower case.
    return f"arn:aws:sagemaker:{region}:{account}:endpoint/{endpoint_name.lower()}"


def log_group_arn(region: str, account: str, stage: str) -> str:
    """The Lambda's own log group: Chalice names the function ``<app>-<stage>``, and
    `make deploy` sets the same name."""
    return f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{stack_name(stage)}"


def lambda_policy(region: str, account: str, endpoint_name: str, stage: str) -> dict[str, Any]:
    """Only what the proxy calls, on the one endpoint, plus the Lambda's own log group."""
    log_group = log_group_arn(region, account, stage)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CallTheOneEndpoint",
                "Effect": "Allow",
                "Action": ["sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint"],
                "Resource": endpoint_arn(region, account, endpoint_name),
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group, f"{log_group}:*"],
            },
        ],
    }


def batch_function_policy(
    region: str,
    account: str,
    endpoint_name: str,
    stage: str,
    source: str,
    output: str,
    kms_key: str | None = None,
) -> dict[str, Any]:
    """The stage's batch functions: read the input prefix, write manifests and claims,
    find the model the one endpoint serves and start jobs named for it. A job's name ends in the
    time it starts, so its grant names the endpoint's job prefix, not one ARN."""
    source_at = batch_jobs.S3Location.parse(source, "input")
    manifests = batch_jobs.S3Location.parse(output, "output").key + "manifests/"
    output_at = batch_jobs.S3Location.parse(output, "output")
    sagemaker = f"arn:aws:sagemaker:{region}:{account}"
    names = stem(endpoint_name).lower()
    log_groups = [
        f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{stack_name(stage)}-{function}"
        for function in ("score_on_arrival", "score_on_schedule")
    ]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "FindTheServedModel",
            "Effect": "Allow",
            "Action": "sagemaker:DescribeEndpoint",
            "Resource": endpoint_arn(region, account, endpoint_name),
        },
        {
            "Sid": "ReadItsConfigsAndModels",
            "Effect": "Allow",
            "Action": [
                "sagemaker:DescribeEndpointConfig",
                "sagemaker:DescribeModel",
                "sagemaker:ListTags",
            ],
            "Resource": [
                f"{sagemaker}:endpoint-config/{names}-*",
                f"{sagemaker}:model/{names}-*",
            ],
        },
        {
            "Sid": "StartItsJobs",
            "Effect": "Allow",
            "Action": ["sagemaker:CreateTransformJob", "sagemaker:AddTags"],
            "Resource": f"{sagemaker}:transform-job/{batch_jobs.job_stem(endpoint_name).lower()}*",
        },
        {
            "Sid": "ListTheInputAndTheManifests",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": sorted(
                {f"arn:aws:s3:::{source_at.bucket}", f"arn:aws:s3:::{output_at.bucket}"}
            ),
            "Condition": {"StringLike": {"s3:prefix": [source_at.key + "*", manifests + "*"]}},
        },
        {
            "Sid": "ReadTheInput",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": source_at.arn + "*",
        },
        {
            # Manifests, and the claims on objects (chalicelib/batch/starts.py).
            "Sid": "WriteManifestsAndClaims",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": f"arn:aws:s3:::{output_at.bucket}/{manifests}*",
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [*log_groups, *(f"{group}:*" for group in log_groups)],
        },
    ]
    if kms_key:
        # A job whose volumes and output the key encrypts: SageMaker uses it on the caller's
        # behalf, by a grant.
        statements.append(
            {
                "Sid": "UseTheJobsKey",
                "Effect": "Allow",
                "Action": ["kms:DescribeKey", "kms:CreateGrant"],
                "Resource": kms_key,
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
