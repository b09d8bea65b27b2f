"""The local endpoint's serving code, through a WSGI test client."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from werkzeug.test import Client

from serving.model import XGBoostModel
from serving.runtime_api import RuntimeApi

ROWS = b"5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n"


@pytest.fixture(scope="module")
def endpoint(trained_model: Path) -> Client:
    model = XGBoostModel.from_artifact(trained_model / "model.tar.gz")
    return Client(RuntimeApi(model, ["iris-xgboost"]))


def invoke(
    endpoint: Client,
    body: bytes,
    content_type: str = "text/csv",
    accept: str = "application/json",
    name: str = "iris-xgboost",
):  # type: ignore[no-untyped-def]
    return endpoint.post(
        f"/endpoints/{name}/invocations",
        data=body,
        headers={"Content-Type": content_type, "Accept": accept},
    )


def test_json_answer_has_one_score_row_per_csv_row(endpoint: Client) -> None:
    response = invoke(endpoint, ROWS)
    assert response.status_code == 200
    assert response.headers["x-Amzn-Invoked-Production-Variant"] == "AllTraffic"
    assert response.headers["x-amzn-RequestId"]
    scores = [row["score"] for row in response.get_json()["predictions"]]
    assert len(scores) == 2
    assert [row.index(max(row)) for row in scores] == [0, 2]  # setosa, virginica
    assert all(abs(sum(row) - 1) < 1e-5 for row in scores)


def test_csv_answer_by_default(endpoint: Client) -> None:
    response = invoke(endpoint, ROWS, accept="text/csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == 2 and all(len(line.split(",")) == 3 for line in lines)


def test_unknown_endpoint_is_a_validation_error(endpoint: Client) -> None:
    response = invoke(endpoint, ROWS, name="other")
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ValidationError"
    assert "not found" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("body", "content_type", "original_status"),
    [
        (b'{"instances": [[5.1, 3.5, 1.4, 0.2]]}', "application/json", 415),
        (b"5.1,3.5,1.4\n", "text/csv", 400),
        (b"5.1,3.5,x,0.2\n", "text/csv", 400),
        (b"5.1,3.5,nan,0.2\n", "text/csv", 400),
        (b"", "text/csv", 400),
        (b"\xff\xfe", "text/csv", 400),
    ],
    ids=[
        "json-like-the-real-container",
        "too-few-columns",
        "not-numeric",
        "nan",
        "empty",
        "not-utf8",
    ],
)
def test_bad_input_is_a_model_error_with_the_original_status(
    endpoint: Client, body: bytes, content_type: str, original_status: int
) -> None:
    response = invoke(endpoint, body, content_type=content_type)
    assert response.status_code == 424
    assert response.headers["x-amzn-ErrorType"] == "ModelError"
    assert response.get_json()["OriginalStatusCode"] == original_status


def test_container_contract(endpoint: Client) -> None:
    assert endpoint.get("/ping").status_code == 200
    ok = endpoint.post("/invocations", data=ROWS, headers={"Content-Type": "text/csv"})
    assert ok.status_code == 200 and len(ok.get_data(as_text=True).splitlines()) == 2
    rejected = endpoint.post(
        "/invocations", data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert rejected.status_code == 415


def test_describe_endpoint_speaks_the_json_protocol(endpoint: Client) -> None:
    response = endpoint.post(
        "/",
        data=json.dumps({"EndpointName": "iris-xgboost"}),
        headers={
            "X-Amz-Target": "SageMaker.DescribeEndpoint",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    assert json.loads(response.get_data())["EndpointStatus"] == "InService"


def test_loads_a_model_directory_like_opt_ml_model(trained_model: Path, tmp_path: Path) -> None:
    with tarfile.open(trained_model / "model.tar.gz") as tar:
        tar.extractall(tmp_path, filter="data")
    model = XGBoostModel.from_artifact(tmp_path)
    assert model.predict_csv(ROWS).shape == (2, 3)
