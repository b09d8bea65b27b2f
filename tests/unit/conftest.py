"""In-process fixtures: the Chalice app through its test client, SageMaker stubbed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib import clients
from chalicelib.predictor import SageMakerPredictor
from chalicelib.signature import load_signature
from foundation.paths import CHALICE_DIR, IRIS_SIGNATURE
from tests.support import ENDPOINT_NAME, StubbedSageMaker


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
    # The stubbed clients, where the app would make its own on first use.
    clients.use(
        predictor=SageMakerPredictor(runtime_client, ENDPOINT_NAME, load_signature(IRIS_SIGNATURE)),
        control_client=control_client,
    )
    with stubbed.runtime, stubbed.control:
        yield stubbed
        stubbed.runtime.assert_no_pending_responses()
        stubbed.control.assert_no_pending_responses()
    clients.reset()


@pytest.fixture
def api() -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="local", project_dir=str(CHALICE_DIR)) as client:
        yield client


@pytest.fixture(scope="session")
def issuer_key() -> rsa.RSAPrivateKey:
    """The sign-in tests' issuer's RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_key() -> rsa.RSAPrivateKey:
    """A key the issuer does not publish."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
