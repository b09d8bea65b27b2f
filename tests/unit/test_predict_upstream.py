"""POST /predict when SageMaker fails or answers oddly, and what every answer carries: the log
line, CORS, the preflight."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from tests.support import ENDPOINT_NAME, LOCAL_STAGE_ORIGIN, LOCAL_STAGE_ORIGINS, StubbedSageMaker
from tests.unit.requests_to_predict import JSON, SETOSA, VIRGINICA, expect_invoke, post

UPSTREAM_ERRORS = [
    # (SageMaker error code, its HTTP status, extra modelled fields, our status, our code, Retry-After)
    ("ValidationError", 400, {}, 503, "ServiceUnavailableError", None),
    ("ModelError", 424, {"OriginalStatusCode": 400}, 422, "ModelRejectedInputError", None),
    ("ModelError", 424, {"OriginalStatusCode": 500}, 502, "BadGatewayError", None),
    ("ModelNotReadyException", 429, {}, 503, "ServiceUnavailableError", "5"),
    ("ThrottlingException", 400, {}, 429, "TooManyRequestsError", "1"),
    ("InternalFailure", 500, {}, 502, "BadGatewayError", None),
    ("ServiceUnavailable", 503, {}, 503, "ServiceUnavailableError", "2"),
    ("InternalDependencyException", 530, {}, 502, "BadGatewayError", None),
    ("AccessDeniedException", 400, {}, 502, "BadGatewayError", None),
]


@pytest.mark.parametrize(
    ("sagemaker_code", "sagemaker_status", "fields", "status", "code", "retry_after"),
    UPSTREAM_ERRORS,
    ids=[f"{e[0]}-{e[2].get('OriginalStatusCode', '')}" for e in UPSTREAM_ERRORS],
)
def test_upstream_errors_map_to_documented_status_without_leaking(
    api: Client,
    sagemaker: StubbedSageMaker,
    capsys: pytest.CaptureFixture[str],
    sagemaker_code: str,
    sagemaker_status: int,
    fields: dict[str, Any],
    status: int,
    code: str,
    retry_after: str | None,
) -> None:
    leaky_message = (
        f"Endpoint {ENDPOINT_NAME} of account 123456789012 not found. "
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/x "
        "Traceback (most recent call last): model internals"
    )
    sagemaker.runtime.add_client_error(
        "invoke_endpoint",
        service_error_code=sagemaker_code,
        service_message=leaky_message,
        http_status_code=sagemaker_status,
        modeled_fields=fields or None,
    )
    response = post(api, SETOSA)
    assert response.status_code == status
    assert response.json_body["Code"] == code
    assert response.headers.get("Retry-After") == retry_after
    for secret in ("123456789012", "arn:", "Traceback", "internals"):
        assert secret not in response.body.decode()
    # The details go to the log line, with the request id.
    log = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert log["request_id"] == response.json_body["RequestId"]
    assert sagemaker_code in log["detail"]


BAD_ANSWERS = [
    # (case, payload, what the log line says it got)
    ("not json", b"0.9,0.05,0.05", "not JSON"),
    # Built-in XGBoost 1.0-1 and 1.2-1 ignore Accept and answer rows as text.
    ("old container, one row", b"[0.9, 0.05, 0.05]", "[float x3]"),
    ("old container, two rows", b"[0.9, 0.05, 0.05],[0.1, 0.2, 0.7]", "not JSON"),
    # SAGEMAKER_INFERENCE_OUTPUT on the model renames the keys (serve_utils.py, 3.0-5).
    (
        "selectable inference output",
        b'{"predictions": [{"predicted_label": 0, "probabilities": [0.9, 0.05, 0.05]}]}',
        "'predicted_label'",
    ),
    ("wrong top-level shape", b'{"scores": [[0.9, 0.05, 0.05]]}', "'scores'"),
    (
        "wrong row count",
        b'{"predictions": [{"score": [0.9, 0.05, 0.05]}, {"score": [1, 0, 0]}]}',
        "2 rows for 1",
    ),
    ("wrong class count", b'{"predictions": [{"score": [0.9, 0.1]}]}', "2 scores for 3"),
    ("non-numbers", b'{"predictions": [{"score": ["a", "b", "c"]}]}', "str"),
    ("NaN", b'{"predictions": [{"score": [NaN, 0.5, 0.5]}]}', "problems"),
    ("out of range", b'{"predictions": [{"score": [7.0, 0.5, 0.5]}]}', "problems"),
]


@pytest.mark.parametrize(
    ("case", "payload", "logged"), BAD_ANSWERS, ids=[a[0] for a in BAD_ANSWERS]
)
def test_bad_model_answer_is_502_and_the_log_says_what_came(
    api: Client,
    sagemaker: StubbedSageMaker,
    capsys: pytest.CaptureFixture[str],
    case: str,
    payload: bytes,
    logged: str,
) -> None:
    import io

    from botocore.response import StreamingBody

    sagemaker.runtime.add_response(
        "invoke_endpoint",
        {
            "Body": StreamingBody(io.BytesIO(payload), len(payload)),
            "ContentType": "application/json",
        },
    )
    response = post(api, SETOSA)
    assert response.status_code == 502
    assert response.json_body["Code"] == "BadGatewayError"
    log = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert logged in log["detail"]


def test_one_json_log_line_per_request(
    api: Client, sagemaker: StubbedSageMaker, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3", [1, 0, 0], [0, 0, 1])
    response = post(api, {"instances": [SETOSA, VIRGINICA]})
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    log = json.loads(lines[0])
    assert log["request_id"] == response.headers["X-Request-Id"]
    assert log["route"] == "POST /predict"
    assert log["status"] == 200
    assert log["batch_size"] == 2
    assert log["endpoint"] == ENDPOINT_NAME
    assert log["variant"] == "AllTraffic"
    assert log["latency_ms"] >= log["upstream_ms"] >= 0


@pytest.mark.parametrize("origin", LOCAL_STAGE_ORIGINS)
def test_each_listed_origin_gets_its_own_origin_back(
    api: Client, sagemaker: StubbedSageMaker, origin: str
) -> None:
    expect_invoke(sagemaker, b"5.1,3.5,1.4,0.2", [1, 0, 0])
    allowed = post(api, SETOSA, {**JSON, "Origin": origin})
    assert allowed.headers["Access-Control-Allow-Origin"] == origin
    assert allowed.headers["Vary"] == "Origin"


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://localhost:5174",
        "http://localhost",
        "http://127.0.0.1:8001.evil.example",
        "null",
        "http://LOCALHOST:5173",
    ],
)
def test_cors_allows_only_the_stages_origins(
    api: Client, sagemaker: StubbedSageMaker, origin: str
) -> None:
    other = post(api, b"{}", {**JSON, "Origin": origin})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert other.headers["Vary"] == "Origin"


def test_errors_carry_the_cors_headers(api: Client, sagemaker: StubbedSageMaker) -> None:
    # Errors carry the CORS headers too, so a browser can read them.
    rejected = post(api, b"{}", {**JSON, "Origin": LOCAL_STAGE_ORIGIN})
    assert rejected.status_code == 400
    assert rejected.headers["Access-Control-Allow-Origin"] == LOCAL_STAGE_ORIGIN


def test_preflight_answers_without_calling_sagemaker(
    api: Client, sagemaker: StubbedSageMaker
) -> None:
    response = api.http.request(
        "OPTIONS",
        "/predict",
        headers={"Origin": LOCAL_STAGE_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == LOCAL_STAGE_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert sagemaker.calls == []
