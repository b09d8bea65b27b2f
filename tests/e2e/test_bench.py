"""The benchmark's cold-start process serves the event the benchmark times, with the answer the
fake runtime gives as the model would, for both handlers and for the Iris example and an
imported regression: a change that broke either would make `make bench` time an error path (the
figures themselves live in docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.events import predict_event
from bench.harness import BENCH_DIR, HANDLER_PATH, BenchModel, fake_runtime, stage_environment
from local_sagemaker.stack import Stack


def cold_start(kind: str, rows: int, model: BenchModel) -> dict:
    with fake_runtime(model) as url:
        finished = subprocess.run(
            [
                sys.executable,
                str(BENCH_DIR / "cold_start.py"),
                kind,
                json.dumps(predict_event(rows, model.signature)),
            ],
            env={
                **os.environ,
                **stage_environment(url, model),
                "PYTHONPATH": os.pathsep.join(HANDLER_PATH),
            },
            capture_output=True,
            check=True,
            timeout=60,
        )
    return dict(json.loads(finished.stderr.decode().strip().splitlines()[-1]))


@pytest.fixture
def iris(trained_model: Path) -> BenchModel:
    return BenchModel.of(trained_model / "model.tar.gz")


def test_ours_labels_every_row_of_the_fakes_answer(iris: BenchModel) -> None:
    result = cold_start("ours", rows=3, model=iris)
    assert result["status"] == 200
    score = iris.signature.examples[0]["score"]
    assert [prediction["label"] for prediction in result["predictions"]] == ["setosa"] * 3
    for prediction in result["predictions"]:
        assert list(prediction["probabilities"]) == ["setosa", "versicolor", "virginica"]
        assert list(prediction["probabilities"].values()) == score


def test_a_regression_is_benched_by_its_own_signature(diabetes_stack: Stack) -> None:
    model = BenchModel.of(diabetes_stack.signature.with_name("model.tar.gz"))
    result = cold_start("ours", rows=2, model=model)
    assert result["status"] == 200
    assert result["predictions"] == [{"value": model.signature.examples[0]["score"]}] * 2


def test_the_bare_lambda_passes_the_fakes_answer_through(iris: BenchModel) -> None:
    result = cold_start("bare", rows=3, model=iris)
    assert result["status"] == 200
    assert result["predictions"] == [{"score": iris.signature.examples[0]["score"]}] * 3


@pytest.mark.parametrize("kind", ["ours", "bare"])
def test_peak_memory_is_reported(kind: str, iris: BenchModel) -> None:
    # The benchmark reads ru_maxrss in KiB (Linux): a cold start is tens of MiB, not bytes or GiB.
    assert 10 * 1024 < cold_start(kind, rows=1, model=iris)["peak_kib"] < 1024 * 1024


def test_the_batch_bench_scores_its_file_and_measures_the_same_rows(
    iris: BenchModel, tmp_path: Path
) -> None:
    from bench.batch import scored, write_file

    source = tmp_path / "records.csv"
    matrix = write_file(source, 30, iris)
    rate, peak = scored(source, iris, tmp_path / "scored.csv")
    assert rate > 0 and peak > 0
    rows = (tmp_path / "scored.csv").read_text().splitlines()
    assert len(rows) == 31 and matrix.shape == (30, 4)
    # The in-process figure predicts the very rows the file holds
    with source.open() as file:
        next(file)
        first = [float(cell) for cell in next(file).strip().split(",")[1:]]
    assert first == matrix[0].tolist()


def test_the_objective_bench_times_real_answers_for_a_model_of_another_kind() -> None:
    # A model of 30 features: its batch is the largest whose body fits in MAX_BODY_BYTES, and
    # both handlers answer 200 throughout (warm_requests asserts it on every call).
    from bench.objectives import objective_figures

    figures = objective_figures(1, ("binary:hinge",))
    assert [figure.name for figure in figures] == [
        "binary:hinge (30 features): warm, 1 record",
        "binary:hinge (30 features): batch of 80",
    ]
    assert all(figure.ratio is not None and figure.ratio > 0 for figure in figures)
