"""Model versions in SageMaker's Model Registry: a model package group per model, a version per
artifact, with its signature, sha256, objective, metrics and git commit in the version's
metadata, and the approval status that decides what may be deployed.

The artifact and its signature are stored by content (``models/<group>/<sha256>/``) in the
project's bucket, so a version names exactly the bytes it was registered with; deploying a
version fetches both and checks them against each other and against the metadata
(``registered_models``)."""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass, field
from typing import Any

from artifacts.packaging import SIGNATURE_SUFFIX, signature_text
from foundation.lambda_code import signature as sig
from foundation.paths import REPO_ROOT
from provisioning.aws import project_tags
from provisioning.signature_contract import contract_sha256

# ModelPackageGroupName's pattern and length (API_CreateModelPackageGroup).
GROUP_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
APPROVED, PENDING, REJECTED = "Approved", "PendingManualApproval", "Rejected"
# The version's metadata (CustomerMetadataProperties: keys of at most 128 characters, values of at most
# 256, API_CreateModelPackage): the signature itself does not fit, so its S3 location and sha256 do.
SHA_KEY = "artifact-sha256"
SIGNATURE_KEY = "signature-s3-uri"
SIGNATURE_SHA_KEY = "signature-sha256"
# The sha256 of the signature's contract (signature_contract): equal when clients see one API.
CONTRACT_KEY = "signature-contract-sha256"
# The model's drift baseline (artifacts.baseline_files), stored beside the signature, when it has one.
BASELINE_KEY = "baseline-s3-uri"
BASELINE_SHA_KEY = "baseline-sha256"
OBJECTIVE_KEY = "objective"
XGBOOST_KEY = "xgboost-version"
COMMIT_KEY = "git-commit"
METRIC_PREFIX = "metric:"
# Tags of what a version's deploy makes (model, config, endpoint): which version serves.
GROUP_TAG = "model-package-group"
VERSION_TAG = "model-package-version"


class RegistryRefused(ValueError):
    """What the registry holds does not allow it: one line, nothing made."""


@dataclass(frozen=True)
class ModelVersion:
    group: str
    version: int
    arn: str
    status: str
    metadata: dict[str, str]
    model_data_url: str
    image: str
    description: str = ""
    approval_description: str = ""

    @classmethod
    def described(cls, package: dict[str, Any]) -> ModelVersion:
        container = package["InferenceSpecification"]["Containers"][0]
        return cls(
            group=package["ModelPackageGroupName"],
            version=int(package["ModelPackageVersion"]),
            arn=package["ModelPackageArn"],
            status=package["ModelApprovalStatus"],
            metadata=dict(package.get("CustomerMetadataProperties") or {}),
            model_data_url=container["ModelDataUrl"],
            image=container["Image"],
            description=package.get("ModelPackageDescription") or "",
            approval_description=package.get("ApprovalDescription") or "",
        )

    @property
    def metrics(self) -> dict[str, str]:
        return {
            key[len(METRIC_PREFIX) :]: value
            for key, value in self.metadata.items()
            if key.startswith(METRIC_PREFIX)
        }

    @property
    def sha256(self) -> str:
        return self.metadata.get(SHA_KEY, "")

    def tags(self) -> tuple[dict[str, str], ...]:
        return (
            {"Key": GROUP_TAG, "Value": self.group},
            {"Key": VERSION_TAG, "Value": str(self.version)},
        )


