"""The benchmark's cold-start process serves the event the benchmark times, with the answer the
fake runtime gives, for both handlers: a change that broke either would make `make bench` time
an error path (the figures themselves live in docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.events import predict_event
from bench.harness import BENCH_DIR, HANDLER_PATH, fake_runtime, stage_environment
from local_sagemaker.fake_runtime import ROW


def cold_start(kind: str, rows: int) -> dict:
    with fake_runtime() as url:
        finished = subprocess.run(
            [
                sys.executable,
                str(BENCH_DIR / "cold_start.py"),
                kind,
                json.dumps(predict_event(rows)),
            ],
            env={
                **os.environ,
                **stage_environment(url),
                "PYTHONPATH": os.pathsep.join(HANDLER_PATH),
            },
            capture_output=True,
            check=True,
            timeout=60,
        )
    return dict(json.loads(finished.stderr.decode().strip().splitlines()[-1]))


def test_ours_labels_every_row_of_the_fakes_answer() -> None:
    result = cold_start("ours", rows=3)
    assert result["status"] == 200
    labels = {"setosa", "versicolor", "virginica"}
    assert [prediction["label"] for prediction in result["predictions"]] == ["setosa"] * 3
    for prediction in result["predictions"]:
        assert set(prediction["probabilities"]) == labels
        assert sorted(prediction["probabilities"].values(), reverse=True) == ROW["score"]


def test_the_bare_lambda_passes_the_fakes_answer_through() -> None:
    result = cold_start("bare", rows=3)
    assert result["status"] == 200
    assert result["predictions"] == [ROW] * 3


@pytest.mark.parametrize("kind", ["ours", "bare"])
def test_peak_memory_is_reported(kind: str) -> None:
    # The benchmark reads ru_maxrss in KiB (Linux): a cold start is tens of MiB, not bytes or GiB.
    assert 10 * 1024 < cold_start(kind, rows=1)["peak_kib"] < 1024 * 1024
