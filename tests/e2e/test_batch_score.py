"""`scripts.batch_score` on this machine, run as a user runs it: a process of its own over real
files. Its answers are the API's (compared over HTTP with `chalice local`) and XGBoost's own,
bad records go to the rejects file with the API's reasons, and a run killed anywhere resumes
without a line written twice."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import requests
import xgboost as xgb

from bench.own_models import OwnModel, expected_prediction, import_own, train_own_model
from foundation.paths import REPO_ROOT
from local_sagemaker.stack import Stack

IRIS = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def batch_score(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.batch_score", *map(str, args)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def start_batch_score(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.batch_score", *map(str, args)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def write_iris_batch(path: Path, rows: int, seed: int = 7) -> dict[int, str]:
    """``rows`` records with an id, some of them bad in the ways users' files are; returns the
    bad ones' ids by their line in the file."""
    rng = random.Random(seed)
    bad: dict[int, str] = {}
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", *IRIS])
        for index in range(rows):
            cells = [f"r{index}", *(f"{rng.uniform(0.3, 8.0):.1f}" for _ in IRIS)]
            kind = index % 997
            if kind == 5:
                cells[2] = "n/a"  # not a number
            elif kind == 6:
                cells[4] = ""  # a required feature missing
            elif kind == 7:
                cells[1] = "-1"  # outside the signature's bounds
            elif kind == 8:
                cells = cells[:3]  # a short row
            elif kind == 9:
                cells[3] = "1_5"  # what Python reads as 15, and JSON has no way to say
            if 5 <= kind <= 9:
                bad[index + 2] = cells[0]
            writer.writerow(cells)
    return bad


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def csv_prediction(row: dict[str, str], own: OwnModel) -> dict:
    """An output row read back as the API's prediction."""
    if "value" in row:
        return {"value": float(row["value"])}
    prediction: dict = {"label": row["label"]}
    if "score" in row:
        prediction["score"] = float(row["score"])
    if f"probability_{own.labels[0]}" in row:
        prediction["probabilities"] = {
            label: float(row[f"probability_{label}"]) for label in own.labels
        }
    return prediction


def test_a_large_file_with_bad_rows_scores_every_valid_row_as_the_model_does(
    trained_model: Path, tmp_path: Path
) -> None:
    # Given 120,000 records, one in about 250 bad
    source = tmp_path / "flowers.csv"
    bad = write_iris_batch(source, 120_000)
    output = tmp_path / "scored.csv"
    # When they are scored
    run = batch_score(
        "--input", source, "--output", output, "--id-column", "id",
        "--model", trained_model / "model.tar.gz",
    )  # fmt: skip
    # Then every valid record has one row, in input order, with XGBoost's own probabilities
    assert run.returncode == 0, run.stderr
    assert f"scored {120_000 - len(bad):,} records, rejected {len(bad)}" in run.stdout
    rows = read_csv(output)
    inputs = [row for row in read_csv(source) if row["id"] not in bad.values()]
    assert [row["id"] for row in rows] == [row["id"] for row in inputs]
    booster = xgb.Booster()
    booster.load_model(bytearray(_model_bytes(trained_model / "model.tar.gz")))
    matrix = np.array([[float(row[name]) for name in IRIS] for row in inputs])
    expected = booster.inplace_predict(matrix).tolist()
    labels = ("setosa", "versicolor", "virginica")
    got = [[float(row[f"probability_{label}"]) for label in labels] for row in rows]
    assert got == expected
    assert [row["label"] for row in rows] == [labels[p.index(max(p))] for p in expected]
    # And each bad record is listed by its line and id, with the API's reason, never scored
    rejects = read_jsonl(output.with_name("scored.csv.rejects.jsonl"))
    assert {reject["line"]: reject["ids"]["id"] for reject in rejects} == bad
    reasons = {reject["errors"][0]["reason"] for reject in rejects}
    assert reasons == {
        "Input should be a valid number",
        "Field required",
        "Input should be greater than 0",
        "the row has 3 cells, the header 5",
    }
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.checkpoint.json"))


def _model_bytes(artifact: Path) -> bytes:
    import tarfile

    with tarfile.open(artifact) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        return member.read()


