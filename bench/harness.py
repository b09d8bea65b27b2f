"""What the benchmark's commands share: the model it serves (an artifact and its signature), the
stage the handlers run with, pointed at the fake runtime, which runs as a process of its own and
answers as that model would."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from artifacts.binding import bound_signature
from artifacts.packaging import signature_path_for
from foundation import processes
from foundation.lambda_code import signature as sig
from foundation.paths import CHALICE_CONFIG_DIR, CHALICE_DIR, MODEL_ARTIFACT, REPO_ROOT

BENCH_DIR = REPO_ROOT / "bench"
# Where a handler's imports come from: the Lambda's own layout, plus the bare Lambda.
HANDLER_PATH = [str(CHALICE_DIR), str(BENCH_DIR)]


@dataclass(frozen=True)
class BenchModel:
    artifact: Path
    signature_path: Path
    signature: sig.Signature

    @classmethod
    def of(cls, artifact: Path = MODEL_ARTIFACT) -> BenchModel:
        """The artifact (build/model.tar.gz: Iris, unless you imported yours) and its signature."""
        return cls(artifact, signature_path_for(artifact).resolve(), bound_signature(artifact))

    @property
    def score(self) -> str:
        """What the model answers for one row (its first example's), as JSON."""
        return json.dumps(self.signature.examples[0]["score"])


def stage_environment(fake_url: str, model: BenchModel) -> dict[str, str]:
    """The deployed stages' variables (top level of config.json), pointed at the fake, with the
    model's signature."""
    config = json.loads((CHALICE_CONFIG_DIR / "config.json").read_text())
    return {
        **config["environment_variables"],
        "MODEL_SIGNATURE": str(model.signature_path),
        "BENCH_FEATURES": ",".join(model.signature.feature_names),
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": fake_url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@contextlib.contextmanager
def fake_runtime(model: BenchModel) -> Iterator[str]:
    """The instant fake, answering each row with the model's score for its first example."""
    port = processes.free_port()
    process = processes.start(
        processes.python_command(
            "-m", "local_sagemaker.fake_runtime", "--port", str(port), "--score", model.score
        ),
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
