"""The built-in XGBoost algorithm's training, on this machine: the same channels read the same
way, the same hyperparameters handed to ``xgboost.train`` as its ``algorithm_mode/train.py``
(v3.0-5) hands them, the same model file saved. No AWS, no Docker."""

from __future__ import annotations

import csv
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xgboost as xgb

from foundation.images import MODEL_MEMBER
from training import container_metrics
from training.hyperparameters import MAXIMIZE, HyperparameterError, validate

# CloudWatch shows the tab between a round's metrics as #011 (rsyslog's escape); the container's
# own metric definitions match on it (algorithm_mode/metrics.py:27,36).
LOG_TAB = "#011"
TRAIN, VALIDATION = "train", "validation"


class TrainingRefused(ValueError):
    """The channels or hyperparameters cannot be trained as the container would; one line."""


@dataclass(frozen=True)
class Trained:
    booster: xgb.Booster
    model_bytes: bytes  # /opt/ml/model/xgboost-model, as the container saves it
    log_lines: list[str]  # the per-round lines as the job's log shows them (tabs as #011)
    final_metrics: dict[str, float] = field(default_factory=dict)  # "validation:mlogloss": 0.05


def delimiter(folder: Path) -> str:
    """The delimiter csv.Sniffer finds on the first line of the folder's first file, as the
    container finds it (data_utils.py:147-153, 303-310)."""
    files = sorted(path for path in folder.iterdir() if path.is_file())
    with files[0].open() as file:
        first = file.readline()
    try:
        return csv.Sniffer().sniff(first).delimiter
    except csv.Error:
        raise TrainingRefused(f"channel {folder}: no delimiter found on its first line") from None


def has_data(folder: Path) -> bool:
    """Whether the channel's files hold any bytes (get_size, data_utils.py:654-678)."""
    return any(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def channel_matrix(folder: Path, weights: bool = False) -> xgb.DMatrix:
    """A channel as the container reads one in File mode: every file of the folder, CSV with
    the label in column 0 and, with csv_weights=1, instance weights in column 1
    (data_utils.py:294-323)."""
    uri = f"{folder}?format=csv&label_column=0&delimiter={delimiter(folder)}"
    try:
        return xgb.DMatrix(uri + ("&weight_column=1" if weights else ""))
    except xgb.core.XGBoostError as error:
        raise TrainingRefused(f"channel {folder}: {_first_line(error)}") from None


def container_config(hyperparameters: dict[str, str]) -> dict[str, Any]:
    """The validated hyperparameters as train_job receives them (train.py:141-144, 168)."""
    try:
        config = validate(hyperparameters)
    except HyperparameterError as error:
        raise TrainingRefused(str(error)) from None
    if config.get("updater"):
        config["updater"] = ",".join(config["updater"])
    config.pop("use_dask_gpu_training", None)
    if "_kfold" in config:
        # train.py:380-460 trains one model per fold, which the endpoint cannot serve as one.
        raise TrainingRefused("_kfold (cross-validation) makes one model per fold: not supported")
    return config


def evaluation_setup(config: dict[str, Any]) -> tuple[Callable[..., Any] | None, str | None]:
    """Pops what train_job pops and returns (the container's own metrics, the early-stopping
    metric), leaving ``config`` as xgboost.train gets it (train.py:317-341, train_utils.py:44-77)."""
    tuning = config.pop("_tuning_objective_metric", None)
    asked: list[str] | None = config.get("eval_metric")
    tuning_metrics = tuning.split(":")[1].split(",") if tuning else None
    if tuning_metrics and asked:  # train_utils.py:36-40: sorted when both are given
        union: list[str] = sorted(set(tuning_metrics) | set(asked))
    else:
        union = tuning_metrics or asked or []
    feval = container_metrics.custom_metric(union)
    if feval is None:
        xgboost_metrics = union  # train_utils.py:74, in the order given
    else:
        # train_utils.py:73 takes a set difference, whose order changes with PYTHONHASHSEED;
        # sorted here. Only the order the metrics are printed in differs.
        xgboost_metrics = sorted(set(union) - set(container_metrics.METRICS))
    if xgboost_metrics:
        config["eval_metric"] = xgboost_metrics
    else:
        config.pop("eval_metric", None)
    stopping_metric = None
    if config.get("early_stopping_rounds"):
        stopping_metric = (tuning_metrics or asked or [None])[-1]
    return feval, stopping_metric


def train_channels(
    train: Path,
    validation: Path | None,
    hyperparameters: dict[str, str],
    out: Callable[[str], None] = print,
) -> Trained:
    """Train on the channel folders; ``out`` gets each round's line as the job's log shows it."""
    config = container_config(hyperparameters)
    num_round = config.pop("num_round")
    config.pop("save_model_on_termination", None)  # a SIGTERM handler in the container
    feval, stopping_metric = evaluation_setup(config)
    stopping_rounds = config.pop("early_stopping_rounds", None)
    weights = config.get("csv_weights") == 1  # kept in the config, as train.py:157 keeps it
    # train.py:270-277: a channel whose files are empty is an error, not an empty matrix
    for name, folder in ((TRAIN, train), (VALIDATION, validation)):
        if folder is not None and not has_data(folder):
            raise TrainingRefused(f"no data in {name} channel {folder}")
    train_matrix = channel_matrix(train, weights)
    evals = [(train_matrix, TRAIN)]
    if validation is not None:
        evals.append((channel_matrix(validation, weights), VALIDATION))
    lines: list[str] = []

    def log(line: str) -> None:
        shown = line.rstrip("\n")
        lines.append(shown.replace("\t", LOG_TAB))
        out(shown)

    callbacks: list[xgb.callback.TrainingCallback] = [xgb.callback.EvaluationMonitor(logger=log)]
    if validation is not None and stopping_metric and stopping_rounds:
        # callback.py:117-126: on the validation channel, the best model kept (save_best).
        callbacks.append(
            xgb.callback.EarlyStopping(
                rounds=stopping_rounds,
                data_name=VALIDATION,
                metric_name=stopping_metric,
                maximize=stopping_metric in MAXIMIZE,
                save_best=True,
            )
        )
    try:
        booster = xgb.train(
            config,
            train_matrix,
            num_boost_round=num_round,
            evals=evals,
            custom_metric=feval,
            callbacks=callbacks,
            verbose_eval=False,
        )
    except xgb.core.XGBoostError as error:
        raise TrainingRefused(f"xgboost refused the training: {_first_line(error)}") from None
    return Trained(booster, saved_model(booster), lines, last_metrics(lines))


def _first_line(error: BaseException) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1][:300] if lines else type(error).__name__


def saved_model(booster: xgb.Booster) -> bytes:
    """What ``bst.save_model(model_dir/xgboost-model)`` writes (train.py:480-483): no suffix, so
    XGBoost's default format (UBJSON)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / MODEL_MEMBER
        with warnings.catch_warnings():  # "Saving model in the UBJSON format as default"
            warnings.simplefilter("ignore", UserWarning)
            booster.save_model(path)
        return path.read_bytes()


def last_metrics(lines: list[str]) -> dict[str, float]:
    """The last value of each metric in the log, as SageMaker's FinalMetricDataList takes it:
    ``{"validation:mlogloss": 0.05, ...}``."""
    final: dict[str, float] = {}
    for line in lines:
        for cell in line.split(LOG_TAB)[1:]:
            name, _, value = cell.rpartition(":")
            data, _, metric = name.partition("-")
            final[f"{data}:{metric}"] = float(value)
    return final
