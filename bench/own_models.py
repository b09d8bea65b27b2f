"""Models of users' own, for the benchmark and the tests: one per objective, trained in a blink
on scikit-learn's data sets as a user would, saved by ``Booster.save_model``, with an example CSV beside them.

- binary objectives: breast cancer (30 features named as scikit-learn names them, "mean radius"
  and so on, kept in the booster; the example's header in another order);
- multi-class: wine (13 features, no names in the booster, a tenth of the cells missing, and a
  boolean feature of our own);
- everything else: diabetes in raw units (age and sex are whole numbers).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from foundation.paths import REPO_ROOT

# VALID_OBJECTIVES of the container, and objectives it answers with one number outside it: the
# objectives of "Your own model" (tests/e2e/test_own_models.py, bench/objectives.py).
CONTAINER_TABLE = (
    "reg:squarederror", "reg:logistic", "reg:gamma", "reg:absoluteerror", "reg:tweedie",
    "binary:logistic", "binary:logitraw", "binary:hinge", "multi:softmax", "multi:softprob",
)  # fmt: skip
OTHERS = ("count:poisson", "survival:cox", "reg:pseudohubererror")
OBJECTIVES = CONTAINER_TABLE + OTHERS

# Rows the model is not trained on: the example CSV holds them all (so every feature missing in
# one is optional), and the tests send them.
HELD_OUT = 40


@dataclass(frozen=True)
class OwnModel:
    objective: str
    model: Path
    example: Path
    labels: tuple[str, ...]
    # Features as the API names them, in the model's order.
    names: tuple[str, ...]
    # Rows the model has not seen (NaN: missing), in the model's order.
    rows: np.ndarray
    # Which columns hold booleans (sent as true/false, 1/0 to the model).
    booleans: tuple[int, ...] = ()

    def record(self, row: np.ndarray, omit_missing: bool = True) -> dict:
        """A row as the API takes it: missing values left out (or null)."""
        record: dict = {}
        for index, (name, value) in enumerate(zip(self.names, row, strict=True)):
            if np.isnan(value):
                if not omit_missing:
                    record[name] = None
                continue
            record[name] = bool(value) if index in self.booleans else float(value)
        return record

    def booster(self) -> xgb.Booster:
        booster = xgb.Booster()
        booster.load_model(self.model)
        return booster


def _family(objective: str) -> str:
    if objective.startswith("binary:"):
        return "binary"
    if objective.startswith("multi:"):
        return "multi"
    return "value"


def train_own_model(objective: str, folder: Path, suffix: str = ".ubj") -> OwnModel:
    """Train a small model of ``objective`` and write it and an example CSV into ``folder``."""
    family = _family(objective)
    folder.mkdir(parents=True, exist_ok=True)
    params: dict = {"objective": objective, "max_depth": 3, "eta": 0.3, "seed": 0, "nthread": 1}
    booleans: tuple[int, ...] = ()
    feature_names: list[str] | None
    if family == "binary":
        data = load_breast_cancer()
        x, y = data.data, data.target.astype(float)
        feature_names = [str(name) for name in data.feature_names]
        labels: tuple[str, ...] = ("malignant", "benign")
    elif family == "multi":
        data = load_wine()
        rng = np.random.default_rng(0)
        member = rng.integers(0, 2, size=(len(data.target), 1)).astype(float)
        x = np.hstack([data.data, member])
        x[rng.random(x.shape) < 0.1] = np.nan
        y = data.target.astype(float)
        feature_names = None
        booleans = (x.shape[1] - 1,)
        labels = tuple(str(name) for name in data.target_names)
        params["num_class"] = len(labels)
    else:
        data = load_diabetes(scaled=False)
        x, y = data.data, data.target.astype(float)
        feature_names = [str(name) for name in data.feature_names]
        labels = ()
        if objective == "reg:logistic":
            y = (y - y.min()) / (y.max() - y.min())
    names = tuple(
        feature_names
        if feature_names
        else [*(f"wine_{i}" for i in range(x.shape[1] - 1)), "cellar member"]
    )
    order = np.random.default_rng(1).permutation(len(y))
    train, held = order[HELD_OUT:], order[:HELD_OUT]
    dtrain = xgb.DMatrix(x[train], label=y[train], feature_names=feature_names)
    booster = xgb.train(params, dtrain, num_boost_round=8)
    model = folder / f"model{suffix}"
    booster.save_model(model)
    example = folder / "example.csv"
    # Raw diabetes data: age and sex are whole numbers, and written so.
    whole = (0, 1) if family == "value" else ()
    _write_example(example, names, x[held], booleans, whole, shuffled=bool(feature_names))
    return OwnModel(objective, model, example, labels, names, x[held], booleans)


def _write_example(
    path: Path,
    names: tuple[str, ...],
    rows: np.ndarray,
    booleans: tuple[int, ...],
    whole: tuple[int, ...],
    shuffled: bool,
) -> None:
    order = list(reversed(range(len(names)))) if shuffled else list(range(len(names)))
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([names[i] for i in order])
        for row in rows:
            writer.writerow([_cell(row[i], i in booleans, i in whole) for i in order])


def _cell(value: float, boolean: bool, whole: bool) -> str:
    if np.isnan(value):
        return ""
    if boolean:
        return "true" if value else "false"
    return str(int(value)) if whole else repr(float(value))


def xgboost_predictions(own: OwnModel, rows: np.ndarray) -> list:
    """What XGBoost itself predicts for the rows (NaN missing), one number or list per row."""
    return own.booster().predict(xgb.DMatrix(rows), validate_features=False).tolist()


def run_import_model(
    model: Path,
    example: Path,
    output: Path,
    labels: tuple[str, ...] = (),
    extra: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """`scripts.import_model` as a user runs it: a process of its own."""
    flags = [*(["--labels", ",".join(labels)] if labels else []), *extra]
    return subprocess.run(
        [sys.executable, "-m", "scripts.import_model", "--model", str(model),
         "--example", str(example), "--output", str(output), *flags],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def import_own(own: OwnModel, output: Path) -> subprocess.CompletedProcess[str]:
    return run_import_model(own.model, own.example, output, own.labels)


def expected_prediction(own: OwnModel, score: float | list[float]) -> dict:
    """The contract's prediction for XGBoost's own score, decided as the container's
    predicted_label is (serve_utils.py:290-306)."""
    labels = own.labels
    if own.objective == "multi:softprob":
        assert isinstance(score, list)
        return {
            "label": labels[score.index(max(score))],
            "probabilities": dict(zip(labels, score, strict=True)),
        }
    assert isinstance(score, float)
    if own.objective == "binary:logistic":
        return {
            "label": labels[int(score > 0.5)],
            "probabilities": {labels[0]: 1.0 - score, labels[1]: score},
        }
    if own.objective == "binary:logitraw":
        return {"label": labels[int(score > 0)], "score": score}
    if own.objective in ("binary:hinge", "multi:softmax"):
        return {"label": labels[int(score)]}
    return {"value": score}


# A shop's model with pandas ``category`` columns, trained as the user trained it: the
# categories in an order of their own (not sorted), one feature with missing values.
COLORS = ("red", "green", "blue", "violet", "amber")
SIZES = ("S", "M", "L", "XL")


@dataclass(frozen=True)
class CategoricalModel:
    model: Path
    example: Path
    # What the user gives: each categorical feature's names in pandas' code order.
    categories: dict[str, tuple[str, ...]]
    # Held-out records as the API takes them (names, missing values left out).
    records: list[dict]

    def matrix(self, records: list[dict], label: np.ndarray | None = None) -> xgb.DMatrix:
        """The records as XGBoost takes a pandas DataFrame of category columns: each category by
        its code in the given order, typed ``float`` and ``c`` (what ``enable_categorical`` makes
        of a pandas frame; pandas itself is kept out of the environment, where XGBoost would
        import it into every serving process)."""
        columns = [[r.get("temperature", np.nan) for r in records]]
        for name, names in self.categories.items():
            codes = {value: code for code, value in enumerate(names)}
            columns.append([codes.get(str(r.get(name)), np.nan) for r in records])
        return xgb.DMatrix(
            np.array(columns, dtype=float).T,
            label=label,
            feature_names=["temperature", *self.categories],
            feature_types=["float", *("c" for _ in self.categories)],  # as pandas types them
            enable_categorical=True,
        )

    def predict(self, records: list[dict]) -> list:
        """XGBoost's own prediction of the records, with their categories typed as such."""
        booster = xgb.Booster()
        booster.load_model(self.model)
        return booster.predict(self.matrix(records)).tolist()


