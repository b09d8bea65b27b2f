"""`make bench`'s drift figure: a day's capture of 1,000,000 records read into a drift report, in
a process of its own that imports only what the Lambda ships (chalicelib), with its peak memory
beside a tenth of the records' (the goal: under a minute, memory bounded by the baseline, not the
window).

    python -m bench.drift [--records 1000000] [--model build/model.tar.gz]

The records are the Iris example's, one flower an invocation (the proxy's most frequent call and
the most per-record work): a thousand distinct invocations made by the project's own path (the
proxy's validation and CSV, the container's answer, the stand-in's capture line), repeated.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from artifacts.baseline_files import baseline_path_for
from bench.report import machine
from foundation.lambda_code import drift, predictor, validation
from foundation.lambda_code import signature as sig
from foundation.paths import MODEL_ARTIFACT, REPO_ROOT
from local_sagemaker.capture import capture_line
from serving.model import XGBoostModel, json_bytes

DISTINCT = 1000
MOMENT = datetime.datetime(2026, 11, 27, 10, 15, tzinfo=datetime.UTC)
GOAL_SECONDS = 60.0

# The measured process: the capture lines cycled as a generator (nothing held but the thousand),
# read by chalicelib.drift alone; it prints seconds and peak RSS: VmHWM, the high-water mark of
# its own memory since exec (ru_maxrss would keep the forked parent's, here 140 MiB).
CHILD = """
import json, sys, time
sys.path.insert(0, "chalice_app")
from chalicelib.drift import drift_report, parse_baseline
from chalicelib.signature import read_signature
from pathlib import Path
pool_path, signature_path, baseline_path, count = sys.argv[1:5]
pool = Path(pool_path).read_text().splitlines()
signature = read_signature(Path(signature_path))
baseline = parse_baseline(Path(baseline_path).read_bytes())
def lines():
    for index in range(int(count)):
        yield pool[index % len(pool)]
started = time.perf_counter()
report = drift_report(baseline, signature, lines())
seconds = time.perf_counter() - started
status = Path("/proc/self/status").read_text().splitlines()
peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "records": report.records, "peak_kib": peak}))
"""


def distinct_lines(model_tar: Path) -> tuple[list[str], Path, Path]:
    """A thousand capture lines of single Iris-like flowers, and the signature and baseline."""
    signature_path = model_tar.with_name("model.signature.json")
    signature = sig.read_signature(signature_path)
    model = XGBoostModel.from_artifact(model_tar)
    reader = validation.BodyReader(signature, 1)
    rng = np.random.default_rng(0)
    centre = np.array([5.8, 3.0, 3.8, 1.2])
    spread = np.array([0.8, 0.4, 1.7, 0.7])
    lines = []
    for index in range(DISTINCT):
        values = np.clip(rng.normal(centre, spread), 0.1, 9.9).round(1)
        record = dict(zip(signature.feature_names, map(float, values), strict=True))
        body = predictor.to_csv(reader.rows(json.dumps(record)))
        answer = json_bytes(model.predict_csv(body))
        lines.append(
            capture_line(body, "text/csv", answer, "application/json", f"e-{index}", MOMENT)
        )
    return lines, signature_path, baseline_path_for(signature_path)


def measure(pool: Path, signature: Path, baseline: Path, count: int) -> dict[str, float]:
    finished = subprocess.run(
        [sys.executable, "-c", CHILD, str(pool), str(signature), str(baseline), str(count)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    return dict(json.loads(finished.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--model", type=Path, default=MODEL_ARTIFACT)
    args = parser.parse_args(argv)
    lines, signature, baseline = distinct_lines(args.model)
    drift.read_baseline(baseline)  # a model without its baseline stops here, in one line
    with tempfile.TemporaryDirectory() as folder:
        pool = Path(folder) / "capture.jsonl"
        pool.write_text("\n".join(lines) + "\n")
        tenth = measure(pool, signature, baseline, args.records // 10)
        whole = measure(pool, signature, baseline, args.records)
    rate = whole["records"] / whole["seconds"]
    met = "met" if whole["seconds"] < GOAL_SECONDS else "NOT met"
    print(f"drift report, {machine()}")
    print(
        f"  {whole['records']:,.0f} captured records in {whole['seconds']:.1f} s: "
        f"{rate:,.0f} records/s (goal: under {GOAL_SECONDS:.0f} s, {met})"
    )
    print(
        f"  peak RSS {whole['peak_kib'] / 1024:.0f} MiB; for {tenth['records']:,.0f} records "
        f"{tenth['peak_kib'] / 1024:.0f} MiB (bounded by the baseline, not the window)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
