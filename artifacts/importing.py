"""Bring a user's own XGBoost model in: check it against what the built-in container serves and
what its example input says, then write the artifact and its signature, or nothing at all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artifacts import example_input
from artifacts.binding import shape_problem
from artifacts.booster import BoosterFacts, booster_facts, load_booster
from artifacts.example_input import Example, ExampleError
from artifacts.model_file import ModelFile, ModelFileError, read_model_file
from artifacts.packaging import (
    deterministic_tar_gz,
    sha256,
    signature_path_for,
    signature_text,
)
from lambda_code import predictor
from lambda_code import signature as sig
from provisioning.files import write_atomically
from provisioning.images import DEFAULT_XGBOOST_VERSION, container_xgboost, newer_than
from serving.model import XGBoostModel


class ImportRefused(ValueError):
    """The model cannot be served as asked; one line says why."""


@dataclass(frozen=True)
class Imported:
    signature: sig.Signature
    artifact: Path
    signature_path: Path


def refuse_objective(facts: BoosterFacts) -> None:
    if facts.objective not in sig.OBJECTIVES:
        raise ImportRefused(
            f"the model's objective {facts.objective} is not one the built-in container answers "
            f"(it answers {', '.join(sorted(sig.OBJECTIVES))})"
        )
    if facts.num_target != 1:
        raise ImportRefused(
            f"the model answers {facts.num_target} numbers per row (several quantiles or "
            "targets); the proxy serves one value per row, or one probability per class"
        )


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
    rows = [[record.get(name) for name in signature.feature_names] for record in records]
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
) -> sig.Signature:
    """The signature: features in the model's order, typed by the example (or as ``described``:
    the same feature with bounds and a description, Iris's), bound to the artifact."""
    try:
        order = example_input.model_order(example, facts.feature_names, facts.num_features)
        inferred = [example_input.infer_feature(example, name) for name in order]
    except ExampleError as error:
        raise ImportRefused(str(error)) from None
    features = tuple((described or {}).get(feature.name, feature) for feature in inferred)
    bare = sig.Signature(
        features=features,
        objective=facts.objective,
        labels=labels,
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


def import_model(
    model_path: Path,
    example_path: Path,
    labels: tuple[str, ...] | None,
    artifact_path: Path,
    container_version: str = DEFAULT_XGBOOST_VERSION,
) -> Imported:
    """Check everything, then write ``artifact_path`` and its signature; on any refusal, write
    nothing."""
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
        model, artifact, facts, example, checked_labels(facts, labels), XGBoostModel(booster)
    )
    signature_path = signature_path_for(artifact_path)
    # The artifact first: a signature never names an artifact that is not there.
    write_atomically(artifact_path, artifact)
    write_atomically(signature_path, signature_text(signature).encode("utf-8"))
    return Imported(signature, artifact_path, signature_path)
