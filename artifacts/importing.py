"""Bring a user's own XGBoost model in: check it against what the built-in container serves and
what its example input says, then write the artifact and its signature, or nothing at all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artifacts import categories as cats
from artifacts import example_input
from artifacts.baseline_data import BaselineDataError
from artifacts.baseline_files import baseline_files, foreign_baseline
from artifacts.baseline_maker import baseline_from_csv
from artifacts.binding import shape_problem
from artifacts.booster import BoosterFacts, booster_facts, load_booster
from artifacts.example_input import Example, ExampleError
from artifacts.model_file import ModelFile, ModelFileError, read_model_file
from artifacts.outputs import OutputsError, checked_outputs, multi_label_problem
from artifacts.packaging import (
    deterministic_tar_gz,
    sha256,
    signature_path_for,
    signature_text,
)
from foundation.files import write_atomically
from foundation.images import DEFAULT_XGBOOST_VERSION, container_xgboost, newer_than
from foundation.lambda_code import drift, predictor
from foundation.lambda_code import signature as sig
from serving.model import XGBoostModel


class ImportRefused(ValueError):
    """The model cannot be served as asked; one line says why."""


class OverwriteRefused(FileExistsError):
    """The output belongs to another model; one line says why, nothing is written."""


@dataclass(frozen=True)
class Imported:
    signature: sig.Signature
    artifact: Path
    signature_path: Path
    # The artifact's bytes: what ``write_import`` writes.
    content: bytes = b""
    # The model's drift baseline (artifacts.baseline_maker), written beside the signature.
    baseline: drift.Baseline | None = None


@dataclass(frozen=True)
class Typing:
    """What the user says of the features' types beyond the example: categorical features'
    names (feature -> names in code order) and the features that are whole numbers."""

    categories: dict[str, tuple[str, ...]] | None = None
    integers: frozenset[str] = frozenset()


def refuse_objective(facts: BoosterFacts) -> None:
    if facts.objective not in sig.OBJECTIVES:
        raise ImportRefused(
            f"the model's objective {facts.objective} is not one the built-in container answers "
            f"(it answers {', '.join(sorted(sig.OBJECTIVES))})"
        )
    try:
        multi_label_problem(facts)
    except OutputsError as error:
        raise ImportRefused(str(error)) from None


def refuse_version(model: ModelFile, container_version: str) -> None:
    runs = container_xgboost(container_version)
    if newer_than(model.version, runs):
        raise ImportRefused(
            f"the model was saved by XGBoost {model.version_text}, newer than the "
            f"{'.'.join(map(str, runs))} the built-in container {container_version} runs: "
            f"save it with xgboost-cpu=={'.'.join(map(str, runs))}"
        )


def checked_labels(facts: BoosterFacts, labels: tuple[str, ...] | None) -> tuple[str, ...]:
    answer = sig.OBJECTIVES[facts.objective]
    if answer is sig.Answer.VALUE:
        if labels:
            raise ImportRefused(
                f"--labels names classes, and {facts.objective} predicts a value: leave it out"
            )
        return ()
    if not labels:
        raise ImportRefused(
            f"{facts.objective} is a classifier of {facts.classes} classes: name them with "
            "--labels, in index order" + (" (negative,positive)" if facts.classes == 2 else "")
        )
    if len(labels) != facts.classes:
        raise ImportRefused(
            f"--labels names {len(labels)} classes; the model has {facts.classes}"
            + (" (negative,positive)" if facts.classes == 2 else "")
        )
    if len(set(labels)) != len(labels) or not all(labels):
        raise ImportRefused("--labels must be distinct and not empty")
    return labels


def example_scores(model: XGBoostModel, signature: sig.Signature, records: list[dict]) -> list:
    """The model's own score for each example record, sent as the proxy sends it (CSV) and read
    as the built-in container reads it: what the deploy's smoke test expects back."""
    codes = [
        {name: code for code, name in enumerate(feature.categories or ())}
        for feature in signature.features
    ]
    rows = [
        [
            code[value] if isinstance(value, str) else value
            for value, code in zip(
                (record.get(name) for name in signature.feature_names), codes, strict=True
            )
        ]
        for record in records
    ]
    body = predictor.to_csv(rows, missing=True, booleans=True)
    return [score.tolist() for score in model.predict_csv(body)]


