"""Batch scoring on this machine: `scripts.batch_score` over a generated file, in a process of its
own (its rows/s and peak memory at two sizes: memory that stays flat as the file doubles), beside
XGBoost's own in-process predict of the same rows (the limit: no parsing, no validation, no
writing)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xgboost as xgb

from bench.events import records
from bench.harness import BenchModel
from bench.report import Figure
from foundation.paths import REPO_ROOT

# Runs batch_score's main and reports this process's peak memory (VmHWM, as the cold start does).
_RUN = """
import json, sys
from bench.cold_start import peak_rss_kib
from scripts import batch_score
code = batch_score.main(sys.argv[1:])
print(json.dumps({"code": code, "peak_kib": peak_rss_kib()}), file=sys.stderr)
"""


def write_file(path: Path, rows: int, model: BenchModel) -> np.ndarray:
    """``rows`` records with an id column; returns them as the model's matrix (NaN missing)."""
    signature = model.signature
    names = signature.feature_names
    examples = records(len(signature.examples), signature)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", *names])
        for index in range(rows):
            record = examples[index % len(examples)]
            writer.writerow([index, *(record.get(name, "") for name in names)])
    matrix = np.array(
        [[float(r[n]) if r.get(n) is not None else np.nan for n in names] for r in examples]
    )
    return np.resize(matrix, (rows, len(names)))


def scored(path: Path, model: BenchModel, out: Path) -> tuple[float, float]:
    """(rows/s, peak MiB) of one run."""
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-c", _RUN, "--input", str(path), "--output", str(out),
         "--id-column", "id", "--model", str(model.artifact),
         "--signature", str(model.signature_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    result = json.loads(finished.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, finished.stderr
    rows = sum(1 for _ in out.open()) - 1
    return rows / elapsed, result["peak_kib"] / 1024


def batch_figures(model: BenchModel, rows: int = 200_000) -> list[Figure]:
    booster = xgb.Booster()
    booster.load_model(bytearray(_model_bytes(model.artifact)))
    booster.set_param({"nthread": 1})
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rates, peaks = [], []
        for size in (rows, 2 * rows):
            source = folder / f"records-{size}.csv"
            matrix = write_file(source, size, model)
            rate, peak = scored(source, model, folder / f"scored-{size}.csv")
            rates.append(rate)
            peaks.append(peak)
            started = time.perf_counter()
            booster.inplace_predict(matrix)
            in_process = size / (time.perf_counter() - started)
            figures.append(
                Figure(f"Batch file, {size:,} rows: batch_score (whole process)", "rows/s",
                       [rate], [in_process], "report (bare: XGBoost's in-process predict)")
            )  # fmt: skip
        figures.append(
            Figure(f"Batch file: peak memory, {rows:,} then {2 * rows:,} rows", "MiB",
                   [peaks[1]], [peaks[0]], "flat: <= 1.10x the half-size file",
                   lambda f: f.ratio is not None and f.ratio <= 1.10)
        )  # fmt: skip
    return figures


def _model_bytes(artifact: Path) -> bytes:
    import tarfile

    with tarfile.open(artifact) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        return member.read()
