"""The request's log line is a valid CloudWatch embedded-metric-format document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.support import StubbedSageMaker, model_answer

JSON = {"Content-Type": "application/json"}
SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
UNITS = {"Count", "Milliseconds"}  # among the units CloudWatch accepts


def log_line(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    return json.loads(lines[0])


def metrics_of(document: dict[str, Any]) -> dict[str, dict[tuple[str, ...], float]]:
    """Check the document against the EMF specification; return value by metric and dimensions."""
    aws = document["_aws"]
    assert isinstance(aws["Timestamp"], int) and aws["Timestamp"] > 1_700_000_000_000
    found: dict[str, dict[tuple[str, ...], float]] = {}
    assert len(aws["CloudWatchMetrics"]) >= 1
    for directive in aws["CloudWatchMetrics"]:
        assert directive["Namespace"] == "SageMakerProxy"
        assert 1 <= len(directive["Metrics"]) <= 100
        for dimension_set in directive["Dimensions"]:
            assert 1 <= len(dimension_set) <= 30
            for name in dimension_set:
                assert isinstance(document[name], str) and document[name]
        for metric in directive["Metrics"]:
            assert metric["Unit"] in UNITS
            value = document[metric["Name"]]
            assert isinstance(value, (int, float)) and not isinstance(value, bool)
            for dimension_set in directive["Dimensions"]:
                key = tuple(f"{name}={document[name]}" for name in dimension_set)
                found.setdefault(metric["Name"], {})[key] = value
    return found


def test_a_prediction_counts_a_request_and_its_upstream_latency(
    api: Client, sagemaker: StubbedSageMaker, capsys: pytest.CaptureFixture[str]
) -> None:
    sagemaker.runtime.add_response("invoke_endpoint", model_answer([0.9, 0.05, 0.05]))
    api.http.post("/predict", headers=JSON, body=json.dumps(SETOSA))
    document = log_line(capsys)
    metrics = metrics_of(document)
    function = ("FunctionName=local",)
    assert metrics["Requests"] == {function: 1}
    assert metrics["ValidationRejections"] == {function: 0}
    assert metrics["UpstreamLatency"][function] == document["upstream_ms"] >= 0
    assert "UpstreamErrors" not in metrics


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("{", JSON),
        (json.dumps({**SETOSA, "sepal_width": -1}), JSON),
        ("1,2,3,4", {"Content-Type": "text/csv"}),
    ],
    ids=["not json", "out of range", "not json content type"],
)
def test_a_refused_input_counts_a_validation_rejection(
    api: Client,
    sagemaker: StubbedSageMaker,
    capsys: pytest.CaptureFixture[str],
    body: str,
    headers: dict[str, str],
) -> None:
    api.http.post("/predict", headers=headers, body=body)
    metrics = metrics_of(log_line(capsys))
    assert metrics["ValidationRejections"] == {("FunctionName=local",): 1}
    assert "UpstreamLatency" not in metrics and "UpstreamErrors" not in metrics


def test_an_upstream_error_is_counted_by_type_with_its_latency(
    api: Client, sagemaker: StubbedSageMaker, capsys: pytest.CaptureFixture[str]
) -> None:
    sagemaker.runtime.add_client_error(
        "invoke_endpoint", service_error_code="ThrottlingException", http_status_code=400
    )
    api.http.post("/predict", headers=JSON, body=json.dumps(SETOSA))
    metrics = metrics_of(log_line(capsys))
    assert metrics["UpstreamErrors"] == {
        ("FunctionName=local",): 1,
        ("FunctionName=local", "ErrorType=TooManyRequestsError"): 1,
    }
    assert metrics["ValidationRejections"] == {("FunctionName=local",): 0}
    assert ("FunctionName=local",) in metrics["UpstreamLatency"]


def test_the_lambdas_name_is_the_dimension_when_deployed(
    api: Client,
    sagemaker: StubbedSageMaker,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "sagemaker-proxy-prod")
    api.http.get("/health")
    metrics = metrics_of(log_line(capsys))
    assert metrics["Requests"] == {("FunctionName=sagemaker-proxy-prod",): 1}
