"""Train the example model, an XGBoost Iris classifier, the way every model here is trained: the
Iris CSV through ``train_job --local``'s path (channels, the built-in algorithm's training,
the import).

Writes ``build/model.tar.gz`` (exactly one member, ``xgboost-model``, as the container saves it)
and its signature, ``build/model.signature.json``, with bounds a flower's measurements keep, and
its drift baseline on the training split, ``build/model.baseline.json``. The
proxy ships the same signature as ``chalicelib/signatures/iris.json`` (a test holds the two
together).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris

from artifacts.baseline_data import channel_rows
from artifacts.baseline_files import baseline_path_for
from artifacts.packaging import ARTIFACT, signature_path_for
from foundation.command_help import ends_with_example
from foundation.lambda_code import signature as sig
from training.local import channel_matrix, train_channels
from training.manifest import Manifest, cell
from training.prepare import prepare
from training.result import servable, write_servable

# Physically plausible bounds for a flower measured in cm: the API rejects values
# outside them. Iris measurements in the data set lie between 0.1 and 7.9 cm.
FEATURE_MINIMUM_EXCLUSIVE_CM = 0.0
FEATURE_MAXIMUM_CM = 100.0
# The example input: one flower of each class, setosa first (the deploy's smoke test row).
EXAMPLE_ROWS = (0, 50, 100)
LABEL = "species"
HELD_OUT = 0.3


def snake_case_feature(sklearn_name: str) -> str:
    """'sepal length (cm)' -> 'sepal_length'."""
    return sklearn_name.replace(" (cm)", "").replace(" ", "_")


def hyperparameters(seed: int, rounds: int) -> dict[str, str]:
    # One thread keeps the trees, and so the artifact hash, reproducible.
    return {
        "objective": "multi:softprob",
        "num_class": "3",
        "max_depth": "3",
        "eta": "0.3",
        "seed": str(seed),
        "nthread": "1",
        "num_round": str(rounds),
    }


def write_iris_csv(path: Path) -> list[str]:
    """Iris as a user's CSV: a header, the measurements, the species by name."""
    iris = load_iris()
    features = [snake_case_feature(name) for name in iris.feature_names]
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*features, LABEL])
        for row, target in zip(iris.data, iris.target, strict=True):
            writer.writerow([*(repr(float(v)) for v in row), iris.target_names[target]])
    return features


def iris_feature(name: str) -> sig.Feature:
    return sig.Feature(
        name,
        sig.NUMBER,
        exclusive_minimum=FEATURE_MINIMUM_EXCLUSIVE_CM,
        maximum=FEATURE_MAXIMUM_CM,
        description=f"{name.replace('_', ' ')} in cm",
    )


def held_out_accuracy(booster_predict: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(booster_predict, axis=1) == labels))


def write_artifacts(
    artifact_path: Path, seed: int, rounds: int, force: bool = False
) -> sig.Signature:
    """Train and write the artifact and its signature; refuse to replace another artifact (one
    imported with scripts.import_model, say) unless ``force``."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "iris.csv"
        features = write_iris_csv(data)
        prepared = prepare(
            data, LABEL, hyperparameters(seed, rounds), None, HELD_OUT, seed, Path(folder)
        )
        assert prepared.channels.validation is not None
        trained = train_channels(
            prepared.channels.train, prepared.channels.validation, prepared.hyperparameters,
            out=lambda line: None,
        )  # fmt: skip
        validation = channel_matrix(prepared.channels.validation)
        accuracy = held_out_accuracy(trained.booster.predict(validation), validation.get_label())
        # The drift baseline is made of the rows the model was trained on.
        training_rows = channel_rows(prepared.channels.train, len(features))
    x = load_iris().data
    manifest = Manifest(
        **{
            **prepared.manifest.__dict__,
            "examples": tuple(
                tuple(cell(float(v), sig.NUMBER) for v in x[r]) for r in EXAMPLE_ROWS
            ),
        }
    )
    training = {
        "data": "Iris (scikit-learn), stratified 70/30 split",
        "held_out_accuracy": round(accuracy, 4),
        "seed": seed,
        "rounds": rounds,
    }
    made = servable(
        trained.model_bytes,
        manifest,
        training,
        {name: iris_feature(name) for name in features},
        baseline_rows=training_rows,
        baseline_source="Iris (scikit-learn), the training split",
    )
    write_servable(artifact_path, made, force)
    return made.signature


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        **ends_with_example(
            "python -m scripts.train_model --seed 7 --output build/seed-7/model.tar.gz"
        ),
        description=__doc__.splitlines()[0],
    )
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
    print(f"baseline: {baseline_path_for(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
