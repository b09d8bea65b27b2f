"""What the tests share besides fixtures: the local stage's facts and fakes' answers."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.response import StreamingBody
from botocore.stub import Stubber

from foundation.paths import REPO_ROOT
from local_sagemaker.stack import local_stage_variables

__all__ = ["ENDPOINT_NAME", "LOCAL_STAGE_ORIGIN", "REPO_ROOT"]

# The local stage's endpoint and the origins it allows, the demo page's first
# (chalice_app/.chalice/config.json).
ENDPOINT_NAME = local_stage_variables()["SAGEMAKER_ENDPOINT_NAME"]
LOCAL_STAGE_ORIGINS = local_stage_variables()["CORS_ALLOW_ORIGINS"].split(",")
LOCAL_STAGE_ORIGIN = LOCAL_STAGE_ORIGINS[0]


def model_answer(*scores: list[float]) -> dict[str, Any]:
    """The built-in XGBoost container's JSON body for ``multi:softprob``, as the Stubber returns
    InvokeEndpoint's answer."""
    body = json.dumps({"predictions": [{"score": list(row)} for row in scores]}).encode()
    return {
        "Body": StreamingBody(io.BytesIO(body), len(body)),
        "ContentType": "application/json",
        "InvokedProductionVariant": "AllTraffic",
    }


@dataclass
class StubbedSageMaker:
    """Stubbers on the two clients the app uses, and how many calls reached them."""

    runtime: Stubber
    control: Stubber
    calls: list[str] = field(default_factory=list)


def moto_model_answer(
    model_tar: Path, region: str, moto_url: str = "http://motoapi.amazonaws.com"
) -> None:
    """Queue in moto's sagemaker-runtime what the real model answers to the deploy's smoke-test
    row, its signature's first example (moto answers a canned "body" otherwise): computed by
    the served model itself."""
    import requests

    from artifacts.packaging import signature_path_for
    from chalicelib.signature import read_signature
    from provisioning.endpoint.rollout import smoke_row
    from serving.model import XGBoostModel, format_json

    row = smoke_row(read_signature(signature_path_for(model_tar)))
    scores = XGBoostModel.from_artifact(model_tar).predict_csv(row)
    answer = {"Body": json.dumps(format_json(scores)), "ContentType": "application/json"}
    requests.post(
        f"{moto_url}/moto-api/static/sagemaker/endpoint-results",
        json={"region": region, "results": [answer]},
        timeout=10,
    ).raise_for_status()


def forget_moto_answers(region: str) -> None:
    """moto's sagemaker-runtime keeps the first answer it gave an endpoint for a body and gives it
    again (sagemakerruntime/models.py, invoke_endpoint): after redeploying another model under
    the same endpoint name in process, forget them, and those still queued, so the next answer
    queued is the one given."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemakerruntime.models import sagemakerruntime_backends

    backend = sagemakerruntime_backends[DEFAULT_ACCOUNT_ID][region]
    backend.results.clear()
    backend.results_queue.clear()
