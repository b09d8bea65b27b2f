"""Real processes over real HTTP: the local endpoint and `chalice local` (see local_stack).

Each request goes on a new connection: `chalice local` writes headers and body in separate
packets, so a kept-alive connection waits ~40 ms for the client's delayed ACK every time.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.session
import numpy as np
import requests
from sklearn.datasets import load_iris

from local_sagemaker.stack import Stack
from tests.support import ENDPOINT_NAME

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
CLASSES = ["setosa", "versicolor", "virginica"]


def as_record(row: np.ndarray) -> dict[str, float]:
    return {name: float(value) for name, value in zip(FEATURES, row, strict=True)}


def test_every_iris_row_is_classified_through_the_proxy(stack: Stack) -> None:
    iris = load_iris()
    labels = []
    for row in iris.data:
        response = requests.post(f"{stack.proxy_url}/predict", json=as_record(row), timeout=10)
        assert response.status_code == 200, response.text
        labels.append(response.json()["predictions"][0]["label"])
    accuracy = np.mean(
        [label == CLASSES[target] for label, target in zip(labels, iris.target, strict=True)]
    )
    assert len(labels) == 150
    assert accuracy >= 0.9


def test_proxy_and_direct_boto3_give_the_same_probabilities(stack: Stack) -> None:
    rows = load_iris().data[::2][:75]
    proxied = requests.post(
        f"{stack.proxy_url}/predict",
        json={"instances": [as_record(row) for row in rows]},
        timeout=10,
    )
    assert proxied.status_code == 200
    runtime = boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        endpoint_url=stack.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    direct = runtime.invoke_endpoint(
        EndpointName=ENDPOINT_NAME,
        Body="\n".join(",".join(repr(float(v)) for v in row) for row in rows),
        ContentType="text/csv",
        Accept="application/json",
    )
    direct_scores = [row["score"] for row in json.loads(direct["Body"].read())["predictions"]]
    proxied_scores = [
        [prediction["probabilities"][name] for name in CLASSES]
        for prediction in proxied.json()["predictions"]
    ]
    assert proxied_scores == direct_scores
    assert proxied.json()["variant"] == direct["InvokedProductionVariant"]


def test_unknown_endpoint_name_is_503_without_the_account(stack: Stack) -> None:
    response = requests.post(
        f"{stack.stage_urls['missing']}/predict",
        json=as_record(load_iris().data[0]),
        timeout=10,
    )
    assert response.status_code == 503
    assert response.json()["Code"] == "ServiceUnavailableError"
    assert "123456789012" not in response.text


def test_deep_health_asks_the_endpoint(stack: Stack) -> None:
    assert requests.get(f"{stack.proxy_url}/health?deep=true", timeout=10).status_code == 200
    assert (
        requests.get(f"{stack.stage_urls['missing']}/health?deep=true", timeout=10).status_code
        == 503
    )


def test_browser_preflight_from_the_allowed_origin(stack: Stack) -> None:
    response = requests.options(
        f"{stack.proxy_url}/predict",
        headers={
            "Origin": stack.web_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == stack.web_origin


def test_concurrent_requests_each_get_their_own_answer(stack: Stack, trained_model: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from serving.model import XGBoostModel

    # Given 240 distinct records and what the model says for each, computed directly
    rng = np.random.default_rng(7)
    rows = np.round(rng.uniform(0.1, 8.0, size=(240, 4)), 2)
    model = XGBoostModel.from_artifact(trained_model / "model.tar.gz")
    expected = model.predict_csv(
        "\n".join(",".join(repr(float(v)) for v in row) for row in rows).encode()
    )

    def classify(index: int) -> tuple[int, list[float]]:
        response = requests.post(
            f"{stack.proxy_url}/predict", json=as_record(rows[index]), timeout=30
        )
        assert response.status_code == 200, response.text
        probabilities = response.json()["predictions"][0]["probabilities"]
        return index, [probabilities[name] for name in CLASSES]

    # When four clients send them at once
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = dict(pool.map(classify, range(len(rows))))

    # Then none is lost and each answer is the one for its own record
    assert sorted(answers) == list(range(len(rows)))
    for index, probabilities in answers.items():
        assert probabilities == [float(p) for p in expected[index]], index


SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


def test_a_pinned_variant_answers(stack: Stack) -> None:
    response = requests.post(f"{stack.stage_urls['canary']}/predict", json=SETOSA, timeout=10)
    assert response.status_code == 200
    assert response.json()["variant"] == "Canary"


def test_a_variant_the_endpoint_lacks_is_503_and_the_log_says_why(stack: Stack) -> None:
    # A stage with a wrong SAGEMAKER_TARGET_VARIANT fails here as it would on AWS
    url = stack.stage_urls["wrong-variant"]
    response = requests.post(f"{url}/predict", json=SETOSA, timeout=10)
    assert response.status_code == 503
    assert "Retry-After" not in response.headers  # retrying cannot mend a stage's configuration
    assert "NoSuchVariant" not in response.text and "123456789012" not in response.text
    line = next(
        record
        for record in stack.log_records("chalice-wrong-variant")
        if record.get("request_id") == response.json()["RequestId"]
    )
    assert "stage configuration refused" in line["detail"] and "NoSuchVariant" in line["detail"]


def set_endpoint_status(stack: Stack, status: str) -> None:
    answer = requests.put(
        f"{stack.endpoint_url}/_local/endpoints/{ENDPOINT_NAME}/status", data=status, timeout=5
    )
    assert answer.status_code == 204


def test_deep_health_follows_every_endpoint_status(stack: Stack) -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    serving = {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
    try:
        for status in model.shape_for("EndpointStatus").enum:
            set_endpoint_status(stack, status)
            response = requests.get(f"{stack.proxy_url}/health?deep=true", timeout=10)
            assert response.status_code == (200 if status in serving else 503), status
            if status in serving:
                assert response.json()["endpoint_status"] == status
    finally:
        set_endpoint_status(stack, "InService")
