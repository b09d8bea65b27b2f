"""The evaluation metrics the built-in XGBoost container computes itself, not XGBoost: the same
scikit-learn functions on the same inputs as its ``metrics/custom_metrics.py`` (v3.0-5), so that
``--local`` prints, and stops early on, what a training job would."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn import metrics as skm

Score = Callable[[np.ndarray, np.ndarray], float]


def _class_labels(margins: np.ndarray) -> np.ndarray:
    # custom_metrics.py:37-44: argmax of a row of margins, else margin > 0 (log-odds space)
    if margins.ndim > 1:
        return np.argmax(margins, axis=-1)
    return (margins > 0.0).astype(int)


def _on_classes(score: Score) -> Callable[[np.ndarray, xgb.DMatrix], float]:
    # custom_metrics.py:218-229: 0.0 for no predictions, else the score of the predicted classes
    def metric(margins: np.ndarray, data: xgb.DMatrix) -> float:
        if margins.size == 0:
            return 0.0
        return float(score(data.get_label(), _class_labels(margins)))

    return metric


def _on_values(score: Score) -> Callable[[np.ndarray, xgb.DMatrix], float]:
    return lambda predictions, data: float(score(data.get_label(), predictions))


# custom_metrics.py:232-248, each with the function and averaging its entry above uses. rmse is
# mean_squared_error(squared=False) there (scikit-learn 1.5.2); root_mean_squared_error here.
METRICS: dict[str, Callable[[np.ndarray, xgb.DMatrix], float]] = {
    "accuracy": _on_classes(skm.accuracy_score),
    "balanced_accuracy": _on_classes(skm.balanced_accuracy_score),
    "f1": _on_classes(partial(skm.f1_score, average="macro")),
    "f1_binary": _on_classes(partial(skm.f1_score, average="binary")),
    "f1_macro": _on_classes(partial(skm.f1_score, average="macro")),
    "mse": _on_values(skm.mean_squared_error),
    "rmse": _on_values(skm.root_mean_squared_error),
    "mae": _on_values(skm.mean_absolute_error),
    "precision": _on_classes(skm.precision_score),
    "precision_macro": _on_classes(partial(skm.precision_score, average="macro")),
    "precision_micro": _on_classes(partial(skm.precision_score, average="micro")),
    "r2": _on_values(skm.r2_score),
    "recall": _on_classes(skm.recall_score),
    "recall_macro": _on_classes(partial(skm.recall_score, average="macro")),
    "recall_micro": _on_classes(partial(skm.recall_score, average="micro")),
}


def custom_metric(names: list[str]) -> Callable[[np.ndarray, xgb.DMatrix], Any] | None:
    """The ``custom_metric`` xgboost.train gets for the container's own metrics among ``names``
    (in their order: custom_metrics.py:251-257 and 260-278), or None when there are none."""
    ours = [name for name in names if name in METRICS]
    if not ours:
        return None

    def evaluate(predictions: np.ndarray, data: xgb.DMatrix) -> list[tuple[str, float]]:
        return [(name, METRICS[name](predictions, data)) for name in ours]

    return evaluate
