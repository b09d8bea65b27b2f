"""``train_job --local``: the built-in algorithm's training on this machine, then the same import
and (with --group) registration as after a SageMaker job."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from training import hyperparameters as hp
from training.local import Trained, train_channels
from training.options import Options
from training.prepare import CHANNELS_FOLDER, Prepared, prepare
from training.publish import Published, publish

TRAINED_HERE = "on this machine, as the built-in XGBoost 3.0-5 algorithm trains"


def sampled(ranges: dict[str, list[dict[str, Any]]], rng: random.Random) -> dict[str, str]:
    """One point of the tuning ranges, drawn at random (log scale is SageMaker's to choose)."""
    point: dict[str, str] = {}
    for entry in ranges.get("ContinuousParameterRanges", []):
        point[entry["Name"]] = repr(rng.uniform(float(entry["MinValue"]), float(entry["MaxValue"])))
    for entry in ranges.get("IntegerParameterRanges", []):
        point[entry["Name"]] = str(rng.randint(int(entry["MinValue"]), int(entry["MaxValue"])))
    for entry in ranges.get("CategoricalParameterRanges", []):
        point[entry["Name"]] = rng.choice(entry["Values"])
    return point


def local_search(
    options: Options, prepared: Prepared, out: Callable[[str], None]
) -> tuple[Trained, dict[str, str]]:
    """A small random search in process: each trial as a tuning job's training job runs (with
    ``_tuning_objective_metric``), the best by the objective metric's last value kept."""
    assert options.tune and options.objective_metric
    metric, direction = hp.check_objective_metric(
        options.objective_metric, prepared.hyperparameters["objective"]
    )
    ranges = hp.tuning_ranges(options.tune, options.hyperparameters)
    rng = random.Random(options.seed)
    best: tuple[float, Trained, dict[str, str]] | None = None
    for trial in range(1, options.max_jobs + 1):
        point = sampled(ranges, rng)
        values = {**prepared.hyperparameters, **point, "_tuning_objective_metric": metric}
        trained = train_channels(
            prepared.channels.train, prepared.channels.validation, values, out=lambda line: None
        )
        score = trained.final_metrics[metric]
        better = best is None or (score > best[0] if direction == "Maximize" else score < best[0])
        if better:
            best = (score, trained, values)
        assert best is not None
        shown = ",".join(f"{name}={value}" for name, value in point.items())
        out(
            f"  trial {trial}/{options.max_jobs}: {shown} -> {metric}={score:.5f}  (best {best[0]:.5f})"
        )
    assert best is not None
    return best[1], best[2]


def local_data(options: Options) -> tuple[Path, Path | None]:
    """The CSV files on this machine (an s3:// one is fetched first, from the run's region)."""
    if not options.reads_s3:
        assert options.data is not None
        return Path(options.data), Path(options.validation) if options.validation else None
    from provisioning.aws import AwsClients
    from training.data_source import local_copies

    return local_copies(AwsClients.create(options.region), options)


def run_local(options: Options, out: Callable[[str], None] = print) -> Published:
    data, validation = local_data(options)
    assert options.label is not None
    prepared = prepare(
        data,
        options.label,
        options.hyperparameters,
        validation,
        options.fraction,
        options.seed,
        options.output.parent / CHANNELS_FOLDER,
        source=options.data,
    )
    for note in prepared.notes:
        out(f"note:      {note}")
    rows = ", ".join(f"{name} {count}" for name, count in prepared.channels.rows.items())
    out(f"channels:  {prepared.channels.train.parent} ({rows} rows)")
    if options.tune:
        trained, values = local_search(options, prepared, out)
    else:
        trained = train_channels(
            prepared.channels.train, prepared.channels.validation, prepared.hyperparameters, out
        )
        values = prepared.hyperparameters
    return publish(
        options,
        prepared.manifest,
        trained.model_bytes,
        trained.final_metrics,
        values,
        TRAINED_HERE,
        out,
        train_channel=prepared.channels.train,
    )