def test_each_record_is_answered_as_the_api_answers_it(
    stack: Stack, trained_model: Path, tmp_path: Path
) -> None:
    # Given records as JSON Lines, ids of any JSON type, some the API refuses
    records: list[dict] = []
    for index in range(60):
        rng = random.Random(index)
        record = {name: round(rng.uniform(0.3, 8.0), 2) for name in IRIS}
        if index % 10 == 3:
            record["petal_width"] = "wide"
        if index % 10 == 4:
            record["colour"] = "blue"
        records.append({"id": [index, "x"] if index % 2 else index, **record})
    source = tmp_path / "flowers.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in records) + "{oops\n")
    output = tmp_path / "scored.jsonl"
    # When they are scored in a batch
    run = batch_score(
        "--input", source, "--output", output, "--id-column", "id", "--model",
        trained_model / "model.tar.gz", "--chunk-rows", "7",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    scored = iter(read_jsonl(output))
    rejects = iter(read_jsonl(output.with_name("scored.jsonl.rejects.jsonl")))
    # Then each answer is the API's answer for the same record, and each reject the API's 400
    for line, record in enumerate(records, start=1):
        features = {key: value for key, value in record.items() if key != "id"}
        answer = requests.post(f"{stack.proxy_url}/predict", json=features, timeout=10)
        if answer.status_code == 200:
            assert next(scored) == {"id": record["id"], **answer.json()["predictions"][0]}
        else:
            assert answer.status_code == 400
            assert next(rejects) == {
                "line": line,
                "ids": {"id": record["id"]},
                "errors": answer.json()["Errors"],
            }
    assert next(rejects)["errors"][0]["field"] == "body"  # the line that is not JSON
    assert next(scored, None) is None and next(rejects, None) is None


@pytest.mark.parametrize(
    "objective", ["binary:logistic", "binary:logitraw", "multi:softmax", "multi:softprob",
                  "reg:squarederror", "count:poisson"],
)  # fmt: skip
def test_every_kind_of_model_gives_its_contract_columns(objective: str, tmp_path: Path) -> None:
    # Given a user's own model, imported, and its held-out rows (missing values left empty)
    own = train_own_model(objective, tmp_path / "theirs")
    artifact = tmp_path / "build" / "model.tar.gz"
    assert import_own(own, artifact).returncode == 0
    source = tmp_path / "rows.csv"
    with source.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["key", *own.names])
        for index, row in enumerate(own.rows):
            record = own.record(row)
            cells = [
                ("" if name not in record else str(record[name]).lower()) for name in own.names
            ]
            writer.writerow([f"k{index}", *cells])
    # When they are scored
    output = tmp_path / "scored.csv"
    run = batch_score(
        "--input", source, "--output", output, "--id-column", "key", "--model", artifact
    )  # fmt: skip
    # Then each row is the contract's prediction of XGBoost's own score
    assert run.returncode == 0, run.stderr
    rows = read_csv(output)
    scores = own.booster().predict(xgb.DMatrix(own.rows), validate_features=False).tolist()
    assert [row["key"] for row in rows] == [f"k{index}" for index in range(len(own.rows))]
    assert [csv_prediction(row, own) for row in rows] == [
        expected_prediction(own, score) for score in scores
    ]


def _wait_for_progress(path: Path, process: subprocess.Popen[str], rows: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists():
            try:
                if json.loads(path.read_text())["rows"] >= rows:
                    return
            except ValueError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"no checkpoint past {rows} rows: {process.poll()}")


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_a_stopped_run_resumes_and_writes_nothing_twice(
    stop: signal.Signals, trained_model: Path, tmp_path: Path
) -> None:
    source = tmp_path / "flowers.csv"
    write_iris_batch(source, 40_000)
    model = trained_model / "model.tar.gz"
    # Given the file scored in one go
    whole = tmp_path / "whole.csv"
    assert batch_score("--input", source, "--output", whole, "--id-column", "id",
                       "--model", model).returncode == 0  # fmt: skip
    # And a run of it stopped part way
    output = tmp_path / "scored.csv"
    args = ("--input", source, "--output", output, "--id-column", "id", "--model", model,
            "--chunk-rows", "500")  # fmt: skip
    process = start_batch_score(*args)
    _wait_for_progress(tmp_path / "scored.csv.checkpoint.json", process, 2_000)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=30)
    assert not output.exists()
    if stop != signal.SIGKILL:
        # A signal it can catch ends in one line, with the shell's exit code for it
        assert process.returncode == 128 + stop
        assert stderr.strip().count("\n") == 0 and "rerun the same command" in stderr
    # When the same command runs again
    resumed = batch_score(*args)
    # Then it goes on from its checkpoint, and the files are those of the run in one go
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed after line" in resumed.stdout
    assert output.read_bytes() == whole.read_bytes()
    rejects = output.with_name("scored.csv.rejects.jsonl")
    assert rejects.read_bytes() == whole.with_name("whole.csv.rejects.jsonl").read_bytes()


