"""`make bench`'s training figure: `train_job --local` from a CSV against `xgboost.train` on the
same arrays in memory (the goal: at most 1.5x, so writing and reading the channels never
dominates).

    python -m bench.training [--rows 1000000] [--features 30] [--rounds 100] [--runs 2]

Both train the same split with the same parameters (multi:softprob, 3 classes, depth 6) and
evaluate on both channels each round, as the container does; runs alternate.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import xgboost as xgb

from bench.report import machine
from scripts import train_job
from training.dataset import read_dataset, split

CLASSES = np.array(["alpha", "beta", "gamma"])
LABEL = "kind"
GOAL = 1.5


def write_data(path: Path, rows: int, features: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    weights = rng.normal(size=(features, 3))
    y = np.argmax(x @ weights + rng.normal(scale=2.0, size=(rows, 3)), axis=1)
    columns = {f"f{i}": x[:, i] for i in range(features)}
    columns[LABEL] = CLASSES[y]
    pa_csv.write_csv(pa.table(columns), path)


def direct(path: Path, rounds: int) -> float:
    """xgboost.train on the arrays of the same split, already in memory (not timed: the read)."""
    dataset = read_dataset(path, LABEL)
    train_rows, validation_rows = split(dataset, 0.2, 42)
    started = time.perf_counter()
    train = xgb.DMatrix(dataset.x[train_rows], label=dataset.y[train_rows])
    validation = xgb.DMatrix(dataset.x[validation_rows], label=dataset.y[validation_rows])
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 6}
    evals = [(train, "train"), (validation, "validation")]
    xgb.train(params, train, num_boost_round=rounds, evals=evals, verbose_eval=False)
    return time.perf_counter() - started


def ours(path: Path, rounds: int, output: Path) -> float:
    """The whole command, CSV to written artifact and signature."""
    started = time.perf_counter()
    code = train_job.main(
        ["--data", str(path), "--label", LABEL, "--local", "--force", "--output", str(output),
         "--hyperparameters", f"num_round={rounds},max_depth=6"]
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert code == 0
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.training", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="default: 1000000")
    parser.add_argument("--features", type=int, default=30, help="default: 30")
    parser.add_argument("--rounds", type=int, default=100, help="default: 100")
    parser.add_argument(
        "--runs", type=int, default=2, help="runs of each, alternating (default: 2)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data.csv"
        write_data(data, args.rows, args.features)
        times: dict[str, list[float]] = {"ours": [], "direct": []}
        for run in range(args.runs):
            order = ("ours", "direct") if run % 2 == 0 else ("direct", "ours")
            for kind in order:
                if kind == "ours":
                    quiet = open("/dev/null", "w")  # noqa: SIM115 - the rounds' lines, not figures
                    stdout, sys.stdout = sys.stdout, quiet
                    try:
                        times[kind].append(
                            ours(data, args.rounds, Path(folder) / "build" / "model.tar.gz")
                        )
                    finally:
                        sys.stdout = stdout
                        quiet.close()
                else:
                    times[kind].append(direct(data, args.rounds))
    ratio = statistics.median(o / d for o, d in zip(times["ours"], times["direct"], strict=True))
    print(f"machine: {machine()}")
    print(
        f"train_job --local, {args.rows:,} rows x {args.features} features, {args.rounds} rounds, depth 6"
    )
    for kind, label in (
        ("ours", "train_job --local (CSV to artifact)"),
        ("direct", "xgboost.train on arrays"),
    ):
        print(
            f"  {label:40} {statistics.median(times[kind]):7.1f} s  (runs: {', '.join(f'{t:.1f}' for t in times[kind])})"
        )
    print(f"  ratio {ratio:.2f}x (goal: at most {GOAL}x) {'met' if ratio <= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
