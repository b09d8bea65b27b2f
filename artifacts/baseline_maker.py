"""Making a model's baseline from data (numpy): per feature the missing count, minimum, maximum,
mean, standard deviation, percentiles and counts on fixed bins, or each category's count; and the
model's own predictions on that data, summed up the same way.

Bins: the deciles of the data's values as interior edges (duplicates merged, so a feature of few
values gets a bin per value), open at both ends, so traffic beyond the data's range still falls
in a bin. A value v is in bin k when edges[k-1] <= v < edges[k] (numpy's searchsorted "right",
Python's bisect_right: the Lambda bins as this does).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifacts.baseline_data import read_csv_rows
from foundation.lambda_code import answers, drift
from foundation.lambda_code import signature as sig
from serving.model import XGBoostModel

# Interior edges at these quantiles: ten bins of about a tenth of the data each.
EDGE_QUANTILES = tuple(q / 10 for q in range(1, 10))


def number_distribution(name: str, kind: str, values: np.ndarray) -> drift.Distribution:
    """``values``: float64, NaN for a missing value."""
    present = values[~np.isnan(values)]
    missing = int(values.size - present.size)
    if not present.size:
        return drift.Distribution(
            name=name, type=kind, present=0, missing=missing, edges=(), counts=(0,)
        )
    edges = np.unique(np.quantile(present, EDGE_QUANTILES))
    counts = np.bincount(np.searchsorted(edges, present, side="right"), minlength=edges.size + 1)
    return drift.Distribution(
        name=name,
        type=kind,
        present=int(present.size),
        missing=missing,
        edges=tuple(float(edge) for edge in edges),
        minimum=float(present.min()),
        maximum=float(present.max()),
        mean=float(present.mean()),
        std_dev=float(present.std()),
        percentiles=tuple(float(p) for p in np.percentile(present, np.arange(101))),
        counts=tuple(int(count) for count in counts),
    )


def category_distribution(
    name: str, kind: str, codes: np.ndarray, categories: tuple[str, ...]
) -> drift.Distribution:
    """``codes``: each row's category code as a float (booleans 0 and 1), NaN when missing."""
    present = codes[~np.isnan(codes)]
    whole = present.astype(np.int64)
    if present.size and (
        (whole != present).any() or whole.min() < 0 or whole.max() >= len(categories)
    ):
        raise ValueError(f"{name}: a value is not one of its {len(categories)} categories' codes")
    counts = np.bincount(whole, minlength=len(categories))
    return drift.Distribution(
        name=name,
        type=kind,
        present=int(present.size),
        missing=int(codes.size - present.size),
        categories=categories,
        counts=tuple(int(count) for count in counts),
    )


def prediction_distributions(
    signature: sig.Signature, scores: np.ndarray
) -> tuple[drift.Distribution, ...]:
    """The predictions as the proxy makes them of the model's scores (``answers.AnswerReader``):
    each class's count for a classifier, the values' bins otherwise (each output's, for a model
    of several: its answer's list holds them in the signature's order)."""
    names = drift.baseline.prediction_names(signature)
    if signature.outputs:
        columns = np.asarray(scores, dtype=np.float64).reshape(len(scores), -1)
        return tuple(
            number_distribution(name, sig.NUMBER, columns[:, index])
            for index, name in enumerate(names)
        )
    predictions = answers.AnswerReader(signature).label(scores.tolist())
    if not signature.is_classifier:
        values = np.array([p["value"] for p in predictions], dtype=np.float64)
        return (number_distribution(names[0], sig.NUMBER, values),)
    codes = {label: code for code, label in enumerate(signature.labels)}
    indices = np.array([codes[p["label"]] for p in predictions], dtype=np.float64)
    return (category_distribution(names[0], sig.CATEGORICAL, indices, signature.labels),)


def make_baseline(
    signature: sig.Signature, rows: np.ndarray, scores: np.ndarray, source: str
) -> drift.Baseline:
    """The baseline of ``signature``'s model from ``rows`` (float64, the model's feature order,
    NaN for missing, booleans 1/0, categories by code) and the model's ``scores`` for them."""
    if rows.ndim != 2 or rows.shape[1] != len(signature.features) or not rows.shape[0]:
        raise ValueError(f"rows of shape {rows.shape} for {len(signature.features)} features")
    features = []
    for column, feature in enumerate(signature.features):
        values = rows[:, column]
        if feature.type == sig.BOOLEAN:
            features.append(
                category_distribution(
                    feature.name, feature.type, values, drift.baseline.BOOLEAN_VALUES
                )
            )
        elif feature.type == sig.CATEGORICAL:
            names = feature.categories or ()
            features.append(category_distribution(feature.name, feature.type, values, names))
        else:
            features.append(number_distribution(feature.name, feature.type, values))
    return drift.Baseline(
        format=drift.baseline.FORMAT,
        artifact_sha256=signature.artifact_sha256,
        objective=signature.objective,
        source=source,
        rows=int(rows.shape[0]),
        features=tuple(features),
        predictions=prediction_distributions(signature, scores),
    )


def baseline_for(
    signature: sig.Signature, model: XGBoostModel, rows: np.ndarray, source: str
) -> drift.Baseline:
    """The baseline of ``model`` (``signature``'s) on ``rows``, scored as the container scores."""
    return make_baseline(signature, rows, model.predict(rows), source)


def baseline_from_csv(signature: sig.Signature, model: XGBoostModel, path: Path) -> drift.Baseline:
    """The baseline on a CSV of the model's input (``baseline_data.read_csv_rows``);
    BaselineDataError, one line, when the CSV cannot be read as this model's rows."""
    return baseline_for(signature, model, read_csv_rows(path, signature), path.name)
