"""Real processes over real HTTP: the local endpoint and `chalice local`, on free ports.

The Chalice project is copied to a temporary folder whose stage config points at the
endpoint's port: `chalice local` applies a stage's variables over the process's own.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import numpy as np
import pytest
import requests
from sklearn.datasets import load_iris

from scripts import processes
from tests.conftest import ENDPOINT_NAME, LOCAL_STAGE_ORIGIN, REPO_ROOT

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
CLASSES = ["setosa", "versicolor", "virginica"]


@dataclass
class Stack:
    endpoint_url: str
    proxy_url: str
    missing_endpoint_proxy_url: str


def project_copy(tmp_path: Path, endpoint_url: str) -> Path:
    project = tmp_path / "chalice_app"
    shutil.copytree(
        REPO_ROOT / "chalice_app",
        project,
        ignore=shutil.ignore_patterns("deployments", "__pycache__"),
    )
    config_path = project / ".chalice" / "config.json"
    config = json.loads(config_path.read_text())
    local = config["stages"]["local"]["environment_variables"]
    local["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = endpoint_url
    local["AWS_ENDPOINT_URL_SAGEMAKER"] = endpoint_url
    config["stages"]["missing"] = json.loads(json.dumps(config["stages"]["local"]))
    config["stages"]["missing"]["environment_variables"]["SAGEMAKER_ENDPOINT_NAME"] = (
        "no-such-endpoint"
    )
    config_path.write_text(json.dumps(config))
    return project


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp_path = tmp_path_factory.mktemp("e2e")
    endpoint_port = processes.free_port()
    endpoint_url = f"http://127.0.0.1:{endpoint_port}"
    started = []
    try:
        endpoint = processes.start(
            processes.python_command(
                "-m",
                "serving",
                "--model",
                str(trained_model / "model.tar.gz"),
                "--port",
                str(endpoint_port),
                "--endpoint-name",
                ENDPOINT_NAME,
            ),
            cwd=REPO_ROOT,
            log=tmp_path / "endpoint.log",
        )
        started.append(endpoint)
        processes.wait_for_http(f"{endpoint_url}/ping", endpoint)
        project = project_copy(tmp_path, endpoint_url)
        urls = []
        for stage in ("local", "missing"):
            port = processes.free_port()
            proxy = processes.start(
                [
                    processes.chalice_executable(),
                    "local",
                    "--stage",
                    stage,
                    "--port",
                    str(port),
                    "--no-autoreload",
                ],
                cwd=project,
                log=tmp_path / f"chalice-{stage}.log",
            )
            started.append(proxy)
            processes.wait_for_http(f"http://127.0.0.1:{port}/health", proxy)
            urls.append(f"http://127.0.0.1:{port}")
        yield Stack(endpoint_url, urls[0], urls[1])
    finally:
        for process in reversed(started):
            processes.stop(process)


def as_record(row: np.ndarray) -> dict[str, float]:
    return {name: float(value) for name, value in zip(FEATURES, row, strict=True)}


def test_every_iris_row_is_classified_through_the_proxy(stack: Stack) -> None:
    iris = load_iris()
    labels = []
    with requests.Session() as session:
        for row in iris.data:
            response = session.post(f"{stack.proxy_url}/predict", json=as_record(row), timeout=10)
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
        f"{stack.missing_endpoint_proxy_url}/predict",
        json=as_record(load_iris().data[0]),
        timeout=10,
    )
    assert response.status_code == 503
    assert response.json()["Code"] == "ServiceUnavailableError"
    assert "123456789012" not in response.text


def test_deep_health_asks_the_endpoint(stack: Stack) -> None:
    assert requests.get(f"{stack.proxy_url}/health?deep=true", timeout=10).status_code == 200
    assert (
        requests.get(f"{stack.missing_endpoint_proxy_url}/health?deep=true", timeout=10).status_code
        == 503
    )


def test_browser_preflight_from_the_allowed_origin(stack: Stack) -> None:
    response = requests.options(
        f"{stack.proxy_url}/predict",
        headers={
            "Origin": LOCAL_STAGE_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == LOCAL_STAGE_ORIGIN


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
