"""A trained model written where the proxy and the deploy look for it, and said to the user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from artifacts.baseline_data import channel_rows
from artifacts.baseline_files import MAKE_BASELINE, baseline_path_for
from foundation.lambda_code import signature as sig
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
    train_channel: Path | None = None,
) -> Published:
    """Import the model as scripts.import_model would, with the data's features and classes,
    and write it (never over another model's files without --force); with its drift baseline
    made of ``train_channel``'s rows when it is on this machine."""
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
    rows = None
    if train_channel is not None and train_channel.is_dir():
        rows = channel_rows(train_channel, len(manifest.features))
    made = servable(model_bytes, manifest, training, baseline_rows=rows)
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
    if made.baseline is not None:
        out(f"baseline:  {baseline_path_for(signature_path)} ({made.baseline.rows} training rows)")
    else:
        out(f"baseline:  none, the training rows are not here: {MAKE_BASELINE}")
    return Published(options.output, signature, metrics, trained_by)
