"""Everything a training needs that costs nothing and makes nothing in AWS: the data read and
checked, the label encoded, the objective inferred, the hyperparameters checked as the container
checks them, and the channels written on this machine with their manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from foundation.files import write_atomically
from foundation.paths import BUILD_DIR
from training import hyperparameters as hp
from training.dataset import Channels, Dataset, matching, read_dataset, split, write_channels
from training.manifest import MANIFEST_NAME, Manifest, manifest_for

# Beside the artifact: build/model.tar.gz has its channels in build/training/.
CHANNELS_FOLDER = "training"
CLASSIFIERS = ("binary:", "multi:")
NOT_NUMBERS = frozenset({"nan", "inf", "infinity"})
# The container's metrics computed on predicted classes (custom_metrics.py:47-203).
CLASS_METRICS = frozenset(
    {"accuracy", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "precision",
     "precision_macro", "precision_micro", "recall", "recall_macro", "recall_micro"}
)  # fmt: skip


def objective_is_binary(values: dict[str, str]) -> bool:
    return values.get("objective") in ("binary:logistic", "binary:hinge")


@dataclass(frozen=True)
class Prepared:
    channels: Channels
    manifest: Manifest
    hyperparameters: dict[str, str]  # as the job sends them: strings, objective included
    notes: tuple[str, ...]  # what was inferred, said to the user

    @property
    def manifest_path(self) -> Path:
        return self.channels.train.parent / MANIFEST_NAME


def label_kind(objective: str | None) -> str:
    if objective is None:
        return "auto"
    return "classes" if objective.startswith(CLASSIFIERS) else "values"


def completed_hyperparameters(
    given: dict[str, str], dataset: Dataset
) -> tuple[dict[str, str], list[str]]:
    """``given`` with the objective and num_class the label implies when they are missing."""
    values = dict(given)
    notes = []
    kind = "classes" if dataset.classes else "values"
    if "objective" not in values:
        inferred = hp.inferred_objective(kind, len(dataset.classes))
        values.update(inferred)
        said = ", ".join(f"{k}={v}" for k, v in inferred.items())
        notes.append(f"{said}, from the label {dataset.label!r} (pass objective=... to choose)")
    objective = values["objective"]
    for name, value in values.items():  # the container's ranges let NaN through
        if value.strip().lower().lstrip("+-") in NOT_NUMBERS:
            raise hp.HyperparameterError(f"hyperparameter {name}: {value} is not a finite number")
    if "num_class" in values and not objective.startswith("multi:"):
        # The container's check for this never runs (hyperparameter_validation.py:87-90);
        # xgboost then fails on the labels' shape.
        raise hp.HyperparameterError(f"num_class is for multi: objectives, not {objective}")
    if objective.startswith("multi:") and "num_class" not in values:
        values["num_class"] = str(len(dataset.classes))
        notes.append(f"num_class={len(dataset.classes)}, the classes in {dataset.label!r}")
    classes = len(dataset.classes)
    if objective.startswith("multi:") and values["num_class"] != str(classes):
        raise hp.HyperparameterError(
            f"num_class={values['num_class']} but the label {dataset.label!r} has {classes} classes"
        )
    if objective.startswith("binary:") and classes != 2:
        raise hp.HyperparameterError(
            f"{objective} needs 2 classes; the label {dataset.label!r} has {classes}"
        )
    return values, notes


def prepare(
    data: Path,
    label: str,
    given: dict[str, str],
    validation: Path | None = None,
    fraction: float = 0.2,
    seed: int = 42,
    folder: Path = BUILD_DIR / CHANNELS_FOLDER,
    source: str | None = None,
) -> Prepared:
    """Read, check, split and write the channels; DataRefused or HyperparameterError, with
    nothing written, when anything is wrong."""
    dataset = read_dataset(data, label, label_kind(given.get("objective")))
    values, notes = completed_hyperparameters(given, dataset)
    config = hp.validate(values)
    hp.check_metrics(config)
    if objective_is_binary(values) and CLASS_METRICS & set(config.get("eval_metric") or []):
        notes.append(
            "the container's own accuracy, f1, precision and recall count every row as positive "
            "for binary:logistic and binary:hinge under XGBoost 3.0.5 (it gets probabilities, tests margin > 0):"
            " use auc, logloss or error"
        )
    if config.get("csv_weights") == 1:
        raise hp.HyperparameterError(
            "csv_weights=1 reads instance weights from the channels' second column; the "
            "channels written from your CSV have none"
        )
    if validation is not None:
        held_out = read_dataset(
            validation, label, label_kind(values["objective"]), dataset.classes or None
        )
        matching(dataset, held_out)
        train = (dataset.x, dataset.y)
        valid = (held_out.x, held_out.y)
        example_source, example_rows, split_seed = held_out, np.arange(len(held_out.y)), None
    else:
        train_rows, validation_rows = split(dataset, fraction, seed)
        train = (dataset.x[train_rows], dataset.y[train_rows])
        valid = (dataset.x[validation_rows], dataset.y[validation_rows])
        example_source, example_rows, split_seed = dataset, validation_rows, seed
    channels = write_channels(folder, train, valid)
    manifest = manifest_for(dataset, example_source, example_rows, split_seed, channels.rows)
    if source:
        manifest = Manifest(**{**manifest.__dict__, "source": source})
    prepared = Prepared(channels, manifest, values, tuple(notes))
    write_atomically(prepared.manifest_path, manifest.text().encode())
    return prepared
