"""The Iris artifact: the layout the built-in XGBoost container loads, reproducible, with its
signature, and never written over another model."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from sklearn.datasets import load_iris

from chalicelib.signature import read_signature
from foundation.paths import IRIS_SIGNATURE
from scripts import train_model
from serving.model import XGBoostModel


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


def test_signature_describes_the_artifact(trained_model: Path) -> None:
    signature = read_signature(trained_model / "model.signature.json")
    digest = hashlib.sha256((trained_model / "model.tar.gz").read_bytes()).hexdigest()
    assert signature.artifact_sha256 == digest
    assert signature.xgboost_version == xgb.__version__ == "3.0.5"
    assert signature.objective == "multi:softprob"
    assert signature.labels == ("setosa", "versicolor", "virginica")
    assert signature.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert all(f.exclusive_minimum == 0 and f.maximum == 100 for f in signature.features)
    assert signature.training is not None and signature.training["held_out_accuracy"] >= 0.9
    # The first example is a setosa, and its score is the model's own for it.
    first = signature.examples[0]
    assert first["record"] == {
        "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2
    }  # fmt: skip
    model = XGBoostModel.from_artifact(trained_model / "model.tar.gz")
    assert first["score"] == model.predict_csv(b"5.1,3.5,1.4,0.2")[0].tolist()


def test_same_seed_gives_the_same_artifact(trained_model: Path, tmp_path: Path) -> None:
    again = train_model.write_artifacts(tmp_path / "model.tar.gz", seed=42, rounds=50)
    first = read_signature(trained_model / "model.signature.json")
    assert again.artifact_sha256 == first.artifact_sha256
    assert (tmp_path / "model.signature.json").read_bytes() == (
        trained_model / "model.signature.json"
    ).read_bytes()


def test_lambda_ships_the_signature_of_the_current_model(trained_model: Path) -> None:
    assert IRIS_SIGNATURE.read_text() == (trained_model / "model.signature.json").read_text(), (
        "run `python -m scripts.train_model --force` and copy build/model.signature.json to "
        "chalicelib/signatures/iris.json"
    )


def test_training_never_replaces_another_artifact(trained_model: Path, tmp_path: Path) -> None:
    # Given an artifact of another model where training would write, and edits to a signature
    mine = tmp_path / "model.tar.gz"
    mine.write_bytes(b"my own model")
    # When training is asked to write there
    # Then it refuses and leaves the file as it was
    with pytest.raises(FileExistsError, match="--force"):
        train_model.write_artifacts(mine, seed=42, rounds=50)
    assert mine.read_bytes() == b"my own model"
    assert not (tmp_path / "model.signature.json").exists()
    # and --force replaces it
    train_model.write_artifacts(mine, seed=42, rounds=50, force=True)
    assert read_signature(tmp_path / "model.signature.json").objective == "multi:softprob"
