"""What the benchmark's commands share: the stage the handlers run with, pointed at the fake
runtime, which runs as a process of its own."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

from local_sagemaker import processes
from paths import CHALICE_CONFIG_DIR, CHALICE_DIR, REPO_ROOT

BENCH_DIR = REPO_ROOT / "bench"
# Where a handler's imports come from: the Lambda's own layout, plus the bare Lambda.
HANDLER_PATH = [str(CHALICE_DIR), str(BENCH_DIR)]


def stage_environment(fake_url: str) -> dict[str, str]:
    """The deployed stages' variables (top level of config.json), pointed at the fake."""
    config = json.loads((CHALICE_CONFIG_DIR / "config.json").read_text())
    return {
        **config["environment_variables"],
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": fake_url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@contextlib.contextmanager
def fake_runtime() -> Iterator[str]:
    port = processes.free_port()
    process = processes.start(
        processes.python_command("-m", "local_sagemaker.fake_runtime", "--port", str(port)),
        cwd=REPO_ROOT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while processes.port_is_free(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield url
    finally:
        processes.stop(process)
