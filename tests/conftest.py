"""Shared fixtures: a trained model, the Chalice app with stubbed SageMaker clients."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from chalice.test import Client

from chalicelib import clients
from chalicelib.metadata import load_metadata
from chalicelib.predictor import SageMakerPredictor
from scripts import train_model
from tests.local_stack import (
    ENDPOINT_NAME,
    REPO_ROOT,
    Stack,
    running_stack,
)

LOCAL_STAGE_ORIGIN = "http://127.0.0.1:8001"


@pytest.fixture(scope="session")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The local endpoint and `chalice local`, shared by every test that needs real HTTP."""
    with running_stack(trained_model / "model.tar.gz", tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``model.tar.gz`` and its metadata, trained afresh with the default seed."""
    output_dir = tmp_path_factory.mktemp("build")
    train_model.write_artifacts(output_dir, seed=42, rounds=50, lambda_metadata=None)
    return output_dir


def model_answer(*scores: list[float]) -> dict[str, Any]:
    """The built-in XGBoost container's JSON body for ``multi:softprob``."""
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


def _fake_client(service: str) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def sagemaker() -> Iterator[StubbedSageMaker]:
    clients.reset()
    runtime_client = _fake_client("sagemaker-runtime")
    control_client = _fake_client("sagemaker")
    stubbed = StubbedSageMaker(Stubber(runtime_client), Stubber(control_client))
    for client in (runtime_client, control_client):
        client.meta.events.register(
            "before-call.*.*", lambda model, **_: stubbed.calls.append(model.name)
        )
    # Inject the stubbed clients where the app would make its own on first use.
    clients._predictor = SageMakerPredictor(
        runtime_client, ENDPOINT_NAME, load_metadata().class_labels
    )
    clients._control_client = control_client
    with stubbed.runtime, stubbed.control:
        yield stubbed
        stubbed.runtime.assert_no_pending_responses()
        stubbed.control.assert_no_pending_responses()
    clients.reset()


@pytest.fixture
def api() -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="local", project_dir=str(REPO_ROOT / "chalice_app")) as client:
        yield client


@pytest.fixture
def chalice_config(tmp_path: Path) -> Path:
    target = tmp_path / ".chalice"
    shutil.copytree(
        REPO_ROOT / "chalice_app" / ".chalice", target, ignore=shutil.ignore_patterns("deploy*")
    )
    return target


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def moto_model_answer(
    model_tar: Path, region: str, moto_url: str = "http://motoapi.amazonaws.com"
) -> None:
    """Queue in moto's sagemaker-runtime what the real model answers to the deploy's smoke-test
    row (moto answers a canned "body" otherwise): computed by the served model itself."""
    import requests

    from scripts.deploy_endpoint import SMOKE_TEST_ROW
    from serving.model import XGBoostModel, format_json

    scores = XGBoostModel.from_artifact(model_tar).predict_csv(SMOKE_TEST_ROW.encode())
    answer = {"Body": json.dumps(format_json(scores)), "ContentType": "application/json"}
    requests.post(
        f"{moto_url}/moto-api/static/sagemaker/endpoint-results",
        json={"region": region, "results": [answer]},
        timeout=10,
    ).raise_for_status()
