"""Train the Iris XGBoost classifier and package it for SageMaker's built-in XGBoost container.

Writes ``build/model.tar.gz`` (exactly one member, ``xgboost-model``, saved with
``Booster.save_model``) and a metadata file beside it. The metadata is also copied
into ``chalice_app/chalicelib/`` so the Lambda ships the feature order and class
labels instead of repeating them in code.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from paths import BUILD_DIR, LAMBDA_METADATA
from provisioning.images import DEFAULT_XGBOOST_VERSION as CONTAINER_VERSION
from provisioning.images import MODEL_MEMBER

DEFAULT_OUTPUT_DIR = BUILD_DIR
LAMBDA_METADATA_PATH = LAMBDA_METADATA
ARTIFACT_NAME = "model.tar.gz"
METADATA_NAME = "model-metadata.json"

# Physically plausible bounds for a flower measured in cm: the API rejects values
# outside them. Iris measurements in the data set lie between 0.1 and 7.9 cm.
FEATURE_MINIMUM_EXCLUSIVE_CM = 0.0
FEATURE_MAXIMUM_CM = 100.0


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


def deterministic_tar_gz(member_name: str, payload: bytes) -> bytes:
    """A tar.gz with one member and no timestamps or owners, so equal payloads hash equal."""
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(member_name)
        info.size = len(payload)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(payload))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=gz_buffer, mode="wb", mtime=0) as gz:
        gz.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def build_metadata(
    features: list[str], labels: list[str], accuracy: float, artifact: bytes, seed: int
) -> dict[str, object]:
    return {
        "features": [
            {
                "name": name,
                "unit": "cm",
                "exclusive_minimum": FEATURE_MINIMUM_EXCLUSIVE_CM,
                "maximum": FEATURE_MAXIMUM_CM,
            }
            for name in features
        ],
        "class_labels": labels,
        "objective": "multi:softprob",
        "held_out_accuracy": round(accuracy, 4),
        "xgboost_version": xgb.__version__,
        "container_version": CONTAINER_VERSION,
        "seed": seed,
        "artifact_sha256": hashlib.sha256(artifact).hexdigest(),
    }


def write_artifacts(output_dir: Path, seed: int, rounds: int, lambda_metadata: Path | None) -> dict:
    booster, accuracy, features, labels = train(seed, rounds)
    model_bytes = saved_model_bytes(booster)
    artifact = deterministic_tar_gz(MODEL_MEMBER, model_bytes)
    metadata = build_metadata(features, labels, accuracy, artifact, seed)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / ARTIFACT_NAME).write_bytes(artifact)
    metadata_text = json.dumps(metadata, indent=2) + "\n"
    (output_dir / METADATA_NAME).write_text(metadata_text)
    if lambda_metadata is not None:
        lambda_metadata.write_text(metadata_text)
    return metadata


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help=f"where to write {ARTIFACT_NAME} and {METADATA_NAME} (default: build/)",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed for the split and the trees (default: 42)"
    )
    parser.add_argument("--rounds", type=int, default=50, help="boosting rounds (default: 50)")
    parser.add_argument(
        "--no-lambda-metadata",
        action="store_true",
        help="do not copy the metadata into chalice_app/chalicelib/ (for experiments)",
    )
    args = parser.parse_args(argv)
    lambda_metadata = None if args.no_lambda_metadata else LAMBDA_METADATA_PATH
    metadata = write_artifacts(args.output_dir, args.seed, args.rounds, lambda_metadata)
    print(f"held-out accuracy: {metadata['held_out_accuracy']:.4f}")
    print(f"artifact: {args.output_dir / ARTIFACT_NAME} sha256={metadata['artifact_sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
