"""`make bench`: the proxy against the bare tutorial Lambda, side by side, in one run.

Both handlers call the same instant fake runtime on loopback, so the difference is the
proxy's own cost. Runs alternate between the two; figures are medians with min and max.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.batch import batch_figures
from bench.events import predict_event, records
from bench.harness import BENCH_DIR, HANDLER_PATH, BenchModel, fake_runtime, stage_environment
from bench.objectives import objective_figures
from bench.report import Figure, machine, table
from bench.signed_in import signed_in_figure
from bench.warm import warm_requests
from foundation import processes
from foundation.paths import CHALICE_DIR, MODEL_ARTIFACT, REPO_ROOT


def cold_starts(
    environment: dict[str, str], runs: int, pycache: Path, model: BenchModel
) -> tuple[Figure, Figure]:
    event = json.dumps(predict_event(1, model.signature))
    env = {
        **{key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"},
        **environment,
        "PYTHONPATH": os.pathsep.join(HANDLER_PATH),
        # Bytecode compiled once, as Lambda's runtime has it for boto3; without this a
        # machine that sets PYTHONDONTWRITEBYTECODE compiles every module on every start.
        "PYTHONPYCACHEPREFIX": str(pycache),
    }
    times: dict[str, list[float]] = {"ours": [], "bare": []}
    peaks: dict[str, list[float]] = {"ours": [], "bare": []}
    for run in range(-1, runs):  # run -1 fills the bytecode cache and is not counted
        order = ("ours", "bare") if run % 2 == 0 else ("bare", "ours")
        for kind in order:
            started = time.perf_counter()
            finished = subprocess.run(
                [sys.executable, str(BENCH_DIR / "cold_start.py"), kind, event],
                env=env,
                capture_output=True,
                check=True,
                cwd=REPO_ROOT,
            )
            elapsed_ms = (time.perf_counter() - started) * 1000
            result = json.loads(finished.stderr.decode().strip().splitlines()[-1])
            assert result["status"] == 200, (kind, finished.stderr)
            if run >= 0:
                times[kind].append(elapsed_ms)
                peaks[kind].append(result["peak_kib"] / 1024)
    return (
        Figure(
            "Cold start (whole process)",
            "ms",
            times["ours"],
            times["bare"],
            "<= 1.10x bare",
            lambda f: f.ratio is not None and f.ratio <= 1.10,
        ),
        Figure(
            "Peak memory, cold start",
            "MiB",
            peaks["ours"],
            peaks["bare"],
            "<= 1.10x bare",
            lambda f: f.ratio is not None and f.ratio <= 1.10,
        ),
    )


def package_size() -> Figure:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [processes.chalice_executable(), "package", "--stage", "prod", out],
            cwd=CHALICE_DIR,
            env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
            check=True,
            capture_output=True,
        )
        zip_path = Path(out) / "deployment.zip"
        with zipfile.ZipFile(zip_path) as archive:
            assert not [n for n in archive.namelist() if n.startswith(("tests/", "scripts/"))]
        size = zip_path.stat().st_size / 1e6
    return Figure("Deployment package (prod)", "MB", [size], None, "<= 3 MB", lambda f: size <= 3)


def local_endpoint(model: BenchModel, tmp: Path) -> list[Figure]:
    """Predictions per second through the local endpoint alone and through chalice local."""
    import boto3
    import requests

    from local_sagemaker.stack import Layout, local_stage_variables, running_stack

    figures = []
    endpoint_name = local_stage_variables()["SAGEMAKER_ENDPOINT_NAME"]
    with running_stack(model.artifact, Layout.isolated(tmp), model.signature_path) as stack:
        runtime = boto3.client(
            "sagemaker-runtime",
            endpoint_url=stack.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        for rows, calls in ((1, 300), (100, 60)):
            body = predict_event(rows, model.signature)["body"]
            names = model.signature.feature_names
            csv = "\n".join(
                ",".join(str(record.get(name, "")) for name in names)
                for record in records(rows, model.signature)
            )
            started = time.perf_counter()
            for _ in range(calls):
                runtime.invoke_endpoint(
                    EndpointName=endpoint_name,
                    Body=csv,
                    ContentType="text/csv",
                    Accept="application/json",
                )["Body"].read()
            direct = rows * calls / (time.perf_counter() - started)
            started = time.perf_counter()
            for _ in range(calls):
                # A new connection each time: chalice local's keep-alive waits for delayed ACKs.
                answer = requests.post(
                    f"{stack.proxy_url}/predict",
                    data=body,
                    headers={"Content-Type": "application/json"},
                    timeout=30,
                )
                assert answer.status_code == 200, answer.text
            proxied = rows * calls / (time.perf_counter() - started)
            figures.append(
                Figure(
                    f"Local endpoint, {rows}-row requests",
                    "predictions/s",
                    [direct],
                    None,
                    "report",
                )
            )
            figures.append(
                Figure(
                    f"chalice local + local endpoint, {rows}-row requests",
                    "predictions/s",
                    [proxied],
                    None,
                    "report",
                )
            )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--cold-runs", type=int, default=30, help="cold starts of each (default 30)"
    )
    parser.add_argument(
        "--rounds", type=int, default=60, help="alternating warm rounds (default 60)"
    )
    parser.add_argument(
        "--model",
        type=Path,
        default=MODEL_ARTIFACT,
        help="the artifact, with its signature beside it (default: build/model.tar.gz)",
    )
    parser.add_argument(
        "--batch-rows", type=int, default=200_000, help="rows of the batch file (default 200000)"
    )
    parser.add_argument(
        "--objective-rounds",
        type=int,
        default=10,
        help="alternating warm rounds for each objective's model (default 10; 0: skip them)",
    )
    parser.add_argument("--write", type=Path, help="also write the report (Markdown) to this file")
    args = parser.parse_args()

    started = time.monotonic()
    model = BenchModel.of(args.model)
    with fake_runtime(model) as url, tempfile.TemporaryDirectory() as tmp:
        environment = stage_environment(url, model)
        figures = [*cold_starts(environment, args.cold_runs, Path(tmp) / "pycache", model)]
        figures += warm_requests(environment, args.rounds, model)
        figures.append(signed_in_figure(args.rounds, model))
    figures.append(package_size())
    with tempfile.TemporaryDirectory() as tmp:
        figures += local_endpoint(model, Path(tmp))
    figures += batch_figures(model, args.batch_rows)
    by_objective = objective_figures(args.objective_rounds) if args.objective_rounds else []

    report = "\n\n".join(
        [
            f"Machine: {machine()}. Model: {model.artifact.name} "
            f"({model.signature.objective}, {len(model.signature.features)} features).",
            table(figures),
            *(
                [
                    'Every objective of "Your own model" (bench/objectives.py: a model of '
                    "each, trained as the tests train them; the batch is the largest up to "
                    "MAX_BATCH_SIZE whose body fits in MAX_BODY_BYTES):",
                    table(by_objective),
                ]
                if by_objective
                else []
            ),
            f"Command: `make bench` (`python -m bench --cold-runs {args.cold_runs} "
            f"--rounds {args.rounds} --objective-rounds {args.objective_rounds}`), "
            f"{time.monotonic() - started:.0f} s.",
        ]
    )
    print(report)
    if args.write:
        args.write.write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
