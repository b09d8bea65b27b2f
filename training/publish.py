"""A trained model written where the proxy and the deploy look for it, and said to the user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lambda_code import signature as sig
from training.manifest import Manifest
from training.options import Options
from training.result import servable, write_servable

# SageMaker adds it to a tuning job's training jobs; it is not the model's.
TUNING_ONLY = ("_tuning_objective_metric",)


@dataclass(frozen=True)
class Published:
    artifact: Path
    signature: sig.Signature
    metrics: dict[str, float]
    trained_by: str


def publish(
    options: Options,
    manifest: Manifest,
    model_bytes: bytes,
    metrics: dict[str, float],
    hyperparameters: dict[str, str],
    trained_by: str,
    out: Callable[[str], None] = print,
) -> Published:
    """Import the model as scripts.import_model would, with the data's features and classes,
    and write it (never over another model's files without --force)."""
    training = {
        "data": manifest.source,
        "label": manifest.label,
        "split_seed": manifest.seed,
        "rows": manifest.rows,
        "hyperparameters": {
            name: value for name, value in hyperparameters.items() if name not in TUNING_ONLY
        },
        "metrics": metrics,
        "trained": trained_by,
    }
    made = servable(model_bytes, manifest, training)
    signature_path = write_servable(options.output, made, options.force)
    signature = made.signature
    kind = (
        f"classifier of {len(signature.labels)} classes ({', '.join(signature.labels)})"
        if signature.is_classifier
        else "a model that predicts a value"
    )
    out(f"model:     {signature.objective}, {kind}, {len(signature.features)} features")
    if metrics:
        out(
            "metrics:   "
            + ", ".join(f"{name}={value:g}" for name, value in sorted(metrics.items()))
        )
    out(f"artifact:  {options.output} sha256={signature.artifact_sha256}")
    out(f"signature: {signature_path}")
    return Published(options.output, signature, metrics, trained_by)
