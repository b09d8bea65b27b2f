"""What a caller of the Model Registry's commands needs: the IAM policies `model_versions
policy` prints, one per command."""

from __future__ import annotations

from typing import Any


def registry_caller_policies(
    region: str, account: str, group: str, bucket: str
) -> dict[str, dict[str, Any]]:
    """What a person or pipeline needs to run each Model Registry command for one group: to
    register, to approve or reject, to list, and what deploying a version adds to
    deploy_endpoint's own needs. ARNs name the group, its versions and its prefix of the bucket."""
    sagemaker = f"arn:aws:sagemaker:{region}:{account}"
    group_arn = f"{sagemaker}:model-package-group/{group.lower()}"
    versions_arn = f"{sagemaker}:model-package/{group.lower()}/*"
    stored = f"arn:aws:s3:::{bucket}/models/{group}/*"

    def policy(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": list(statements)}

    read_versions = {
        "Sid": "ReadTheGroupsVersions",
        "Effect": "Allow",
        "Action": [
            "sagemaker:DescribeModelPackageGroup",
            "sagemaker:ListModelPackages",
            "sagemaker:DescribeModelPackage",
        ],
        "Resource": [group_arn, versions_arn],
    }
    return {
        "register": policy(
            read_versions,
            {
                "Sid": "MakeTheGroupAndItsVersions",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:CreateModelPackageGroup",
                    "sagemaker:CreateModelPackage",
                    "sagemaker:AddTags",
                ],
                "Resource": [group_arn, versions_arn],
            },
            {
                "Sid": "StoreTheArtifactAndSignature",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": stored,
            },
            {
                # The project's bucket, checked, and made private and encrypted when missing
                # (removed again when the registration then fails).
                "Sid": "CheckOrMakeTheBucket",
                "Effect": "Allow",
                "Action": [
                    "s3:ListBucket",
                    "s3:GetBucketPublicAccessBlock",
                    "s3:GetEncryptionConfiguration",
                    "s3:GetBucketTagging",
                    "s3:CreateBucket",
                    "s3:PutBucketPublicAccessBlock",
                    "s3:PutEncryptionConfiguration",
                    "s3:PutBucketTagging",
                    "s3:DeleteBucket",
                ],
                "Resource": f"arn:aws:s3:::{bucket}",
            },
        ),
        "approve": policy(
            read_versions,
            {
                "Sid": "SetAVersionsStatus",
                "Effect": "Allow",
                "Action": "sagemaker:UpdateModelPackage",
                "Resource": versions_arn,
            },
        ),
        "list": policy(
            read_versions,
            {
                "Sid": "SeeWhichEndpointServesWhichVersion",
                "Effect": "Allow",
                "Action": [
                    "sagemaker:DescribeEndpoint",
                    "sagemaker:DescribeEndpointConfig",
                    "sagemaker:DescribeModel",
                    "sagemaker:ListTags",
                ],
                "Resource": [
                    f"{sagemaker}:endpoint/*",
                    f"{sagemaker}:endpoint-config/*",
                    f"{sagemaker}:model/*",
                ],
            },
            # ListEndpoints takes no resource: it cannot be narrowed.
            {
                "Sid": "ListEndpoints",
                "Effect": "Allow",
                "Action": "sagemaker:ListEndpoints",
                "Resource": "*",
            },
        ),
        "deploy": policy(
            read_versions,
            {
                "Sid": "FetchTheVersion",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": stored,
            },
        ),
    }
