"""A trained model made servable: the artifact the built-in container loads and its signature,
made as ``scripts.import_model`` makes one (features and types from the data, labels from the
encoding, examples from validation rows), written without replacing another model's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from artifacts.baseline_maker import baseline_for
from artifacts.booster import booster_facts, load_booster
from artifacts.example_input import Example
from artifacts.importing import (
    Imported,
    ImportRefused,
    build_signature,
    refuse_objective,
    write_import,
)
from artifacts.model_file import ModelFileError, model_from_bytes
from artifacts.packaging import deterministic_tar_gz, signature_path_for
from foundation.lambda_code import drift
from foundation.lambda_code import signature as sig
from serving.model import XGBoostModel
from training.manifest import Manifest


@dataclass(frozen=True)
class Servable:
    artifact: bytes
    signature: sig.Signature
    # The model's drift baseline on its training rows, when they were at hand.
    baseline: drift.Baseline | None = None


def servable(
    model_bytes: bytes,
    manifest: Manifest,
    training: dict[str, Any],
    described: dict[str, sig.Feature] | None = None,
    baseline_rows: np.ndarray | None = None,
    baseline_source: str | None = None,
) -> Servable:
    """The artifact (one member, xgboost-model, the model's own bytes), its signature and, with
    ``baseline_rows`` (the training rows), its baseline; ``described`` gives features bounds and
    descriptions the data cannot (Iris's)."""
    try:
        model = model_from_bytes(model_bytes, "the trained model")
        booster = load_booster(model)
    except ModelFileError as error:
        raise ImportRefused(str(error)) from None
    facts = booster_facts(booster)
    refuse_objective(facts)
    artifact = deterministic_tar_gz(model.content)
    example = Example(header=manifest.features, rows=manifest.examples, path=Path(manifest.source))
    described = described or {
        name: sig.Feature(name, kind, optional)
        for name, kind, optional in zip(
            manifest.features, manifest.kinds, manifest.optional, strict=True
        )
    }
    signature = build_signature(
        model,
        artifact,
        facts,
        example,
        manifest.classes if sig.OBJECTIVES[facts.objective] is not sig.Answer.VALUE else (),
        XGBoostModel(booster),
        training=training,
        described=described,
    )
    baseline = None
    if baseline_rows is not None:
        source = baseline_source or f"the training rows of {manifest.source}"
        baseline = baseline_for(signature, XGBoostModel(booster), baseline_rows, source)
    return Servable(artifact, signature, baseline)


def write_servable(path: Path, made: Servable, force: bool = False) -> Path:
    """Write the artifact, then its signature, as an import writes them (never over another
    model's without ``force``: OverwriteRefused, a FileExistsError). Returns the signature's path."""
    signature_path = signature_path_for(path)
    write_import(
        Imported(made.signature, path, signature_path, made.artifact, made.baseline), force
    )
    return signature_path
