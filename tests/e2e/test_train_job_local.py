"""`train_job --local` as a user runs it: a CSV with text labels and missing cells trained in a
process of its own as the built-in algorithm trains, imported, registered (moto_server), served
by make run's stack, and every answer XGBoost's own prediction of the model it wrote."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import numpy as np
import pytest
import requests
import xgboost as xgb
from sklearn.datasets import load_wine

from foundation.paths import REPO_ROOT
from local_sagemaker.stack import Layout, Stack, running_stack
from tests.e2e.command_runs import REGION, run, started_moto_server

CULTIVARS = ("nebbiolo", "grignolino", "barbera")  # wine's classes 0, 1, 2; sorted: 2, 1, 0
LABEL = "cultivar"


def wine_csv(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    """Wine's 13 features (a tenth of the cells empty) and the cultivar as text."""
    wine = load_wine()
    rng = np.random.default_rng(3)
    x = wine.data.copy()
    x[rng.random(x.shape) < 0.1] = np.nan
    names = [name.replace("/", "_") for name in wine.feature_names]
    labels = [CULTIVARS[target] for target in wine.target]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*names, LABEL])
        for row, label in zip(x, labels, strict=True):
            writer.writerow([*("" if np.isnan(v) else repr(float(v)) for v in row), label])
    return names, x, labels


