"""The provisioning commands as a user runs them, against moto_server through AWS_ENDPOINT_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import processes
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = processes.free_port()
    server = processes.start(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        log=tmp_path_factory.mktemp("moto") / "moto_server.log",
    )
    try:
        processes.wait_for_http(f"http://127.0.0.1:{port}/moto-api/", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        processes.stop(server)


def run(module: str, *args: str, endpoint_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_rerun_delete_and_delete_again(
    moto_server: str, trained_model: Path, chalice_config: Path
) -> None:
    deploy = [
        "--endpoint-name",
        "iris-e2e",
        "--model",
        str(trained_model / "model.tar.gz"),
        "--chalice-config-dir",
        str(chalice_config),
        "--stage",
        "dev",
    ]
    first = run("scripts.deploy_endpoint", *deploy, endpoint_url=moto_server)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "created  endpoint iris-e2e" in first.stdout
    assert "answer   5.1,3.5,1.4,0.2 ->" in first.stdout
    assert '"SAGEMAKER_ENDPOINT_NAME": "iris-e2e"' in (chalice_config / "config.json").read_text()

    again = run("scripts.deploy_endpoint", *deploy, endpoint_url=moto_server)
    assert again.returncode == 0 and "created" not in again.stdout

    gone = run("scripts.delete_endpoint", "--endpoint-name", "iris-e2e", endpoint_url=moto_server)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert "deleted  endpoint iris-e2e" in gone.stdout

    twice = run("scripts.delete_endpoint", "--endpoint-name", "iris-e2e", endpoint_url=moto_server)
    assert twice.returncode == 0 and "deleted" not in twice.stdout and "absent" in twice.stdout


@pytest.mark.parametrize("module", ["scripts.deploy_endpoint", "scripts.delete_endpoint"])
def test_help_explains_every_flag(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0
    for flag in ("--endpoint-name", "--dry-run", "--region"):
        assert flag in result.stdout
