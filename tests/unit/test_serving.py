"""The local endpoint's serving code, through a WSGI test client."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from werkzeug.test import Client

from bench.own_models import train_own_model
from local_sagemaker.runtime_api import RuntimeApi
from serving.container import BUILT_IN_INPUTS, ContainerApp
from serving.model import XGBoostModel, format_json, json_bytes

ROWS = b"5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n"


@pytest.fixture(scope="module")
def model(trained_model: Path) -> XGBoostModel:
    return XGBoostModel.from_artifact(trained_model / "model.tar.gz")


@pytest.fixture(scope="module")
def endpoint(model: XGBoostModel) -> Client:
    """The stand-in's runtime API, in front of the container app."""
    return Client(RuntimeApi(model, ["iris-xgboost"]))


@pytest.fixture(scope="module")
def container(model: XGBoostModel) -> Client:
    """The container app as the stand-in hosts it: CSV only, as the built-in container reads."""
    return Client(ContainerApp.serving(model, BUILT_IN_INPUTS))


def invoke(
    endpoint: Client,
    body: bytes,
    content_type: str = "text/csv",
    accept: str = "application/json",
    name: str = "iris-xgboost",
    variant: str | None = None,
):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    if variant:
        headers["X-Amzn-SageMaker-Target-Variant"] = variant
    return endpoint.post(f"/endpoints/{name}/invocations", data=body, headers=headers)


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


HEADER = b"sepal_length,sepal_width,petal_length,petal_width\n"
ONE = b"5.1,3.5,1.4,0.2"
# What the built-in XGBoost container v3.0-5 answers, by the line of its source that decides
# it (aws/sagemaker-xgboost-container at tag v3.0-5, src/sagemaker_xgboost_container/):
# (case, body, Content-Type, Accept, status, where).
CONTAINER_TABLE = [
    ("csv rows, csv answer", ROWS, "text/csv", "text/csv", 200, "serve.py:249"),
    ("json answer", ROWS, "text/csv", "application/json", 200, "serve.py:243-244"),
    ("no Accept is csv", ONE, "text/csv", "", 200, "serve.py:173-174"),
    ("Accept */* is csv", ONE, "text/csv", "*/*", 200, "serve.py:173-174"),
    ("Accept parameters ignored", ONE, "text/csv", "application/json; q=1", 200, "serve.py:172"),
    ("Accept list is 406", ONE, "text/csv", "application/json, text/csv", 406, "serve.py:175-178"),
    ("Accept text/plain is 406", ONE, "text/csv", "text/plain", 406, "serve.py:175-178"),
    ("empty body is 204", b"", "text/csv", "text/csv", 204, "serve.py:209-211"),
    ("content type csv alone", ONE, "csv", "text/csv", 200, "data_utils.py:105"),
    ("csv parameters", ONE, "text/csv; charset=utf-8", "text/csv", 200, "data_utils.py:103"),
    (
        "label_size other than 1",
        ONE,
        "text/csv;label_size=2",
        "text/csv",
        415,
        "data_utils.py:108-113",
    ),
    (
        "json input is 415",
        b'{"instances": [[5.1, 3.5, 1.4, 0.2]]}',
        "application/json",
        "",
        415,
        "data_utils.py:120-121",
    ),
    ("trailing newline", ONE + b"\n", "text/csv", "text/csv", 200, "serve_utils.py:124"),
    (
        "fewer columns: missing values",
        b"5.1,3.5,1.4",
        "text/csv",
        "text/csv",
        200,
        "serve_utils.py:200-220 (pickles only)",
    ),
    ("empty cell: missing value", b"5.1,,1.4,0.2", "text/csv", "text/csv", 200, "encoder.py:35-36"),
    ("nan: missing value", b"5.1,nan,1.4,0.2", "text/csv", "text/csv", 200, "encoder.py:55"),
    ("more columns is 400", b"5.1,3.5,1.4,0.2,9", "text/csv", "text/csv", 400, "serve.py:225-229"),
    (
        "header row is 415",
        HEADER + ONE,
        "text/csv",
        "text/csv",
        415,
        "encoder.py:55, serve.py:213-217",
    ),
    (
        "blank line between rows is 415",
        ONE + b"\n\n" + ONE,
        "text/csv",
        "text/csv",
        415,
        "encoder.py:55",
    ),
    ("ragged rows are 415", ONE + b"\n5.1,3.5", "text/csv", "text/csv", 415, "encoder.py:55"),
    ("non-number is 415", b"5.1,x,1.4,0.2", "text/csv", "text/csv", 415, "encoder.py:55"),
    ("inf is 415", b"5.1,inf,1.4,0.2", "text/csv", "text/csv", 415, "encoder.py:56 (DMatrix)"),
    ("not UTF-8 is 415", b"\xff\xfe", "text/csv", "text/csv", 415, "serve_utils.py:124"),
]


