"""Every script, pointed at something that is not AWS, ends in one line and exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chalicelib.signature import read_signature
from foundation.paths import IRIS_SIGNATURE
from provisioning import stage_config
from tests.support import REPO_ROOT


class WebPage(BaseHTTPRequestHandler):
    """A captive portal: 200 and HTML to anything."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<html><body>Please log in to the hotel wifi</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_HEAD = do_POST

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def portal() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), WebPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def command_lines(trained_model: Path, config_dir: Path) -> dict[str, list[str]]:
    model = str(trained_model / "model.tar.gz")
    return {
        "deploy_endpoint": ["--endpoint-name", "iris-x", "--model", model,
                            "--chalice-config-dir", str(config_dir)],
        "deploy_endpoint --dry-run": ["--endpoint-name", "iris-x", "--model", model,
                                      "--chalice-config-dir", str(config_dir), "--dry-run"],
        "delete_endpoint": ["--endpoint-name", "iris-x"],
        "deploy_api": ["--stage", "dev", "--chalice-config-dir", str(config_dir)],
        "deploy_api --delete": ["--stage", "dev", "--chalice-config-dir", str(config_dir),
                                "--delete"],
        "push_image --dry-run": ["--repository", "r", "--dry-run"],
    }  # fmt: skip


@pytest.mark.parametrize(
    "name",
    [
        "deploy_endpoint",
        "deploy_endpoint --dry-run",
        "delete_endpoint",
        "deploy_api",
        "deploy_api --delete",
        "push_image --dry-run",
    ],
)
def test_a_non_aws_answer_is_one_line_and_exit_1(
    portal: str, trained_model: Path, chalice_config: Path, name: str
) -> None:
    stage_config.point_stage_at_endpoint(
        "dev", "iris-xgboost", "eu-west-1", "1" * 12, read_signature(IRIS_SIGNATURE), chalice_config
    )
    module = "scripts." + name.split()[0]
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": portal,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }
    result = subprocess.run(
        [sys.executable, "-m", module, *command_lines(trained_model, chalice_config)[name]],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = (result.stdout + result.stderr).strip().splitlines()
    assert result.returncode == 1, output
    assert "Traceback" not in result.stderr
    failure = [line for line in output if "fail" in line.lower()]
    assert len(failure) == 1 and "AWS_ENDPOINT_URL" in failure[0], output