def test_too_many_rejects_stop_the_run_and_a_higher_limit_goes_on(
    trained_model: Path, tmp_path: Path
) -> None:
    source = tmp_path / "flowers.csv"
    bad = write_iris_batch(source, 5_000)
    output = tmp_path / "scored.csv"
    args = ("--input", source, "--output", output, "--id-column", "id",
            "--model", trained_model / "model.tar.gz", "--chunk-rows", "1000")  # fmt: skip
    stopped = batch_score(*args, "--max-rejects", "3")
    assert stopped.returncode == 1
    assert "more than --max-rejects 3" in stopped.stderr and not output.exists()
    # The same limit again stops at once: nothing more is scored
    checkpoint = tmp_path / "scored.csv.checkpoint.json"
    before = json.loads(checkpoint.read_text())
    again = batch_score(*args, "--max-rejects", "3")
    assert again.returncode == 1 and json.loads(checkpoint.read_text()) == before
    finished = batch_score(*args, "--max-rejects", "100")
    assert finished.returncode == 0, finished.stderr
    assert len(read_jsonl(output.with_name("scored.csv.rejects.jsonl"))) == len(bad)
    assert len(read_csv(output)) == 5_000 - len(bad)


def test_files_it_cannot_score_are_refused_in_one_line_and_nothing_is_written(
    trained_model: Path, tmp_path: Path
) -> None:
    model = trained_model / "model.tar.gz"
    good = tmp_path / "good.csv"
    write_iris_batch(good, 10)
    other = tmp_path / "other.csv"
    other.write_text("id,sepal_length,sepal_width,petal_length,petal_width,colour\n1,1,1,1,1,x\n")
    short = tmp_path / "short.csv"
    short.write_text("sepal_length,sepal_width,petal_length\n1,1,1\n")
    cases = {
        "a column the model does not take": ("--input", other, "--id-column", "id"),
        "a required feature absent": ("--input", short),
        "an id column not in the header": ("--input", good, "--id-column", "key"),
        "an id column named as a prediction's": ("--input", good, "--id-column", "label"),
        "an input that is not there": ("--input", tmp_path / "nothing.csv"),
        "an unknown format": ("--input", tmp_path / "data.parquet"),
        "the output over the input": ("--input", good, "--id-column", "id", "--output", good),
    }
    before = sorted(tmp_path.iterdir())
    for case, args in cases.items():
        if "--output" not in args:
            args = (*args, "--output", tmp_path / "out.csv")
        run = batch_score(*args, "--model", model)
        assert run.returncode == 2, case
        assert run.stderr.startswith("batch_score: ") and run.stderr.count("\n") == 1, case
        assert sorted(tmp_path.iterdir()) == before, case
    # A model whose signature is not its own is refused too
    foreign = tmp_path / "foreign.tar.gz"
    foreign.write_bytes(model.read_bytes() + b"\0")
    (tmp_path / "foreign.signature.json").write_bytes(
        (trained_model / "model.signature.json").read_bytes()
    )
    run = batch_score("--input", good, "--output", tmp_path / "o.csv", "--model", foreign)
    assert run.returncode == 2 and "another artifact" in run.stderr


