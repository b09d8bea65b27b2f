"""A registered version as a deploy meets it: which endpoints serve which version, its signature
read on its own (compared with the stage's before anything is fetched or made), and its artifact
and signature fetched to this machine and checked against each other and the version's metadata.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from artifacts.binding import BindingError, bound_signature
from artifacts.packaging import SIGNATURE_SUFFIX
from foundation.files import write_atomically
from foundation.lambda_code import signature as sig
from foundation.paths import BUILD_DIR
from provisioning.model_registry import (
    BASELINE_KEY,
    BASELINE_SHA_KEY,
    CONTRACT_KEY,
    GROUP_TAG,
    SIGNATURE_KEY,
    SIGNATURE_SHA_KEY,
    VERSION_TAG,
    ModelVersion,
    RegistryRefused,
)
from provisioning.signature_contract import contract_sha256

# Where deploying a version puts its artifact and signature on this machine.
FETCHED_DIR = BUILD_DIR / "registry"


def serving(sagemaker: Any, group: str) -> dict[int, list[str]]:
    """Which endpoints serve which version of the group (by the tags a version's deploy puts on
    the endpoint's model)."""
    served: dict[int, list[str]] = {}
    pages = sagemaker.get_paginator("list_endpoints").paginate()
    for endpoint in (item for page in pages for item in page["Endpoints"]):
        name = endpoint["EndpointName"]
        try:
            config = sagemaker.describe_endpoint_config(
                EndpointConfigName=sagemaker.describe_endpoint(EndpointName=name)[
                    "EndpointConfigName"
                ]
            )
            model = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
            tags = {
                tag["Key"]: tag["Value"]
                for tag in sagemaker.list_tags(ResourceArn=model["ModelArn"]).get("Tags", [])
            }
        except sagemaker.exceptions.ClientError:
            continue  # going away while we look
        if tags.get(GROUP_TAG) == group and tags.get(VERSION_TAG, "").isdigit():
            served.setdefault(int(tags[VERSION_TAG]), []).append(name)
    return served


def version_serving(sagemaker: Any, endpoint: str, group: str) -> int | None:
    """The version of ``group`` the endpoint serves now, or None."""
    for version, endpoints in serving(sagemaker, group).items():
        if endpoint in endpoints:
            return version
    return None


def registered_signature(s3: Any, version: ModelVersion) -> tuple[bytes, sig.Signature]:
    """The version's signature as registered (its bytes, checked against the metadata's sha256),
    read without writing anything."""
    signature_bytes = _read(s3, version.metadata.get(SIGNATURE_KEY, ""))
    if hashlib.sha256(signature_bytes).hexdigest() != version.metadata.get(SIGNATURE_SHA_KEY):
        raise RegistryRefused(f"{version.group} version {version.version}'s signature changed")
    try:
        return signature_bytes, sig.Signature.from_json(json.loads(signature_bytes))
    except ValueError as error:  # not JSON, or SignatureError
        raise RegistryRefused(
            f"{version.group} version {version.version} cannot be served by this proxy: {error}"
        ) from None


def contract_of(s3: Any, version: ModelVersion) -> str:
    """The sha256 of the version's contract: recorded when it was registered, else (a version
    registered before it was) read from its signature; "?" when that cannot be read."""
    recorded = version.metadata.get(CONTRACT_KEY)
    if recorded:
        return recorded
    try:
        return contract_sha256(registered_signature(s3, version)[1])
    except (RegistryRefused, s3.exceptions.ClientError):
        return "?"


def fetch(s3: Any, version: ModelVersion, folder: Path = FETCHED_DIR) -> tuple[Path, sig.Signature]:
    """The version's artifact and signature, downloaded and checked: the bytes the version
    names, and a signature made for them that this proxy can serve."""
    target = folder / version.group / str(version.version)
    artifact_path = target / "model.tar.gz"
    signature_path = target / ("model" + SIGNATURE_SUFFIX)
    artifact = _read(s3, version.model_data_url)
    if hashlib.sha256(artifact).hexdigest() != version.sha256:
        raise RegistryRefused(
            f"{version.model_data_url} is not the artifact {version.group} version "
            f"{version.version} was registered with (sha256 {version.sha256[:12]}...)"
        )
    signature_bytes, _ = registered_signature(s3, version)
    baseline_bytes = registered_baseline(s3, version)
    write_atomically(artifact_path, artifact)
    write_atomically(signature_path, signature_bytes)
    if baseline_bytes is not None:  # the drift baseline, beside the signature as it was
        write_atomically(target / "model.baseline.json", baseline_bytes)
    try:
        signature = bound_signature(artifact_path, signature_path)
    except BindingError as error:
        raise RegistryRefused(
            f"{version.group} version {version.version} cannot be served by this proxy: {error}"
        ) from None
    return artifact_path, signature


def registered_baseline(s3: Any, version: ModelVersion) -> bytes | None:
    """The version's drift baseline as registered (checked against the metadata's sha256), or
    None for a version registered without one."""
    url = version.metadata.get(BASELINE_KEY)
    if not url:
        return None
    baseline = _read(s3, url)
    if hashlib.sha256(baseline).hexdigest() != version.metadata.get(BASELINE_SHA_KEY):
        raise RegistryRefused(f"{version.group} version {version.version}'s baseline changed")
    return baseline


def _read(s3: Any, url: str) -> bytes:
    match = re.fullmatch(r"s3://([^/]+)/(.+)", url)
    if not match:
        raise RegistryRefused(f"{url!r} is not an S3 object")
    return bytes(s3.get_object(Bucket=match.group(1), Key=match.group(2))["Body"].read())
