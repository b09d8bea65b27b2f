"""An artifact and a signature belong together: the same sha256, and the same shape (objective,
classes, outputs, features). `make run`, the local stand-in and the deploy refuse to serve them
apart, because a signature in front of another model answers 200 with a wrong label."""

from __future__ import annotations

import tarfile
from pathlib import Path

from artifacts.booster import BoosterFacts, booster_facts, load_booster
from artifacts.model_file import ModelFileError, read_model_file
from artifacts.packaging import sha256, signature_path_for
from foundation.lambda_code import signature as sig


class BindingError(ValueError):
    """The artifact and the signature disagree, or one cannot be read: one line, what to do."""


def bound_signature(artifact: Path, signature_path: Path | None = None) -> sig.Signature:
    """The signature of ``artifact`` (beside it unless named), checked against it."""
    path = signature_path or signature_path_for(artifact)
    if not path.is_file():
        raise BindingError(
            f"{artifact} has no signature ({path} not found): make one with "
            "`python -m scripts.import_model --model FILE --example CSV` (for the Iris "
            "example: `python -m scripts.train_model --force`)"
        )
    try:
        signature = sig.read_signature(path)
    except sig.SignatureError as error:
        raise BindingError(f"signature {error}") from None
    check_binding(artifact, signature, path)
    return signature


def check_binding(artifact: Path, signature: sig.Signature, signature_path: Path) -> None:
    try:
        content = artifact.read_bytes()
    except OSError as error:
        raise BindingError(f"{artifact}: cannot be read ({error.strerror})") from None
    if sha256(content) != signature.artifact_sha256:
        raise BindingError(
            f"{signature_path} was made for another artifact than {artifact} (sha256 "
            f"{signature.artifact_sha256[:12]}..., not {sha256(content)[:12]}...): "
            "import the model again with scripts.import_model"
        )
    try:
        facts = booster_facts(load_booster(read_model_file(artifact)))
    except (ModelFileError, tarfile.TarError) as error:
        raise BindingError(str(error)) from None
    problem = shape_problem(facts, signature)
    if problem:
        raise BindingError(f"{signature_path} does not fit {artifact}: {problem}")


def shape_problem(facts: BoosterFacts, signature: sig.Signature) -> str | None:
    """Where the signature and the booster disagree, or None."""
    if facts.objective != signature.objective:
        return f"the model's objective is {facts.objective}, the signature's {signature.objective}"
    if facts.num_features != len(signature.features):
        return (
            f"the model takes {facts.num_features} features, the signature names "
            f"{len(signature.features)}"
        )
    if facts.feature_names and facts.feature_names != signature.feature_names:
        return "the signature's features are not the model's, in the model's order"
    if signature.is_classifier and facts.classes != len(signature.labels):
        return (
            f"the model has {facts.classes} classes, the signature {len(signature.labels)} labels"
        )
    outputs = len(signature.outputs) or 1
    if facts.num_target != outputs:
        return f"the model answers {facts.num_target} numbers per row, the signature {outputs}"
    if signature.quantiles and signature.quantiles != facts.quantile_alphas:
        return (
            f"the model's quantiles are {list(facts.quantile_alphas)}, the signature's "
            f"{list(signature.quantiles)}"
        )
    return None