def build_signature(
    model: ModelFile,
    artifact: bytes,
    facts: BoosterFacts,
    example: Example,
    labels: tuple[str, ...],
    scorer: XGBoostModel,
    training: dict[str, Any] | None = None,
    described: dict[str, sig.Feature] | None = None,
    typing: Typing | None = None,
    targets: tuple[str, ...] | None = None,
) -> sig.Signature:
    """The signature: features in the model's order, typed by the booster and the example (or as
    ``described``: the same feature with bounds and a description, Iris's), its outputs
    (quantile levels, or ``targets``' names for a model of several targets), bound to the
    artifact."""
    typing = typing or Typing()
    try:
        quantiles, target_names = checked_outputs(facts, targets)
        order = example_input.model_order(example, facts.feature_names, facts.num_features)
        kinds = facts.feature_types or (None,) * len(order)
        categories = cats.checked_categories(
            typing.categories or {}, order, facts.feature_types, cats.highest_codes(scorer.booster)
        )
        _check_integers(typing.integers, order, kinds)
        inferred = [
            example_input.infer_feature(
                example, name, kind, name in typing.integers, categories.get(name)
            )
            for name, kind in zip(order, kinds, strict=True)
        ]
    except (ExampleError, cats.CategoriesError, OutputsError) as error:
        raise ImportRefused(str(error)) from None
    features = tuple((described or {}).get(feature.name, feature) for feature in inferred)
    bare = sig.Signature(
        features=features,
        objective=facts.objective,
        labels=labels,
        quantiles=quantiles,
        targets=target_names,
        artifact_sha256=sha256(artifact),
        xgboost_version=model.version_text,
        training=training,
    )
    problem = bare.problem() or shape_problem(facts, bare)
    if problem:
        raise ImportRefused(problem)
    records = example_input.records(example, features)[: example_input.KEPT_EXAMPLES]
    scores = example_scores(scorer, bare, records)
    examples = tuple(
        {"record": record, "score": score} for record, score in zip(records, scores, strict=True)
    )
    return sig.Signature(**{**bare.__dict__, "examples": examples})


def _check_integers(
    integers: frozenset[str], order: list[str], kinds: tuple[str | None, ...]
) -> None:
    for name in sorted(integers):
        if name not in order:
            raise ImportRefused(f"--integer names {name!r}, which is not a feature of the model")
        kind = kinds[order.index(name)]
        if kind is not None and example_input.BOOSTER_TYPES.get(kind) != sig.INTEGER:
            raise ImportRefused(
                f"--integer names {name!r}, which the model types as {kind!r}: leave it out"
            )


def prepare_import(
    model_path: Path,
    example_path: Path,
    labels: tuple[str, ...] | None,
    artifact_path: Path,
    container_version: str = DEFAULT_XGBOOST_VERSION,
    typing: Typing | None = None,
    targets: tuple[str, ...] | None = None,
    baseline_data: Path | None = None,
) -> Imported:
    """Check everything and make the artifact, its signature and its baseline (on
    ``baseline_data``, else on the example), writing nothing."""
    try:
        model = read_model_file(model_path)
        refuse_version(model, container_version)
        booster = load_booster(model)
        example = example_input.read_example(example_path)
    except (ModelFileError, ExampleError) as error:
        raise ImportRefused(str(error)) from None
    facts = booster_facts(booster)
    refuse_objective(facts)
    artifact = deterministic_tar_gz(model.content)
    signature = build_signature(
        model,
        artifact,
        facts,
        example,
        checked_labels(facts, labels),
        XGBoostModel(booster),
        typing=typing,
        targets=targets,
    )
    try:
        baseline = baseline_from_csv(
            signature, XGBoostModel(booster), baseline_data or example_path
        )
    except BaselineDataError as error:
        raise ImportRefused(f"baseline: {error}") from None
    return Imported(signature, artifact_path, signature_path_for(artifact_path), artifact, baseline)


def write_import(imported: Imported, force: bool = False) -> None:
    """Write the artifact, then its signature; refuse (OverwriteRefused, nothing written) to
    replace another model's files (another import, a training, edits of yours) unless
    ``force``."""
    outputs = {
        imported.artifact: imported.content,
        imported.signature_path: signature_text(imported.signature).encode("utf-8"),
    }
    foreign = next(
        (
            target
            for target, content in outputs.items()
            if target.exists() and (target.is_dir() or target.read_bytes() != content)
        ),
        None,
    )
    if foreign is None and imported.baseline is not None:
        foreign = foreign_baseline(imported.signature_path, imported.baseline)
    if foreign and not force:
        raise OverwriteRefused(
            f"{foreign} exists and belongs to another model: pass --force to replace it, or "
            "--output to write elsewhere"
        )
    if imported.baseline is not None:  # after the signature, as the signature after the artifact
        outputs.update(baseline_files(imported.baseline, imported.signature_path))
    # The artifact first: a signature never names an artifact that is not there.
    for target, content in outputs.items():
        write_atomically(target, content)


def import_model(
    model_path: Path,
    example_path: Path,
    labels: tuple[str, ...] | None,
    artifact_path: Path,
    container_version: str = DEFAULT_XGBOOST_VERSION,
    typing: Typing | None = None,
    force: bool = False,
    targets: tuple[str, ...] | None = None,
) -> Imported:
    """Check everything, then write ``artifact_path`` and its signature; on any refusal, write
    nothing."""
    imported = prepare_import(
        model_path, example_path, labels, artifact_path, container_version, typing, targets
    )
    write_import(imported, force)
    return imported
