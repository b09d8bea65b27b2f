"""How the end-to-end tests run the provisioning commands as a user does: a process of their own,
pointed at moto_server (or a gate in front of it) through AWS_ENDPOINT_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_sagemaker import processes
from tests.support import REPO_ROOT

REGION = "eu-west-1"


def started_moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
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


def command_env(endpoint_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    env.pop("AWS_PROFILE", None)
    return env


def run(module: str, *args: str, endpoint_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=command_env(endpoint_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def start(module: str, *args: str, endpoint_url: str) -> subprocess.Popen[str]:
    """The command as a process of its own, to be signalled or raced."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        env=command_env(endpoint_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
