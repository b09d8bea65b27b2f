"""The serving image against the built-in XGBoost container's own serving code, on the same model,
side by side in one run: predictions per second on /invocations for 1, 100 and 1000 rows a
request, with 1 and 8 clients on kept-alive connections, the two servers taking turns.

    python -m bench.serving [--model build/model.tar.gz]
        [--builtin-python PYTHON --builtin-src SRC --sagemaker-containers-src SRC]

Without the ``--builtin-*`` options only the serving image is measured. XGBoost's in-process
``predict`` on the same rows is printed beside them: what no server can beat.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import xgboost as xgb

from bench.harness import BENCH_DIR, BenchModel
from bench.report import machine
from foundation import processes
from foundation.paths import MODEL_ARTIFACT, REPO_ROOT

ROWS = (1, 100, 1000)
CLIENTS = (1, 8)


@contextmanager
def serving(command: list[str], model_dir: Path, env: dict[str, str]) -> Iterator[str]:
    port = processes.free_port()
    process = processes.start(
        command,
        cwd=REPO_ROOT,
        env={"SM_MODEL_DIR": str(model_dir), "SAGEMAKER_BIND_TO_PORT": str(port), **env},
        log=model_dir.parent / f"server-{port}.log",
    )
    try:
        url = f"http://127.0.0.1:{port}"
        processes.wait_for_http(f"{url}/ping", process, timeout=120)
        yield url
    finally:
        processes.stop(process)


def rate(url: str, body: Path, rows: int, clients: int, seconds: float) -> float:
    """Predictions per second, measured by a load process of its own."""
    finished = subprocess.run(
        [sys.executable, "-m", "bench.load", url, str(body), str(clients), str(seconds)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    counted = json.loads(finished.stdout)
    assert counted["failures"] == 0, counted
    return float(counted["answers"] * rows / seconds)


def in_process(model: BenchModel, rows: int) -> float:
    """XGBoost's own predict on the rows, one thread: the limit."""
    with tarfile.open(model.artifact) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        booster = xgb.Booster()
        booster.load_model(bytearray(member.read()))
    booster.set_param({"nthread": 1})
    data = csv_rows(model, rows)
    matrix = np.array(
        [[np.nan if cell == "" else float(cell) for cell in line.split(",")] for line in data]
    )
    calls = max(20, 20_000 // rows)
    started = time.perf_counter()
    for _ in range(calls):
        booster.inplace_predict(matrix)
    return rows * calls / (time.perf_counter() - started)


def csv_rows(model: BenchModel, rows: int) -> list[str]:
    from foundation.lambda_code import predictor

    records = [example["record"] for example in model.signature.examples]
    names = model.signature.feature_names
    cells = [[records[i % len(records)].get(name) for name in names] for i in range(rows)]
    return predictor.to_csv(cells, missing=True, booleans=True).decode().split("\n")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serving", description=__doc__)
    parser.add_argument("--model", type=Path, default=MODEL_ARTIFACT)
    parser.add_argument("--builtin-python", help="a Python with the container's serving libraries")
    parser.add_argument("--builtin-src", help="aws/sagemaker-xgboost-container's src/ at v3.0-5")
    parser.add_argument(
        "--sagemaker-containers-src", help="sagemaker-containers 2.8.6.post2's src/"
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="each load's length (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="turns each server takes (default 3)")
    args = parser.parse_args()
    model = BenchModel.of(args.model)
    builtin = bool(args.builtin_python)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        model_dir = Path(tmp) / "model"
        model_dir.mkdir()
        with tarfile.open(model.artifact) as tar:
            tar.extractall(model_dir, filter="data")
        workers = str(os.cpu_count() or 1)
        urls = {
            "serving image": servers.enter_context(
                serving(
                    [sys.executable, "-m", "serving.entrypoint", "serve"],
                    model_dir,
                    {"SAGEMAKER_MODEL_SERVER_WORKERS": workers},
                )
            )
        }
        if builtin:
            urls["built-in container"] = servers.enter_context(
                serving(
                    [args.builtin_python, str(BENCH_DIR / "builtin_container.py"),
                     args.builtin_src, args.sagemaker_containers_src],
                    model_dir,
                    {},
                )
            )  # fmt: skip
        print(f"Machine: {machine()}. Model: {model.signature.objective}, "
              f"{len(model.signature.features)} features. Workers: {workers} each.\n")  # fmt: skip
        header = "| rows | clients | " + " | ".join(f"{name}: predictions/s" for name in urls)
        header += " | image / built-in |" if builtin else " |"
        print(header + " xgboost in process, 1 thread |")
        print("|" + " --- |" * (header.count("|") - 0))
        for rows in ROWS:
            body = Path(tmp) / f"rows-{rows}.csv"
            body.write_text("\n".join(csv_rows(model, rows)))
            limit = in_process(model, rows)
            for clients in CLIENTS:
                figures: dict[str, list[float]] = {name: [] for name in urls}
                for round_ in range(args.rounds):
                    order = list(urls) if round_ % 2 == 0 else list(reversed(urls))
                    for name in order:
                        figures[name].append(rate(urls[name], body, rows, clients, args.seconds))
                cells = [f"{statistics.median(values):,.0f}" for values in figures.values()]
                if builtin:
                    ratios = [
                        ours / theirs
                        for ours, theirs in zip(
                            figures["serving image"], figures["built-in container"], strict=True
                        )
                    ]
                    cells.append(f"{statistics.median(ratios):.2f}x")
                print(f"| {rows} | {clients} | " + " | ".join(cells) + f" | {limit:,.0f} |")
    print(f"\nCommand: `python -m bench.serving`, {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