def train_categorical_model(folder: Path, objective: str = "reg:squarederror") -> CategoricalModel:
    """A booster trained with enable_categorical=True on pandas category columns, and an example
    whose temperatures are all whole numbers (as a user's first rows may be)."""
    rng = np.random.default_rng(3)
    n = 600
    color = rng.choice(COLORS, n)
    size = [None if s == "" else str(s) for s in rng.choice([*SIZES, ""], n)]
    temperature = rng.normal(20, 5, n).round(1)
    effect = {"red": 5.0, "green": -3.0, "blue": 10.0, "violet": 0.0, "amber": -8.0}
    y = temperature + np.array([effect[c] for c in color]) + rng.normal(0, 1, n)
    y += np.array([2.0 * SIZES.index(s) if s else -1.0 for s in size])
    records = [
        {"temperature": float(t), "color": str(c), **({"size": str(s)} if s else {})}
        for t, c, s in zip(temperature, color, size, strict=True)
    ]
    own = CategoricalModel(
        folder / "model.ubj",
        folder / "example.csv",
        {"color": COLORS, "size": SIZES},
        records[:HELD_OUT],
    )
    folder.mkdir(parents=True, exist_ok=True)
    label = (y > 22).astype(float) if objective.startswith("binary:") else y
    params = {"objective": objective, "max_depth": 3, "nthread": 1, "max_cat_to_onehot": 1}
    matrix = own.matrix(records[HELD_OUT:], label[HELD_OUT:])
    xgb.train(params, matrix, num_boost_round=12).save_model(own.model)
    with own.example.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["size", "color", "temperature"])
        for whole, record in zip((20, 21, 19, 25, 18), records, strict=False):
            writer.writerow([record.get("size", ""), record["color"], whole])
    return own


def categories_flags(own: CategoricalModel) -> list[str]:
    return [f"--categories={name}={','.join(names)}" for name, names in own.categories.items()]
