"""Models of several outputs per row, trained in a blink as a user would: a quantile regression of
several ``quantile_alpha`` and multi-target regressions (both of XGBoost's ``multi_strategy``),
on scikit-learn's diabetes data in raw units, saved by ``Booster.save_model`` with an example
CSV beside them. The built-in container answers each with a list per row, xgboost's predict."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_diabetes

from bench.own_models import HELD_OUT, OwnModel

QUANTILES = (0.1, 0.5, 0.9)
# Disease progression and blood pressure, predicted from the other features.
TARGETS = ("progression", "bp")
MULTI_STRATEGIES = ("one_output_per_tree", "multi_output_tree")


def _data(multi_target: bool) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    data = load_diabetes(scaled=False)
    names = [str(name) for name in data.feature_names]
    x, y = data.data, data.target.astype(float)
    if not multi_target:
        return x, y, tuple(names)
    bp = names.index("bp")
    keep = [index for index in range(len(names)) if index != bp]
    return x[:, keep], np.column_stack([y, x[:, bp]]), tuple(names[i] for i in keep)


def _save(
    params: dict, folder: Path, multi_target: bool, objective: str, rounds: int = 8
) -> OwnModel:
    x, y, names = _data(multi_target)
    folder.mkdir(parents=True, exist_ok=True)
    order = np.random.default_rng(1).permutation(len(x))
    train, held = order[HELD_OUT:], order[:HELD_OUT]
    base = {"max_depth": 3, "eta": 0.3, "seed": 0, "nthread": 1, "tree_method": "hist"}
    matrix = xgb.DMatrix(x[train], label=y[train], feature_names=list(names))
    booster = xgb.train({**base, **params}, matrix, num_boost_round=rounds)
    model = folder / "model.ubj"
    booster.save_model(model)
    example = folder / "example.csv"
    with example.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(names)
        writer.writerows([repr(float(value)) for value in row] for row in x[held])
    return OwnModel(objective, model, example, (), names, x[held])


def train_quantile_model(folder: Path, quantiles: tuple[float, ...] = QUANTILES) -> OwnModel:
    """reg:quantileerror of several quantile_alpha: one output per level."""
    params = {"objective": "reg:quantileerror", "quantile_alpha": list(quantiles)}
    return _save(params, folder, multi_target=False, objective="reg:quantileerror")


def train_multi_target_model(
    folder: Path, strategy: str = "multi_output_tree", objective: str = "reg:squarederror"
) -> OwnModel:
    """A regression of two targets (a label of two columns), trees per ``strategy``."""
    params = {"objective": objective, "multi_strategy": strategy}
    return _save(params, folder, multi_target=True, objective=objective)


def xgboost_rows(own: OwnModel, rows: np.ndarray) -> list[list[float]]:
    """XGBoost's own prediction for the rows: a list of outputs per row."""
    return own.booster().predict(xgb.DMatrix(rows), validate_features=False).tolist()
