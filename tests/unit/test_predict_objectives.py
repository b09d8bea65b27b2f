"""POST /predict for models of every kind, through Chalice's test client: the stage's signature
decides what a record holds, what CSV reaches SageMaker, and what the answer says."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from chalice.test import Client

from chalicelib import clients
from chalicelib.predictor import SageMakerPredictor
from chalicelib.settings import Settings, use_settings
from chalicelib.signature import Signature, read_signature
from tests.signatures import MIXED_RECORD, signature_for
from tests.support import ENDPOINT_NAME
from tests.unit.requests_to_predict import post


def answer(*scores: Any) -> dict[str, Any]:
    """InvokeEndpoint's answer: the built-in container's JSON, one score per row."""
    body = json.dumps({"predictions": [{"score": score} for score in scores]}).encode()
    return {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentType": "application/json"}


@pytest.fixture
def serve(tmp_path: Path, api: Client) -> Iterator[Any]:
    """Serve a signature from a file, as a stage does (MODEL_SIGNATURE), with SageMaker stubbed."""
    stubbers: list[Stubber] = []

    def serving(signature: Signature) -> Stubber:
        path = tmp_path / "signature.json"
        path.write_text(json.dumps(signature.to_json()))
        use_settings(Settings(endpoint_name=ENDPOINT_NAME, signature=str(path)))
        runtime = boto3.client(
            "sagemaker-runtime",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        stubber = Stubber(runtime)
        stubber.activate()
        stubbers.append(stubber)
        clients.use(predictor=SageMakerPredictor(runtime, ENDPOINT_NAME, read_signature(path)))
        return stubber

    yield serving
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
        stubber.deactivate()
    clients.reset()


def expect(stubber: Stubber, csv: bytes, *scores: Any) -> None:
    stubber.add_response(
        "invoke_endpoint",
        answer(*scores),
        expected_params={
            "EndpointName": ENDPOINT_NAME,
            "Body": csv,
            "ContentType": "text/csv",
            "Accept": "application/json",
        },
    )


# (objective, the container's score per row, the API's prediction for it)
ANSWERS = [
    (
        "binary:logistic",
        [0.8, 0.5],
        [
            {"label": "dog", "probabilities": {"cat": 1.0 - 0.8, "dog": 0.8}},
            # Exactly 0.5 is the negative class, as the container's own predicted_label has it.
            {"label": "cat", "probabilities": {"cat": 0.5, "dog": 0.5}},
        ],
    ),
    (
        "binary:logitraw",
        [-0.25, 1.5],
        [{"label": "cat", "score": -0.25}, {"label": "dog", "score": 1.5}],
    ),
    ("binary:hinge", [1.0, 0.0], [{"label": "dog"}, {"label": "cat"}]),
    ("multi:softmax", [2.0, 0.0], [{"label": "bird"}, {"label": "cat"}]),
    (
        "multi:softprob",
        [[0.1, 0.3, 0.6], [0.5, 0.5, 0.0]],
        [
            {"label": "bird", "probabilities": {"cat": 0.1, "dog": 0.3, "bird": 0.6}},
            # A tie goes to the first class, as numpy's argmax in the container.
            {"label": "cat", "probabilities": {"cat": 0.5, "dog": 0.5, "bird": 0.0}},
        ],
    ),
    ("reg:squarederror", [151.25, -3.0], [{"value": 151.25}, {"value": -3.0}]),
    ("count:poisson", [2.5, 0.125], [{"value": 2.5}, {"value": 0.125}]),
    ("survival:cox", [1.75, 0.5], [{"value": 1.75}, {"value": 0.5}]),
]


@pytest.mark.parametrize(
    ("objective", "scores", "predictions"), ANSWERS, ids=[a[0] for a in ANSWERS]
)
def test_each_objective_is_answered_as_the_contract_says(
    api: Client, serve: Any, objective: str, scores: list[Any], predictions: list[dict]
) -> None:
    # Given a model of this objective behind the stage
    stubber = serve(signature_for(objective))
    # And two records, the second with its optional features null or left out
    sparse = {**MIXED_RECORD, "income": None, "opted in": None}
    del sparse["json"], sparse["visits"]
    expect(stubber, b"41.0,52000.5,1,2.5,1.4,3.0,0\n7.0,,0,,2.0,,", *scores)
    # When a client posts both
    response = post(api, {"instances": [MIXED_RECORD, {**sparse, "age": 7, "member": False,
                                                       "petal length (cm)": 2}]})  # fmt: skip
    # Then each prediction is the contract's for the objective, in order
    assert response.status_code == 200, response.body
    assert response.json_body["predictions"] == predictions


WRONG_ANSWERS = [
    # (objective, the container's scores for one row, what the log says came)
    ("binary:logistic", [[0.2, 0.8]], "got {'predictions': [{'score': [float x2]} x1]}"),
    ("binary:logistic", [1.5], 'is not {"predictions": [{"score": a probability}'),
    ("reg:squarederror", [[1.0, 2.0]], 'is not {"predictions": [{"score": a number}'),
    ("multi:softmax", [3.0], "model answered class 3.0 of 3"),
    ("multi:softmax", [1.5], "model answered class 1.5 of 3"),
    ("multi:softprob", [0.9], "got {'predictions': [{'score': float} x1]}"),
    ("multi:softprob", [[0.5, 0.5]], "model answered 2 scores for 3 classes"),
    ("reg:gamma", [0.5, 0.6], "model answered 2 rows for 1"),
    # Not a number: a failed model, never a 200 with NaN or Infinity in it
    ("reg:squarederror", [float("nan")], 'is not {"predictions": [{"score": a number}'),
    ("binary:logitraw", [float("inf")], 'is not {"predictions": [{"score": a number}'),
]


@pytest.mark.parametrize(("objective", "scores", "said"), WRONG_ANSWERS)
def test_an_answer_not_of_the_signatures_objective_is_502_never_a_wrong_label(
    api: Client,
    serve: Any,
    capsys: pytest.CaptureFixture[str],
    objective: str,
    scores: list[Any],
    said: str,
) -> None:
    # Given a stage whose signature says one objective, and a model answering as another would
    stubber = serve(signature_for(objective))
    expect(stubber, b"41.0,52000.5,1,2.5,1.4,3.0,0", *scores)
    # When a client asks
    response = post(api, MIXED_RECORD)
    # Then it gets a 502, and the log line says what came
    assert response.status_code == 502
    assert response.json_body["Code"] == "BadGatewayError"
    logged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert said in logged["detail"]


# Models of several outputs (#33): the container answers a list per row (serve.py:240-245 at
# v3.0-5), which the proxy names by the signature. (case, signature, its rows, the predictions)
SEVERAL = [
    (
        "quantiles",
        replace(signature_for("reg:quantileerror"), quantiles=(0.1, 0.5, 0.9)),
        [[1.0, 2.5, 4.0], [-0.5, 0.0, 0.25]],
        [
            {"quantiles": {"0.1": 1.0, "0.5": 2.5, "0.9": 4.0}},
            {"quantiles": {"0.1": -0.5, "0.5": 0.0, "0.9": 0.25}},
        ],
    ),
    (
        "targets",
        replace(signature_for("reg:squarederror"), targets=("price", "rent")),
        [[310000.0, 1250.5], [99.5, 0.125]],
        [
            {"values": {"price": 310000.0, "rent": 1250.5}},
            {"values": {"price": 99.5, "rent": 0.125}},
        ],
    ),
]


@pytest.mark.parametrize(
    ("case", "signature", "rows", "predictions"), SEVERAL, ids=[s[0] for s in SEVERAL]
)
def test_a_model_of_several_outputs_is_answered_by_name(
    api: Client,
    serve: Any,
    case: str,
    signature: Signature,
    rows: list[list[float]],
    predictions: list[dict],
) -> None:
    # Given a model of several outputs behind the stage, answering a list per row
    stubber = serve(signature)
    csv = b"41.0,52000.5,1,2.5,1.4,3.0,0"
    expect(stubber, csv + b"\n" + csv, *rows)
    # When a client posts two records
    response = post(api, {"instances": [MIXED_RECORD, MIXED_RECORD]})
    # Then each prediction names every number of its row, in the model's order
    assert response.status_code == 200, response.body
    assert response.json_body["predictions"] == predictions
    # And a row of another length is the model's fault, never a prediction missing a name
    expect(stubber, csv, rows[0][:-1])
    assert post(api, MIXED_RECORD).status_code == 502


def test_a_signature_that_cannot_be_read_is_503_with_the_reason_logged(
    api: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a stage whose signature file has a misspelt bound
    path = tmp_path / "signature.json"
    document = signature_for("reg:squarederror").to_json()
    document["features"][0]["maximun"] = 3
    path.write_text(json.dumps(document))
    use_settings(Settings(endpoint_name=ENDPOINT_NAME, signature=str(path)))
    try:
        # When a client posts a record
        response = post(api, MIXED_RECORD)
    finally:
        clients.reset()
    # Then the stage is at fault: 503, no detail for the client, the reason in the log
    assert response.status_code == 503
    assert "maximun" not in response.body.decode()
    logged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "features.0.maximun" in logged["detail"]
