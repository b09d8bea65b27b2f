"""How the project names what it creates, from content: a rerun with the same inputs makes
the same names, and teardown finds by name what deploy made."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

PROJECT = "sagemaker-proxy"
# The production variant every endpoint config of this project has.
VARIANT_NAME = "AllTraffic"
# SageMaker's limit on model, endpoint config and endpoint names (CreateEndpoint API reference).
SAGEMAKER_NAME_LIMIT = 63
# How much of the endpoint's name starts its configs' and models' names: room is left for
# "-<12 of the sha>-<6 of the spec>" (21 characters) within SageMaker's limit.
STEM_LENGTH = SAGEMAKER_NAME_LIMIT - 21
# IAM's limit on role names (CreateRole API reference).
ROLE_NAME_LIMIT = 64
# A name too long for its limit ends in this many characters of the sha256 of the whole name.
NAME_HASH_LENGTH = 8


def within(name: str, limit: int) -> str:
    """``name`` when it fits in ``limit``; else its start, a hyphen and a short hash of the whole
    of it: two long names that start alike stay two, and one that fits is never renamed."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:NAME_HASH_LENGTH]
    return f"{name[: limit - NAME_HASH_LENGTH - 1]}-{digest}"


def stem(endpoint: str) -> str:
    """The prefix of every model and endpoint config made for ``endpoint``."""
    return within(endpoint, STEM_LENGTH)


def search_prefix(endpoint: str) -> str:
    """What every model and config name made for ``endpoint`` starts with, those named before
    long names ended in a hash (``endpoint[:STEM_LENGTH]``) too: a ListModels filter."""
    return endpoint[: STEM_LENGTH - NAME_HASH_LENGTH - 1]


def project_bucket(account: str, region: str) -> str:
    """Artifacts and the Lambda's packages, one bucket per account and region."""
    return f"{PROJECT}-{account}-{region}"


def capture_model_prefix(endpoint: str, artifact_sha256: str) -> str:
    """Where an endpoint config that serves this artifact has its capture written (the key of its
    DestinationS3Uri; SageMaker appends <endpoint>/<variant>/yyyy/mm/dd/hh/): a capture record
    names no model, its key then does (chalicelib/drift/capture_store.py)."""
    return f"capture/{endpoint}/{artifact_sha256}"


def stack_name(stage: str) -> str:
    """The CloudFormation stack of a stage's API (and the Lambda's name: Chalice's app-stage)."""
    return f"{PROJECT}-{stage}"


def role_name(endpoint: str) -> str:
    """The execution role deploy makes for ``endpoint``, unique to it within IAM's limit."""
    return within(f"{PROJECT}-{endpoint}", ROLE_NAME_LIMIT)


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
    artifact_sha256: str = ""

    @property
    def capture_prefix(self) -> str:
        """Where SageMaker writes this endpoint's captured requests and answers."""
        return f"capture/{self.endpoint}"

    @property
    def capture_destination(self) -> str:
        """The endpoint config's DestinationS3Uri: the endpoint's prefix, then the artifact's."""
        return f"s3://{self.bucket}/{capture_model_prefix(self.endpoint, self.artifact_sha256)}"

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
        capture_percent: int = 0,
    ) -> Names:
        model = f"{stem(endpoint)}-{sha256[:12]}"
        parts: list[Any] = [image, variant.production_variant(model)]
        if capture_percent:  # a config with capture is another config (no capture: names as before)
            parts.append({"capture": capture_percent, "under": "artifact-sha256"})
        spec = json.dumps(parts, sort_keys=True)
        return cls(
            endpoint=endpoint,
            bucket=bucket or project_bucket(account, region),
            key=f"models/{sha256}/model.tar.gz",
            role=role_name(endpoint),
            model=f"{model}-{hashlib.sha256(image.encode()).hexdigest()[:4]}"[
                :SAGEMAKER_NAME_LIMIT
            ],
            endpoint_config=f"{model}-{hashlib.sha256(spec.encode()).hexdigest()[:6]}",
            artifact_sha256=sha256,
        )
