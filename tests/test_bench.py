"""The benchmark's parts still work (the figures themselves live in docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.__main__ import BENCH_DIR, CHALICE_DIR, fake_runtime, stage_environment
from bench.events import predict_event


@pytest.mark.parametrize("kind", ["ours", "bare"])
def test_cold_start_process_serves_one_event_from_the_fake(kind: str) -> None:
    with fake_runtime() as url:
        finished = subprocess.run(
            [sys.executable, str(BENCH_DIR / "cold_start.py"), kind, json.dumps(predict_event(3))],
            env={
                **os.environ,
                **stage_environment(url),
                "PYTHONPATH": os.pathsep.join([str(CHALICE_DIR), str(BENCH_DIR)]),
            },
            capture_output=True,
            check=True,
            timeout=60,
        )
    result = json.loads(finished.stderr.decode().strip().splitlines()[-1])
    assert result["status"] == 200
    assert result["peak_kib"] > 0
    if kind == "ours":
        answer = json.loads(finished.stdout.decode().strip().splitlines()[-1])
        assert answer["batch_size"] == 3 and answer["status"] == 200