@pytest.mark.parametrize(
    ("case", "body", "content_type", "accept", "status", "where"),
    CONTAINER_TABLE,
    ids=[row[0] for row in CONTAINER_TABLE],
)
def test_the_local_endpoint_answers_as_the_built_in_container(
    endpoint: Client,
    container: Client,
    case: str,
    body: bytes,
    content_type: str,
    accept: str,
    status: int,
    where: str,
) -> None:
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    # The container contract, as SageMaker calls the container
    direct = container.post("/invocations", data=body, headers=headers)
    assert direct.status_code == status, f"{case}: {where}"
    if status == 200 and "json" not in accept:
        assert direct.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert direct.get_data(as_text=True).endswith("\n")
    if status == 200 and "json" in accept:
        assert direct.headers["Content-Type"] == "application/json"
    # Through the runtime API, a container's 4xx becomes ModelError with its status
    runtime = invoke(endpoint, body, content_type=content_type, accept=accept)
    if status >= 400:
        assert runtime.status_code == 424
        assert runtime.headers["x-amzn-ErrorType"] == "ModelError"
        assert runtime.get_json()["OriginalStatusCode"] == status
    else:
        assert runtime.status_code == status
        assert runtime.get_data() == direct.get_data()


def test_missing_values_are_what_xgboost_makes_of_them(endpoint: Client) -> None:
    # "5.1,,1.4,0.2" and "5.1,3.5,1.4" are rows with missing values, not errors
    fewer = invoke(endpoint, b"5.1,3.5,1.4", accept="application/json").get_json()
    missing_last = invoke(endpoint, b"5.1,3.5,1.4,", accept="application/json").get_json()
    assert fewer == missing_last


def test_the_stand_in_serves_only_aws_routes(endpoint: Client, container: Client) -> None:
    # The container contract is the container app's alone; the stand-in passes invocations to it
    assert endpoint.get("/ping").status_code == 404
    assert container.get("/ping").status_code == 200
    rejected = container.post(
        "/invocations", data=b"{}", headers={"Content-Type": "application/json"}
    )
    assert rejected.status_code == 415
    assert rejected.headers["Content-Type"] == "text/html; charset=utf-8"


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


@pytest.mark.parametrize(
    "objective", ["binary:logistic", "binary:hinge", "multi:softmax", "reg:tweedie", "survival:cox"]
)
def test_each_objective_is_answered_as_the_container_writes_it(
    objective: str, tmp_path: Path
) -> None:
    # Given a model of this objective, and CSV rows with a missing value (an empty cell)
    own = train_own_model(objective, tmp_path)
    booster = own.booster()
    rows = own.rows[:3].copy()
    rows[1][0] = float("nan")
    csv = "\n".join(
        ",".join("" if value != value else repr(float(value)) for value in row) for row in rows
    ).encode()
    served = Client(ContainerApp.serving(XGBoostModel(booster), BUILT_IN_INPUTS))
    predictions = booster.predict(xgb.DMatrix(rows), validate_features=False).tolist()
    # Then JSON is encode_predictions_as_json(preds.tolist()): one number per row, as "score"
    # (serve_utils.py:533-545), and CSV is array_to_csv's, a line per row (serve.py:246)
    as_json = served.post("/invocations", data=csv, headers={"Content-Type": "text/csv",
                                                             "Accept": "application/json"})  # fmt: skip
    assert as_json.get_json() == {"predictions": [{"score": score} for score in predictions]}
    as_csv = served.post("/invocations", data=csv, headers={"Content-Type": "text/csv"})
    assert as_csv.get_data() == "".join(f"{score!r}\n" for score in predictions).encode()


@pytest.mark.parametrize("objective", ["multi:softprob", "binary:logitraw", "reg:gamma"])
def test_predicting_in_place_is_the_containers_dmatrix_predict_bit_for_bit(
    objective: str, tmp_path: Path
) -> None:
    own = train_own_model(objective, tmp_path)
    booster = own.booster()
    rows = own.rows  # NaN where a value is missing
    in_place = XGBoostModel(booster).predict(rows)
    theirs = booster.predict(xgb.DMatrix(rows), validate_features=False)
    assert in_place.dtype == theirs.dtype and in_place.tobytes() == theirs.tobytes()


@pytest.mark.parametrize(
    "predictions",
    [
        np.array([0.1, 2.5e-07, 1e20, -3.0], dtype=np.float32),
        np.array([[0.5, 0.25, 0.25], [1e-08, 0.0, 1.0]], dtype=np.float32),
        np.array([np.nan, np.inf, 1.0], dtype=np.float32),
    ],
    ids=["numbers", "class probabilities", "not finite"],
)
def test_the_json_answer_is_json_dumps_byte_for_byte(predictions: np.ndarray) -> None:
    assert json_bytes(predictions) == json.dumps(format_json(predictions)).encode()
