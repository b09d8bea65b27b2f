"""The model artifact: the layout the built-in XGBoost container loads, reproducible, described."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_iris

from scripts import train_model
from tests.support import REPO_ROOT


def test_artifact_holds_exactly_one_loadable_xgboost_model(
    trained_model: Path, tmp_path: Path
) -> None:
    with tarfile.open(trained_model / "model.tar.gz") as tar:
        assert tar.getnames() == ["xgboost-model"]
        tar.extractall(tmp_path, filter="data")
    booster = xgb.Booster()
    booster.load_model(str(tmp_path / "xgboost-model"))
    probabilities = booster.inplace_predict(load_iris().data)
    assert probabilities.shape == (150, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_metadata_describes_the_artifact(trained_model: Path) -> None:
    metadata = json.loads((trained_model / "model-metadata.json").read_text())
    digest = hashlib.sha256((trained_model / "model.tar.gz").read_bytes()).hexdigest()
    assert metadata["artifact_sha256"] == digest
    assert metadata["xgboost_version"] == xgb.__version__ == "3.0.5"
    assert metadata["held_out_accuracy"] >= 0.9
    assert [feature["name"] for feature in metadata["features"]] == [
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
    ]


def test_same_seed_gives_the_same_artifact(trained_model: Path, tmp_path: Path) -> None:
    again = train_model.write_artifacts(tmp_path, seed=42, rounds=50, lambda_metadata=None)
    first = json.loads((trained_model / "model-metadata.json").read_text())
    assert again["artifact_sha256"] == first["artifact_sha256"]


def test_lambda_ships_the_metadata_of_the_current_model(trained_model: Path) -> None:
    shipped = (REPO_ROOT / "chalice_app" / "chalicelib" / "model_metadata.json").read_text()
    assert shipped == (trained_model / "model-metadata.json").read_text(), (
        "run `python -m scripts.train_model` and commit chalicelib/model_metadata.json"
    )
