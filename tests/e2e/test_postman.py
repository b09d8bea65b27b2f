"""The Postman collection in examples/postman, run by newman against `chalice local`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from local_sagemaker.stack import Stack
from paths import REPO_ROOT

POSTMAN_DIR = REPO_ROOT / "examples" / "postman"
NEWMAN = REPO_ROOT / "node_modules" / ".bin" / "newman"


def test_every_request_and_assertion_in_the_collection_passes(stack: Stack, tmp_path: Path) -> None:
    assert NEWMAN.exists(), "newman is missing: `make test` installs it with `npm ci`"
    report = tmp_path / "newman.json"
    finished = subprocess.run(
        [
            str(NEWMAN),
            "run",
            str(POSTMAN_DIR / "sagemaker-proxy.postman_collection.json"),
            "--environment",
            str(POSTMAN_DIR / "local.postman_environment.json"),
            "--env-var",
            f"baseUrl={stack.proxy_url}",
            "--reporters",
            "cli,json",
            "--reporter-json-export",
            str(report),
            "--disable-unicode",
            "--color",
            "off",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    stats = json.loads(report.read_text())["run"]["stats"]
    collection = json.loads((POSTMAN_DIR / "sagemaker-proxy.postman_collection.json").read_text())
    assert stats["requests"]["total"] == len(collection["item"])
    assert stats["assertions"]["failed"] == 0
    assert stats["assertions"]["total"] >= 3 * len(collection["item"])