def git_commit() -> str:
    """The checkout's commit, "+dirty" when it has changes; "unknown" outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
            check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def parse_metrics(pairs: list[str]) -> dict[str, str]:
    """``name=number`` pairs; ValueError naming the first that is not one."""
    metrics: dict[str, str] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        # SageMaker names a job metric "validation:mlogloss"; metadata keys allow ":" and "@".
        if not re.fullmatch(r"[A-Za-z0-9_.:@\-]{1,64}", name) or not value:
            raise ValueError(f"--metric {pair!r} is not name=number")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"--metric {pair!r} is not name=number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"--metric {pair!r} is not a finite number")
        metrics[name] = value
    return metrics


def versions(sagemaker: Any, group: str) -> list[ModelVersion]:
    """Every version of the group, oldest first."""
    pages = sagemaker.get_paginator("list_model_packages").paginate(
        ModelPackageGroupName=group, ModelPackageType="Versioned"
    )
    arns = [item["ModelPackageArn"] for page in pages for item in page["ModelPackageSummaryList"]]
    found = [
        ModelVersion.described(sagemaker.describe_model_package(ModelPackageName=arn))
        for arn in arns
    ]
    return sorted(found, key=lambda version: version.version)


def group_exists(sagemaker: Any, group: str) -> bool:
    try:
        sagemaker.describe_model_package_group(ModelPackageGroupName=group)
    except sagemaker.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in (
            "ValidationException",
            "ResourceNotFound",
        ):
            return False
        raise
    return True


def chosen_version(
    sagemaker: Any, group: str, version: int | None, previous_of: int | None = None
) -> ModelVersion:
    """The version to deploy: the one named (approved), the latest approved, or (rolling back)
    the latest approved before ``previous_of``."""
    if not group_exists(sagemaker, group):
        raise RegistryRefused(f"model package group {group} does not exist in this region")
    every = versions(sagemaker, group)
    if version is not None:
        named = next((v for v in every if v.version == version), None)
        if named is None:
            raise RegistryRefused(f"{group} has no version {version}")
        if named.status != APPROVED:
            raise RegistryRefused(
                f"{group} version {version} is {named.status}, not Approved: approve it first "
                f"(python -m scripts.model_versions approve --group {group} --version {version})"
            )
        return named
    approved = [v for v in every if v.status == APPROVED]
    if previous_of is not None:
        approved = [v for v in approved if v.version < previous_of]
        if not approved:
            raise RegistryRefused(f"{group} has no approved version before {previous_of}")
    if not approved:
        raise RegistryRefused(f"{group} has no approved version: approve one first")
    return approved[-1]


@dataclass(frozen=True)
class Registration:
    group: str
    bucket: str
    image: str
    signature: sig.Signature
    artifact: bytes
    metrics: dict[str, str]
    status: str = PENDING
    description: str = ""
    # The model's files beside its signature by name (the baseline, and the same in Model
    # Monitor's formats: artifacts.baseline_files), stored beside it; the first is the baseline.
    baseline_files: dict[str, bytes] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"models/{self.group}/{self.signature.artifact_sha256}/"


def register(sagemaker: Any, s3: Any, registration: Registration, out: Any = print) -> ModelVersion:
    """Add the artifact as a version of the group (made when missing); the version it already
    is when the same artifact was registered before."""
    signature = registration.signature
    if group_exists(sagemaker, registration.group):
        same = [
            v
            for v in versions(sagemaker, registration.group)
            if v.sha256 == signature.artifact_sha256
        ]
        if same:
            out(f"  exists   {registration.group} version {same[0].version} is this artifact")
            return same[0]
    else:
        sagemaker.create_model_package_group(
            ModelPackageGroupName=registration.group,
            ModelPackageGroupDescription=f"Versions of {registration.group} (sagemaker-proxy)",
            Tags=project_tags(),
        )
        out(f"  created  model package group {registration.group}")
    signature_bytes = signature_text(signature).encode()
    artifact_key = registration.prefix + "model.tar.gz"
    signature_key = registration.prefix + "model" + SIGNATURE_SUFFIX
    uploads = {artifact_key: registration.artifact, signature_key: signature_bytes}
    uploads.update(
        {registration.prefix + name: body for name, body in registration.baseline_files.items()}
    )
    for key, body in uploads.items():
        s3.put_object(Bucket=registration.bucket, Key=key, Body=body, ServerSideEncryption="AES256")
    out(f"  uploaded s3://{registration.bucket}/{registration.prefix}")
    metadata = {
        SHA_KEY: signature.artifact_sha256,
        SIGNATURE_KEY: f"s3://{registration.bucket}/{signature_key}",
        SIGNATURE_SHA_KEY: hashlib.sha256(signature_bytes).hexdigest(),
        CONTRACT_KEY: contract_sha256(signature),
        **_baseline_metadata(registration),
        OBJECTIVE_KEY: signature.objective,
        XGBOOST_KEY: signature.xgboost_version,
        COMMIT_KEY: git_commit(),
        **{METRIC_PREFIX + name: value for name, value in registration.metrics.items()},
    }
    created = sagemaker.create_model_package(
        ModelPackageGroupName=registration.group,
        ModelPackageDescription=registration.description
        or f"{signature.objective}, {len(signature.features)} features",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": registration.image,
                    "ModelDataUrl": f"s3://{registration.bucket}/{artifact_key}",
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json", "text/csv"],
        },
        ModelApprovalStatus=registration.status,
        CustomerMetadataProperties=metadata,
    )
    version = ModelVersion.described(
        sagemaker.describe_model_package(ModelPackageName=created["ModelPackageArn"])
    )
    out(f"  created  {registration.group} version {version.version} ({version.status})")
    return version


def _baseline_metadata(registration: Registration) -> dict[str, str]:
    if not registration.baseline_files:
        return {}
    name, body = next(iter(registration.baseline_files.items()))
    return {
        BASELINE_KEY: f"s3://{registration.bucket}/{registration.prefix}{name}",
        BASELINE_SHA_KEY: hashlib.sha256(body).hexdigest(),
    }


def set_status(sagemaker: Any, group: str, version: int, status: str, reason: str) -> ModelVersion:
    every = versions(sagemaker, group) if group_exists(sagemaker, group) else []
    named = next((v for v in every if v.version == version), None)
    if named is None:
        raise RegistryRefused(f"{group} has no version {version}")
    # The metadata sent back as it is: AWS merges it (no change), and moto 5.2.5 would
    # otherwise drop it (update_model_package sets what it is given, None included).
    sagemaker.update_model_package(
        ModelPackageArn=named.arn,
        ModelApprovalStatus=status,
        ApprovalDescription=reason,
        CustomerMetadataProperties=named.metadata,
    )
    return ModelVersion.described(sagemaker.describe_model_package(ModelPackageName=named.arn))