def train_job(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.train_job", *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def booster_of(artifact: Path) -> xgb.Booster:
    with tarfile.open(artifact, "r:gz") as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        content = member.read()
    booster = xgb.Booster()
    booster.load_model(bytearray(content))
    return booster


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], np.ndarray]:
    folder = tmp_path_factory.mktemp("wine")
    names, x, _ = wine_csv(folder / "wine.csv")
    done = train_job(
        "--data", str(folder / "wine.csv"), "--label", LABEL, "--local",
        "--hyperparameters", "num_round=40,max_depth=3,eval_metric=mlogloss,early_stopping_rounds=5",
        "--output", str(folder / "build" / "model.tar.gz"),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # The objective and classes were inferred and said; a line per round was shown
    assert "note:      objective=multi:softprob, num_class=3" in done.stdout
    assert "validation-mlogloss" in done.stdout
    return folder / "build" / "model.tar.gz", names, x


@pytest.fixture(scope="module")
def served(trained: tuple[Path, list[str], np.ndarray]) -> Iterator[Stack]:
    artifact = trained[0]
    with running_stack(artifact, Layout.isolated(artifact.parent.parent / "stack")) as stack:
        yield stack


def test_the_signature_comes_from_the_data_and_the_encoding(
    trained: tuple[Path, list[str], np.ndarray],
) -> None:
    artifact, names, _ = trained
    signature = json.loads(artifact.with_name("model.signature.json").read_text())
    # Classes in sorted order, the features in the header's order, each optional (a tenth empty)
    assert signature["labels"] == sorted(CULTIVARS)
    assert [feature["name"] for feature in signature["features"]] == names
    assert all(feature["optional"] for feature in signature["features"])
    assert signature["training"]["split_seed"] == 42
    assert "validation:mlogloss" in signature["training"]["metrics"]


def test_every_answer_is_xgboosts_own_prediction_of_the_written_model(
    trained: tuple[Path, list[str], np.ndarray], served: Stack
) -> None:
    artifact, names, x = trained
    rows = x[:30]
    records = [
        {name: float(v) for name, v in zip(names, row, strict=True) if not np.isnan(v)}
        for row in rows
    ]
    response = requests.post(f"{served.proxy_url}/predict", json={"instances": records}, timeout=30)
    assert response.status_code == 200, response.text
    got = response.json()["predictions"]
    own = booster_of(artifact).predict(xgb.DMatrix(rows.astype(np.float32)))
    labels = sorted(CULTIVARS)
    for prediction, scores in zip(got, own, strict=True):
        assert prediction["label"] == labels[int(np.argmax(scores))]
        assert prediction["probabilities"] == pytest.approx(
            dict(zip(labels, scores.tolist(), strict=True)), abs=1e-6
        )


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from started_moto_server(tmp_path_factory)


def test_group_registers_the_version_with_its_metrics(tmp_path: Path, moto_url: str) -> None:
    wine_csv(tmp_path / "wine.csv")
    done = run(
        "scripts.train_job", "--data", str(tmp_path / "wine.csv"), "--label", LABEL, "--local",
        "--hyperparameters", "num_round=10", "--group", "wine",
        "--output", str(tmp_path / "build" / "model.tar.gz"), endpoint_url=moto_url,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    sagemaker = boto3.client(
        "sagemaker", region_name=REGION, endpoint_url=moto_url,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    packages = sagemaker.list_model_packages(ModelPackageGroupName="wine")[
        "ModelPackageSummaryList"
    ]
    assert len(packages) == 1
    described = sagemaker.describe_model_package(ModelPackageName=packages[0]["ModelPackageArn"])
    metadata = described["CustomerMetadataProperties"]
    assert described["ModelApprovalStatus"] == "PendingManualApproval"
    assert any(key.endswith("validation:mlogloss") for key in metadata), metadata


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda text: text.replace(LABEL, "kind"), 'label "cultivar"'),
        (lambda text: text.split("\n")[0] + "\n", "header"),
        (lambda text: "", "empty"),
        (lambda text: text.replace("barbera", "barolo", 1), "1 row"),
        (lambda text: text.replace("\n", "\nabc", 1), "abc"),
    ],
    ids=["no label column", "header only", "empty", "a class of one row", "text in a feature"],
)
def test_bad_data_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, change: object, said: str
) -> None:
    wine_csv(tmp_path / "wine.csv")
    text = (tmp_path / "wine.csv").read_text()
    assert callable(change)
    (tmp_path / "bad.csv").write_text(change(text))
    done = train_job(
        "--data", str(tmp_path / "bad.csv"), "--label", LABEL, "--local",
        "--hyperparameters", "num_round=5", "--output", str(tmp_path / "build" / "model.tar.gz"),
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
    assert not (tmp_path / "build").exists()


def test_another_models_artifact_is_not_replaced_without_force(
    trained: tuple[Path, list[str], np.ndarray], tmp_path: Path
) -> None:
    artifact = trained[0]
    before = artifact.read_bytes()
    done = train_job(
        "--data", str(artifact.parent.parent / "wine.csv"), "--label", LABEL, "--local",
        "--hyperparameters", "num_round=3", "--output", str(artifact),
    )  # fmt: skip
    assert done.returncode == 1 and "--force" in done.stderr, done.stderr
    assert artifact.read_bytes() == before


def test_local_tuning_tries_each_point_and_keeps_the_best(tmp_path: Path) -> None:
    wine_csv(tmp_path / "wine.csv")
    done = train_job(
        "--data", str(tmp_path / "wine.csv"), "--label", LABEL, "--local",
        "--hyperparameters", "num_round=10", "--tune", "eta=0.05:0.5,max_depth=2:4",
        "--objective-metric", "validation:mlogloss", "--max-jobs", "3",
        "--output", str(tmp_path / "build" / "model.tar.gz"),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    trials = [line for line in done.stdout.splitlines() if line.strip().startswith("trial ")]
    assert len(trials) == 3
    scores = [float(line.split("validation:mlogloss=")[1].split()[0]) for line in trials]
    signature = json.loads((tmp_path / "build" / "model.signature.json").read_text())
    kept = signature["training"]["hyperparameters"]
    best = trials[scores.index(min(scores))]
    assert f"eta={kept['eta']}" in best and f"max_depth={kept['max_depth']}" in best
    assert "_tuning_objective_metric" not in kept


def test_a_metric_tuning_cannot_read_is_refused_before_training(tmp_path: Path) -> None:
    wine_csv(tmp_path / "wine.csv")
    done = train_job(
        "--data", str(tmp_path / "wine.csv"), "--label", LABEL, "--local",
        "--hyperparameters", "num_round=10", "--tune", "eta=0.05:0.5",
        "--objective-metric", "validation:rmse", "--output", str(tmp_path / "build" / "model.tar.gz"),
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "rmse" in done.stderr and not (tmp_path / "build" / "model.tar.gz").exists()
