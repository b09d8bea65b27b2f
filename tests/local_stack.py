"""Real processes on free loopback ports: the local endpoint and `chalice local` in front of it.

The Chalice project is copied to a temporary folder whose stage config points at the
endpoint's port and allows the web page's origin: `chalice local` applies a stage's
variables over the process's own.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts import processes

REPO_ROOT = Path(__file__).resolve().parent.parent
ENDPOINT_NAME = "iris-xgboost"  # the default stage variable in .chalice/config.json
# The local endpoint serves two variants; the first answers calls that name none.
VARIANTS = ("AllTraffic", "Canary")
# Stages of the copied project beside `local`, by what they change in it.
EXTRA_STAGES = {
    "missing": {"SAGEMAKER_ENDPOINT_NAME": "no-such-endpoint"},
    "canary": {"SAGEMAKER_TARGET_VARIANT": "Canary"},
    "wrong-variant": {"SAGEMAKER_TARGET_VARIANT": "NoSuchVariant"},
}


@dataclass
class Stack:
    endpoint_url: str
    proxy_url: str
    missing_endpoint_proxy_url: str
    # Every stage's `chalice local`, by stage name (local, and EXTRA_STAGES).
    stage_urls: dict[str, str]
    # The origin the local stage allows; a page served there makes real CORS calls.
    web_origin: str
    web_port: int
    # What `chalice local --stage local` printed: one JSON line per request.
    proxy_log: Path


def project_copy(tmp_path: Path, endpoint_url: str, web_origin: str) -> Path:
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
    local["CORS_ALLOW_ORIGIN"] = web_origin
    for stage, variables in EXTRA_STAGES.items():
        config["stages"][stage] = json.loads(json.dumps(config["stages"]["local"]))
        config["stages"][stage]["environment_variables"].update(variables)
    config_path.write_text(json.dumps(config))
    return project


@contextmanager
def running_stack(model_tar: Path, tmp_path: Path) -> Iterator[Stack]:
    endpoint_port = processes.free_port()
    endpoint_url = f"http://127.0.0.1:{endpoint_port}"
    web_port = processes.free_port()
    web_origin = f"http://127.0.0.1:{web_port}"
    started = []
    try:
        endpoint = processes.start(
            processes.python_command(
                "-m",
                "serving",
                "--model",
                str(model_tar),
                "--port",
                str(endpoint_port),
                "--endpoint-name",
                ENDPOINT_NAME,
                *(argument for variant in VARIANTS for argument in ("--variant", variant)),
            ),
            cwd=REPO_ROOT,
            log=tmp_path / "endpoint.log",
        )
        started.append(endpoint)
        processes.wait_for_http(f"{endpoint_url}/ping", endpoint)
        project = project_copy(tmp_path, endpoint_url, web_origin)
        urls = {}
        for stage in ("local", *EXTRA_STAGES):
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
            urls[stage] = f"http://127.0.0.1:{port}"
        yield Stack(
            endpoint_url,
            urls["local"],
            urls["missing"],
            urls,
            web_origin,
            web_port,
            tmp_path / "chalice-local.log",
        )
    finally:
        for process in reversed(started):
            processes.stop(process)
