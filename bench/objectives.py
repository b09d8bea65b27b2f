"""Every objective of "Your own model" in the benchmark: for a model of each (trained as the tests
train them, on scikit-learn's data sets, and imported by `scripts.import_model` as a user would),
the proxy against the bare Lambda, warm, for 1 record and a batch of 100, against the fake runtime
answering as that model would. Each model runs in a process of its own: the handlers read their
stage once per process.

``python -m bench.objectives [--rounds N] [--objective O ...]`` prints the table alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import BenchModel
from bench.own_models import OBJECTIVES, import_own, train_own_model
from bench.report import Figure, table
from foundation.paths import REPO_ROOT


def largest_batch(model: BenchModel, environment: dict[str, str]) -> int:
    """The largest batch, up to MAX_BATCH_SIZE, whose body fits in MAX_BODY_BYTES: a model of 30
    features named as scikit-learn names them ("mean fractal dimension") fits fewer than 100."""
    from bench.events import predict_event

    max_batch, max_body = int(environment["MAX_BATCH_SIZE"]), int(environment["MAX_BODY_BYTES"])
    signature = model.signature
    return next(
        rows
        for rows in range(max_batch, 0, -1)
        if len(predict_event(rows, signature)["body"]) <= max_body
    )


def _measure(artifact: Path, rounds: int) -> list[dict]:
    """In the model's own process: warm_requests' figures, as JSON on the last line."""
    from bench.harness import fake_runtime, stage_environment
    from bench.warm import warm_requests

    model = BenchModel.of(artifact)
    with fake_runtime(model) as url:
        environment = stage_environment(url, model)
        batch = largest_batch(model, environment)
        figures = warm_requests(environment, rounds, model, {1, batch})
    # The warm figure stands for one record; the other is the batch's rows/s.
    kept = {"Warm request, 1 record": 1}
    if batch > 1:
        kept[f"Batch of {batch}"] = batch
    return [
        {"batch": kept[name], "unit": figure.unit, "ours": figure.ours, "bare": figure.bare}
        for figure in figures
        if (name := figure.name.split(" (")[0]) in kept
    ]


def objective_figures(rounds: int, objectives: tuple[str, ...] = OBJECTIVES) -> list[Figure]:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for objective in objectives:
            folder = Path(tmp) / objective.replace(":", "-")
            own = train_own_model(objective, folder / "theirs")
            imported = import_own(own, folder / "model.tar.gz")
            assert imported.returncode == 0, imported.stderr
            finished = subprocess.run(
                [sys.executable, "-m", "bench.objectives", "--measure", str(folder / "model.tar.gz"),
                 "--rounds", str(rounds)],
                cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=900,
            )  # fmt: skip
            features = len(own.names)
            for measured in json.loads(finished.stdout.strip().splitlines()[-1]):
                one = measured["batch"] == 1
                figures.append(
                    Figure(
                        f"{objective} ({features} features): "
                        + ("warm, 1 record" if one else f"batch of {measured['batch']}"),
                        measured["unit"],
                        measured["ours"],
                        measured["bare"],
                        "<= 1.10x bare" if one else ">= 0.88x bare",
                        (lambda f: f.ratio is not None and f.ratio <= 1.10)
                        if one
                        else (lambda f: f.ratio is not None and f.ratio >= 0.88),
                    )
                )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.objectives", description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (default 10)")
    parser.add_argument(
        "--objective", action="append", choices=OBJECTIVES, help="only these (default: all 13)"
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # one model's process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.rounds)))
        return 0
    print(table(objective_figures(args.rounds, tuple(args.objective or OBJECTIVES))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
