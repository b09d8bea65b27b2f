"""Every upstream fault over real HTTP: status, attempts made, and time inside the budget.

The proxy runs in Chalice's test client with a stage whose SageMaker runtime is the fault
fake (through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME) and whose timeouts are short (1 s connect,
1 s read, 2 attempts: worst case 5 s), so the slow cases stay quick; the same formula
gives the deployed stages' 21 s.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from chalice.test import Client

from chalicelib import clients
from chalicelib.settings import Settings
from foundation import processes
from local_sagemaker.fake_runtime import Fault, FaultyRuntime, answer, aws_error, faulty_runtime
from tests.support import REPO_ROOT

# Each test asserts the time an answer took against the deadline: never run beside the parallel
# workers of make test, whose load would stretch it.
pytestmark = pytest.mark.timed

SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
LEAKY = "Endpoint iris-xgboost of account 123456789012 not found. arn:aws:sagemaker:us-east-1:123456789012:x"
FAULT_STAGE_TIMEOUTS = {
    "SAGEMAKER_CONNECT_TIMEOUT_SECONDS": "1",
    "SAGEMAKER_READ_TIMEOUT_SECONDS": "1",
    "SAGEMAKER_MAX_ATTEMPTS": "2",
}
WORST_CASE = Settings.from_environ(
    {**FAULT_STAGE_TIMEOUTS, "SAGEMAKER_ENDPOINT_NAME": "e"}
).worst_case_seconds()
# What the test client and a loaded 2-core machine add to the proxy's own deadline (a trickle
# answered in 5.08-5.21 s alone, once 5.6 s while other suites ran).
SLACK = 1.0


def fault_stage_project(tmp_path: Path, runtime_url: str) -> Path:
    project = tmp_path / "chalice_app"
    (project / ".chalice").mkdir(parents=True)
    shutil.copy(
        REPO_ROOT / "chalice_app" / ".chalice" / "config.json", project / ".chalice" / "config.json"
    )
    config = json.loads((project / ".chalice" / "config.json").read_text())
    config["stages"]["faults"] = {
        "environment_variables": {
            **FAULT_STAGE_TIMEOUTS,
            "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": runtime_url,
            "AWS_ENDPOINT_URL_SAGEMAKER": runtime_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    }
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    return project


@pytest.fixture
def runtime() -> Iterator[FaultyRuntime]:
    with faulty_runtime() as fake:
        yield fake


def client_for(tmp_path: Path, runtime_url: str) -> Client:
    from app import app

    clients.reset()
    return Client(
        app, stage_name="faults", project_dir=str(fault_stage_project(tmp_path, runtime_url))
    )


def timed_post(api: Client) -> tuple[object, float]:
    started = time.perf_counter()
    response = api.http.post(
        "/predict", headers={"Content-Type": "application/json"}, body=json.dumps(SETOSA)
    )
    return response, time.perf_counter() - started


GOOD_ANSWER = b'{"predictions": [{"score": [0.9, 0.05, 0.05]}]}'
# What a client is told to wait; none where retrying cannot help (a misconfigured stage) or
# where the proxy already waited its whole budget (timeouts).
RETRY_AFTER = {
    "model not ready": "5",
    "throttled": "1",
    "throttled, message null": "1",
    "service unavailable": "2",
    "dropped connection": "2",
    "dropped mid-body": "2",
}


def raw_error(code: str | None, status: int, body: bytes) -> Fault:
    return Fault(status=status, error_code=code, body=body)


def aws_error_trickled(seconds: float) -> Fault:
    fault = aws_error("InternalFailure", 500, LEAKY)
    fault.trickle_seconds = seconds
    return fault


FAULTS = [
    # (case, fault, our status, attempts botocore makes)
    ("endpoint not found", aws_error("ValidationError", 400, LEAKY), 503, 1),
    (
        "model rejects input",
        aws_error("ModelError", 424, LEAKY, OriginalStatusCode=400, OriginalMessage="bad"),
        422,
        1,
    ),
    (
        "model fails",
        aws_error("ModelError", 424, LEAKY, OriginalStatusCode=500, OriginalMessage="boom"),
        502,
        1,
    ),
    ("model not ready", aws_error("ModelNotReadyException", 429, LEAKY), 503, 1),
    ("throttled", aws_error("ThrottlingException", 400, "Rate exceeded"), 429, 2),
    # What SageMaker sends when throttling (opensearch-project/ml-commons#2429).
    (
        "throttled, message null",
        raw_error("ThrottlingException", 400, b'{"message": null}'),
        429,
        2,
    ),
    (
        "validation error, message null",
        raw_error("ValidationError", 400, b'{"message": null}'),
        503,
        1,
    ),
    (
        "error, message a number",
        raw_error("ModelError", 424, b'{"message": 7, "OriginalStatusCode": "400"}'),
        422,
        1,
    ),
    ("error, body not JSON", raw_error("InternalFailure", 500, b"<html>oops</html>"), 502, 2),
    ("error, no code at all", raw_error(None, 500, b"{}"), 502, 2),
    ("internal failure", aws_error("InternalFailure", 500, LEAKY), 502, 2),
    ("service unavailable", aws_error("ServiceUnavailable", 503, LEAKY), 503, 2),
    ("internal dependency", aws_error("InternalDependencyException", 530, LEAKY), 502, 1),
    ("slow past the read timeout", Fault(body=GOOD_ANSWER, delay_seconds=1.5), 504, 2),
    # Each byte inside the 1 s read timeout: only the proxy's own deadline ends these.
    ("answer trickled a byte every 0.2 s", Fault(body=GOOD_ANSWER, trickle_seconds=0.2), 504, 1),
    ("error trickled a byte every 0.5 s", aws_error_trickled(0.5), 504, 1),
    ("stall after the headers", Fault(body=GOOD_ANSWER, stall_after_headers=True), 504, 1),
    # The endpoint went away: safe to retry, so 503 with Retry-After.
    ("dropped connection", Fault(drop_connection=True), 503, 2),
    ("dropped mid-body", Fault(body=GOOD_ANSWER, drop_mid_body=True), 503, 1),
    ("200 not the model's format", answer(b"0.9,0.05,0.05"), 502, 1),
    (
        "200 with the wrong row count",
        answer(GOOD_ANSWER.replace(b"]}]", b']}, {"score": [1, 0, 0]}]')),
        502,
        1,
    ),
    ("healthy", answer(GOOD_ANSWER), 200, 1),
]


@pytest.mark.parametrize(
    ("case", "fault", "status", "attempts"), FAULTS, ids=[f[0] for f in FAULTS]
)
def test_fault_gets_documented_status_attempts_and_time(
    runtime: FaultyRuntime, tmp_path: Path, case: str, fault: Fault, status: int, attempts: int
) -> None:
    runtime.fault = fault
    with client_for(tmp_path, runtime.url) as api:
        response, elapsed = timed_post(api)
    assert response.status_code == status, response.body  # type: ignore[attr-defined]
    assert runtime.attempts == attempts
    assert elapsed <= WORST_CASE + SLACK
    assert response.headers.get("Retry-After") == RETRY_AFTER.get(case)  # type: ignore[attr-defined]
    body = response.body.decode()  # type: ignore[attr-defined]
    for secret in ("123456789012", "arn:", "Traceback", "boom"):
        assert secret not in body


def test_refused_connection_is_503_with_retry_after(tmp_path: Path) -> None:
    nothing_listens = f"http://127.0.0.1:{processes.free_port()}"
    with client_for(tmp_path, nothing_listens) as api:
        response, elapsed = timed_post(api)
    assert response.status_code == 503  # type: ignore[attr-defined]
    assert response.headers["Retry-After"] == "5"  # type: ignore[attr-defined]
    assert elapsed <= WORST_CASE + SLACK


def test_deployed_budget_is_inside_api_gateway() -> None:
    # 2 attempts x (2 s connect + 8 s read) + at most 1 s backoff: the figure the README gives.
    assert Settings(endpoint_name="e").worst_case_seconds() == 21.0


def test_a_client_that_cannot_be_made_is_503_not_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a stage with no region anywhere (a deployment fault, not the client's)
    project = fault_stage_project(tmp_path, "http://127.0.0.1:9")
    config = json.loads((project / ".chalice" / "config.json").read_text())
    del config["stages"]["faults"]["environment_variables"]["AWS_DEFAULT_REGION"]
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    from app import app

    clients.reset()
    with Client(app, stage_name="faults", project_dir=str(project)) as api:
        response, _ = timed_post(api)
    assert response.status_code == 503  # type: ignore[attr-defined]
    assert "Region" not in response.body.decode()  # type: ignore[attr-defined]


def test_the_lambdas_remaining_time_bounds_the_call(runtime: FaultyRuntime, tmp_path: Path) -> None:
    # Given a stage whose Lambda stops after 2 s, well inside the 5 s budget of its timeouts
    project = fault_stage_project(tmp_path, runtime.url)
    config = json.loads((project / ".chalice" / "config.json").read_text())
    config["stages"]["faults"]["lambda_timeout"] = 2
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    runtime.fault = Fault(body=GOOD_ANSWER, trickle_seconds=0.2)
    from app import app

    clients.reset()
    # When the upstream trickles its answer
    with Client(app, stage_name="faults", project_dir=str(project)) as api:
        response, elapsed = timed_post(api)
    # Then the proxy answers 504 itself before the Lambda would be stopped
    assert response.status_code == 504  # type: ignore[attr-defined]
    assert elapsed < 2.0


def test_chalice_local_keeps_the_deadline_on_its_request_threads(
    runtime: FaultyRuntime, trained_model: Path, tmp_path: Path
) -> None:
    # `chalice local` serves each request on a thread of its own, where the deadline is kept
    # by a worker thread rather than the main thread's alarm: a trickle through a real process
    from local_sagemaker.stack import Layout, running_stack

    stage = {**FAULT_STAGE_TIMEOUTS, "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": runtime.url}
    layout = Layout.isolated(tmp_path, {"faults": stage})
    runtime.fault = Fault(body=GOOD_ANSWER, trickle_seconds=0.2)
    with running_stack(trained_model / "model.tar.gz", layout) as stack:
        started = time.perf_counter()
        answer = requests.post(f"{stack.stage_urls['faults']}/predict", json=SETOSA, timeout=30)
        elapsed = time.perf_counter() - started
    assert answer.status_code == 504
    assert answer.json()["Code"] == "GatewayTimeoutError"
    assert elapsed <= WORST_CASE + SLACK
    assert runtime.attempts == 1


def test_a_trickled_describe_endpoint_is_a_504_within_the_budget(
    runtime: FaultyRuntime, tmp_path: Path
) -> None:
    # The deep health check's DescribeEndpoint is held to the same deadline as an invocation
    runtime.fault = Fault(body=b'{"EndpointStatus": "InService"}', trickle_seconds=0.2)
    with client_for(tmp_path, runtime.url) as api:
        started = time.perf_counter()
        response = api.http.get("/health?deep=true")
        elapsed = time.perf_counter() - started
    assert response.status_code == 504
    assert response.json_body["Code"] == "GatewayTimeoutError"
    assert elapsed <= WORST_CASE + SLACK
