"""Train the example model, an XGBoost Iris classifier, for SageMaker's built-in XGBoost container.

Writes ``build/model.tar.gz`` (exactly one member, ``xgboost-model``, saved with
``Booster.save_model``) and its signature, ``build/model.signature.json``, made as
``scripts.import_model`` makes one, with bounds a flower's measurements keep. The proxy ships the
same signature as ``chalicelib/signatures/iris.json`` (a test holds the two together).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from artifacts.booster import booster_facts
from artifacts.example_input import Example
from artifacts.importing import build_signature
from artifacts.model_file import model_from_bytes
from artifacts.packaging import (
    ARTIFACT,
    deterministic_tar_gz,
    signature_path_for,
    signature_text,
)
from lambda_code import signature as sig
from provisioning.files import write_atomically
from provisioning.images import MODEL_MEMBER
from serving.model import XGBoostModel

# Physically plausible bounds for a flower measured in cm: the API rejects values
# outside them. Iris measurements in the data set lie between 0.1 and 7.9 cm.
FEATURE_MINIMUM_EXCLUSIVE_CM = 0.0
FEATURE_MAXIMUM_CM = 100.0
# The example input: one flower of each class, setosa first (the deploy's smoke test row).
EXAMPLE_ROWS = (0, 50, 100)


def snake_case_feature(sklearn_name: str) -> str:
    """'sepal length (cm)' -> 'sepal_length'."""
    return sklearn_name.replace(" (cm)", "").replace(" ", "_")


def train(seed: int, rounds: int) -> tuple[xgb.Booster, float, list[str], list[str]]:
    """Train on a stratified split; return the booster, held-out accuracy, features, labels."""
    iris = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        iris.data, iris.target, test_size=0.3, random_state=seed, stratify=iris.target
    )
    params = {
        "objective": "multi:softprob",
        "num_class": len(iris.target_names),
        "max_depth": 3,
        "eta": 0.3,
        "seed": seed,
        # One thread keeps the trees, and so the artifact hash, reproducible.
        "nthread": 1,
    }
    # No feature names on the DMatrix: the container predicts on header-less CSV.
    booster = xgb.train(params, xgb.DMatrix(x_train, label=y_train), num_boost_round=rounds)
    probabilities = booster.predict(xgb.DMatrix(x_test))
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y_test))
    features = [snake_case_feature(name) for name in iris.feature_names]
    labels = [str(name) for name in iris.target_names]
    return booster, accuracy, features, labels


def saved_model_bytes(booster: xgb.Booster) -> bytes:
    """The bytes ``Booster.save_model`` writes, in UBJSON (the container loads it by content)."""
    with tempfile.TemporaryDirectory() as tmp:
        # The .ubj suffix picks the format explicitly; the member is renamed in the tarball.
        path = Path(tmp) / f"{MODEL_MEMBER}.ubj"
        booster.save_model(path)
        return path.read_bytes()


def iris_feature(name: str) -> sig.Feature:
    return sig.Feature(
        name,
        sig.NUMBER,
        exclusive_minimum=FEATURE_MINIMUM_EXCLUSIVE_CM,
        maximum=FEATURE_MAXIMUM_CM,
        description=f"{name.replace('_', ' ')} in cm",
    )


def iris_artifacts(seed: int, rounds: int) -> tuple[bytes, sig.Signature]:
    """The artifact's bytes and its signature."""
    booster, accuracy, features, labels = train(seed, rounds)
    model = model_from_bytes(saved_model_bytes(booster), "the trained model")
    artifact = deterministic_tar_gz(model.content)
    data = load_iris().data
    example = Example(
        header=tuple(features),
        rows=tuple(tuple(repr(float(value)) for value in data[row]) for row in EXAMPLE_ROWS),
        path=Path("iris"),
    )
    training: dict[str, Any] = {
        "data": "Iris (scikit-learn), stratified 70/30 split",
        "held_out_accuracy": round(accuracy, 4),
        "seed": seed,
        "rounds": rounds,
    }
    signature = build_signature(
        model,
        artifact,
        booster_facts(booster),
        example,
        tuple(labels),
        XGBoostModel(booster),
        training=training,
        described={name: iris_feature(name) for name in features},
    )
    return artifact, signature


def write_artifacts(
    artifact_path: Path, seed: int, rounds: int, force: bool = False
) -> sig.Signature:
    """Train and write the artifact and its signature; refuse to replace another artifact (one
    imported with scripts.import_model, say) unless ``force``."""
    artifact, signature = iris_artifacts(seed, rounds)
    outputs = {
        artifact_path: artifact,
        signature_path_for(artifact_path): signature_text(signature).encode("utf-8"),
    }
    for path, content in outputs.items():
        if not force and path.exists() and path.read_bytes() != content:
            raise FileExistsError(
                f"{path} exists and is not what this training writes (an imported model, or "
                "edits of yours): pass --force to replace it, or --output to write elsewhere"
            )
    for path, content in outputs.items():  # the artifact first, then what names it
        write_atomically(path, content)
    return signature


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=ARTIFACT,
        help="the artifact to write; its signature goes beside it (default: build/model.tar.gz)",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed for the split and the trees (default: 42)"
    )
    parser.add_argument("--rounds", type=int, default=50, help="boosting rounds (default: 50)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an artifact that is not this training's (an imported model, say)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        signature = write_artifacts(args.output, args.seed, args.rounds, args.force)
    except FileExistsError as error:
        print(f"train_model: {error}", file=sys.stderr)
        return 1
    assert signature.training is not None
    print(f"held-out accuracy: {signature.training['held_out_accuracy']:.4f}")
    print(f"artifact: {args.output} sha256={signature.artifact_sha256}")
    print(f"signature: {signature_path_for(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
