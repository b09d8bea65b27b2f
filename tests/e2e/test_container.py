"""The serving container's contract, without Docker: its entry point as a real process.

SageMaker starts the image with ``serve``, sends ``GET /ping`` until it answers 200 and then
``POST /invocations``; the model is unpacked in /opt/ml/model (SM_MODEL_DIR here).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import requests

from foundation import processes
from foundation.paths import REPO_ROOT
from serving.entrypoint import SettingError, gunicorn_command
from serving.model import XGBoostModel

CONTAINER_DIR = REPO_ROOT / "container"
ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
CSV = "\n".join(",".join(str(v) for v in row) for row in ROWS)


def start_container(model_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = processes.free_port()
    process = processes.start(
        processes.python_command("-m", "serving.entrypoint", "serve"),
        cwd=REPO_ROOT,
        env={
            "SM_MODEL_DIR": str(model_dir),
            "SAGEMAKER_BIND_TO_PORT": str(port),
            "SAGEMAKER_MODEL_SERVER_WORKERS": "2",
        },
        log=log,
    )
    url = f"http://127.0.0.1:{port}"
    processes.wait_for_http(f"{url}/ping", process)
    return process, url


@pytest.fixture(scope="module")
def model_dir(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model.tar.gz unpacked the way SageMaker does into /opt/ml/model."""
    directory = tmp_path_factory.mktemp("opt-ml-model")
    with tarfile.open(trained_model / "model.tar.gz") as tar:
        tar.extractall(directory, filter="data")
    return directory


