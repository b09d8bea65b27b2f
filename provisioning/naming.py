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


def stem(endpoint: str) -> str:
    """The prefix of every model and endpoint config made for ``endpoint``."""
    return endpoint[:STEM_LENGTH]


def project_bucket(account: str, region: str) -> str:
    """Artifacts and the Lambda's packages, one bucket per account and region."""
    return f"{PROJECT}-{account}-{region}"


def stack_name(stage: str) -> str:
    """The CloudFormation stack of a stage's API (and the Lambda's name: Chalice's app-stage)."""
    return f"{PROJECT}-{stage}"


def role_name(endpoint: str) -> str:
    return f"{PROJECT}-{endpoint}"[:64]


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

    @property
    def capture_prefix(self) -> str:
        """Where SageMaker writes this endpoint's captured requests and answers."""
        return f"capture/{self.endpoint}"

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
            parts.append({"capture": capture_percent})
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
        )