def test_an_unfinished_run_of_another_job_is_never_overwritten(
    trained_model: Path, tmp_path: Path
) -> None:
    source = tmp_path / "flowers.csv"
    write_iris_batch(source, 3_000)
    output = tmp_path / "scored.csv"
    model = trained_model / "model.tar.gz"
    process = start_batch_score("--input", source, "--output", output, "--id-column", "id",
                                "--model", model, "--chunk-rows", "100")  # fmt: skip
    _wait_for_progress(tmp_path / "scored.csv.checkpoint.json", process, 200)
    process.kill()
    process.wait()
    # The input changed since: the checkpoint is not this job's
    os.utime(source, ns=(time.time_ns(), time.time_ns()))
    refused = batch_score("--input", source, "--output", output, "--id-column", "id",
                          "--model", model)  # fmt: skip
    assert refused.returncode == 2 and "--restart" in refused.stderr
    assert (tmp_path / "scored.csv.partial").exists()
    restarted = batch_score("--input", source, "--output", output, "--id-column", "id",
                            "--model", model, "--restart")  # fmt: skip
    assert restarted.returncode == 0, restarted.stderr
    assert len(read_csv(output)) == 3_000 - len(write_iris_batch(tmp_path / "again.csv", 3_000))


def test_a_plain_file_and_the_same_file_quoted_give_the_same_files(
    trained_model: Path, tmp_path: Path
) -> None:
    """A plain file is read a column at a time (Arrow); the same records with every cell quoted
    are read a record at a time, as every file was before: the two runs write the same bytes."""
    # Given 60,000 records with bad ones, and the same records with every cell quoted
    plain = tmp_path / "plain.csv"
    bad = write_iris_batch(plain, 60_000, seed=11)
    quoted = tmp_path / "quoted.csv"
    with plain.open(newline="") as source, quoted.open("w", newline="") as target:
        csv.writer(target, quoting=csv.QUOTE_ALL).writerows(csv.reader(source))
    model = trained_model / "model.tar.gz"
    # When both are scored
    for source in (plain, quoted):
        run = batch_score("--input", source, "--output", source.with_suffix(".out"),
                          "--id-column", "id", "--model", model, "--chunk-rows", "7000")  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert f"rejected {len(bad)}," in run.stdout
    # Then the scored rows and the rejects are the same bytes
    assert plain.with_suffix(".out").read_bytes() == quoted.with_suffix(".out").read_bytes()
    rejects = [p.with_name(p.stem + ".out.rejects.jsonl").read_bytes() for p in (plain, quoted)]
    assert rejects[0] == rejects[1]
    assert len(rejects[0].splitlines()) == len(bad)


def test_a_categorical_model_scores_categories_by_name(tmp_path: Path) -> None:
    from bench.own_models import categories_flags, run_import_model, train_categorical_model

    # Given the shop's model imported with its categories, and records naming them
    own = train_categorical_model(tmp_path / "theirs", "binary:logistic")
    artifact = tmp_path / "build" / "model.tar.gz"
    imported = run_import_model(
        own.model, own.example, artifact, ("stay", "buy"), tuple(categories_flags(own))
    )
    assert imported.returncode == 0, imported.stderr
    records = [dict(record) for record in own.records] * 50
    records[3] = {**records[3], "color": "purple"}  # a name the model does not know
    records[8] = {**records[8], "temperature": "warm"}
    source = tmp_path / "shop.csv"
    with source.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["key", "temperature", "color", "size"])
        for index, record in enumerate(records):
            cells = [record.get(name, "") for name in ("temperature", "color", "size")]
            writer.writerow([f"k{index}", *cells])
    # When they are scored
    output = tmp_path / "scored.csv"
    run = batch_score("--input", source, "--output", output, "--id-column", "key",
                      "--model", artifact)  # fmt: skip
    # Then each valid record is XGBoost's own prediction on its categories
    assert run.returncode == 0, run.stderr
    valid = [(i, r) for i, r in enumerate(records) if i not in (3, 8)]
    scores = own.predict([record for _, record in valid])
    rows = read_csv(output)
    assert [row["key"] for row in rows] == [f"k{index}" for index, _ in valid]
    assert [float(row["probability_buy"]) for row in rows] == scores
    assert [row["label"] for row in rows] == [("stay", "buy")[int(p > 0.5)] for p in scores]
    # And the unknown name and the word are refused with the API's reasons
    rejects = read_jsonl(output.with_name("scored.csv.rejects.jsonl"))
    assert [(r["line"], r["ids"]["key"], r["errors"][0]["field"]) for r in rejects] == [
        (5, "k3", "color"),
        (10, "k8", "temperature"),
    ]
    assert rejects[0]["errors"][0]["reason"].startswith("Input should be one of 'red', 'green'")