@pytest.fixture(scope="module")
def container(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_container(model_dir, tmp_path_factory.mktemp("container") / "log")
    try:
        assert requests.get(f"{url}/ping", timeout=30).status_code == 200
        yield url
    finally:
        processes.stop(process)


def expected_probabilities(model_dir: Path) -> np.ndarray:
    return XGBoostModel.from_artifact(model_dir).predict_rows(np.asarray(ROWS, dtype=np.float32))


def test_csv_in_csv_out_as_the_model_predicts(container: str, model_dir: Path) -> None:
    response = requests.post(
        f"{container}/invocations", data=CSV, headers={"Content-Type": "text/csv"}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    answered = [[float(v) for v in line.split(",")] for line in response.text.splitlines()]
    assert answered == expected_probabilities(model_dir).tolist()


def test_json_in_json_out(container: str, model_dir: Path) -> None:
    response = requests.post(
        f"{container}/invocations",
        json={"instances": ROWS},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200
    scores = [row["score"] for row in response.json()["predictions"]]
    assert scores == expected_probabilities(model_dir).tolist()


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", CSV, 415),
        ("application/x-recordio-protobuf", b"\x00", 415),
        # CSV is read as the built-in container reads it (tests/test_serving.py has the table)
        ("text/csv", "5.1,3.5,1.4,0.2,9", 400),
        ("text/csv", "5.1,x,1.4,0.2", 415),
        ("text/csv", "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2", 415),
        ("application/json", '{"instances": [[5.1, 3.5, 1.4, "x"]]}', 400),
        ("application/json", '{"instances": [', 400),
    ],
)
def test_unreadable_input_gets_the_container_status(
    container: str, content_type: str, body: str | bytes, status: int
) -> None:
    response = requests.post(
        f"{container}/invocations", data=body, headers={"Content-Type": content_type}, timeout=30
    )
    assert response.status_code == status
    # As the built-in container's Flask answers errors: the reason as text
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.text


def test_every_worker_serves_as_soon_as_ping_answers_200(model_dir: Path, tmp_path: Path) -> None:
    # SageMaker sends traffic after the first 200: no worker may still be loading then.
    process, url = start_container(model_dir, tmp_path / "log")
    try:
        assert requests.get(f"{url}/ping", timeout=30).status_code == 200
        statuses = [
            requests.post(
                f"{url}/invocations", data=CSV, headers={"Content-Type": "text/csv"}, timeout=10
            ).status_code
            for _ in range(40)
        ]
        assert statuses == [200] * 40
    finally:
        processes.stop(process)


def test_ping_is_503_when_the_model_cannot_be_loaded(tmp_path: Path) -> None:
    process, url = start_container(tmp_path / "empty", tmp_path / "log")
    try:
        response = requests.get(f"{url}/ping", timeout=10)
        assert response.status_code == 503
        assert response.json() == {"status": "failed"}
        invocation = requests.post(
            f"{url}/invocations", data=CSV, headers={"Content-Type": "text/csv"}, timeout=10
        )
        assert invocation.status_code == 503
        assert "model not loaded" in (tmp_path / "log").read_text()
    finally:
        processes.stop(process)


def test_sigterm_drains_and_exits_cleanly(model_dir: Path, tmp_path: Path) -> None:
    process, _ = start_container(model_dir, tmp_path / "log")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert "Shutting down: Master" in (tmp_path / "log").read_text()


def test_anything_but_serve_is_refused() -> None:
    finished = subprocess.run(
        processes.python_command("-m", "serving.entrypoint", "train"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert finished.returncode == 2
    assert "usage: serve" in finished.stderr


def test_workers_and_timeouts_come_from_the_environment() -> None:
    command = gunicorn_command(
        {
            "SAGEMAKER_BIND_TO_PORT": "9000",
            "SAGEMAKER_MODEL_SERVER_WORKERS": "3",
            "SAGEMAKER_MODEL_SERVER_TIMEOUT": "45",
        }
    )
    assert "--bind=0.0.0.0:9000" in command
    assert "--workers=3" in command
    assert "--timeout=45" in command
    assert command[-1] == "serving.container:create_app()"
    # No control socket: it would be written under $HOME, which the image's user has none of
    assert "--no-control-socket" in command
    with pytest.raises(SettingError, match="SAGEMAKER_MODEL_SERVER_WORKERS"):
        gunicorn_command({"SAGEMAKER_MODEL_SERVER_WORKERS": "0"})


def test_workers_keep_connections_alive_and_log_requests_only_when_asked() -> None:
    # Threaded workers keep a client's connection open, as the built-in container's gevent ones
    command = gunicorn_command({})
    assert "--worker-class=gthread" in command and "--keep-alive=60" in command
    # No access log by default (the built-in container writes none); one when asked
    assert not any(part.startswith("--access-logfile") for part in command)
    assert "--access-logfile=-" in gunicorn_command({"SERVING_ACCESS_LOG": "true"})
    with pytest.raises(SettingError, match="SERVING_ACCESS_LOG"):
        gunicorn_command({"SERVING_ACCESS_LOG": "yes"})


def test_one_connection_carries_many_requests(model_dir: Path) -> None:
    import http.client

    port = processes.free_port()
    server = processes.start(
        [sys.executable, "-m", "serving.entrypoint", "serve"],
        cwd=REPO_ROOT,
        env={"SM_MODEL_DIR": str(model_dir), "SAGEMAKER_BIND_TO_PORT": str(port),
             "SAGEMAKER_MODEL_SERVER_WORKERS": "1"},
    )  # fmt: skip
    try:
        processes.wait_for_http(f"http://127.0.0.1:{port}/ping", server)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(3):
            connection.request("POST", "/invocations", body=b"5.1,3.5,1.4,0.2",
                               headers={"Content-Type": "text/csv"})  # fmt: skip
            answer = connection.getresponse()
            assert answer.status == 200 and answer.read()
            assert answer.getheader("Connection", "").lower() != "close"
        assert connection.sock is not None  # still the first connection
    finally:
        processes.stop(server)


# -- the Dockerfile -----------------------------------------------------------------


def test_hadolint_finds_nothing() -> None:
    finished = subprocess.run(
        [str(Path(sys.executable).parent / "hadolint"), "--no-color", "Dockerfile"],
        cwd=CONTAINER_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (CONTAINER_DIR / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_base_image_is_pinned_and_entrypoint_is_exec_form() -> None:
    steps = instructions()
    base = next(argument for name, argument in steps if name == "FROM")
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base), base
    entrypoint = json.loads(next(argument for name, argument in steps if name == "ENTRYPOINT"))
    assert entrypoint == ["python", "-m", "serving.entrypoint"]
    assert json.loads(next(argument for name, argument in steps if name == "CMD")) == ["serve"]
    assert ("COPY", "serving/ ./serving/") in steps  # the local endpoint's code, not a copy
    assert next(argument for name, argument in steps if name == "USER") != "root"


def test_pip_installs_only_pinned_requirements_matching_the_tested_ones() -> None:
    runs = [argument for name, argument in instructions() if name == "RUN" and "pip" in argument]
    assert runs and all("--requirement requirements.txt" in run for run in runs)
    pinned = {}
    for line in (CONTAINER_DIR / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"{line} is not pinned"
            pinned[name.lower()] = version
    tested = {
        line.partition("==")[0].lower(): line.partition("==")[2]
        for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    for name, version in pinned.items():
        if name in tested:
            assert tested[name] == version, f"{name}: {version} in the image, {tested[name]} tested"
    assert {"xgboost-cpu", "gunicorn", "werkzeug"} <= pinned.keys()
