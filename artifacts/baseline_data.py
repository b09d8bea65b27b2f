"""The data a baseline is made of, as the rows the model reads: float64 in the signature's order,
NaN for a missing value, booleans 1/0, categories by code.

Two sources: a CSV as the import's ``--example`` is written (a header naming the features, in any
order, other columns such as the label ignored; true/false, category names, an empty cell for a
missing value), and a training channel (the label first, no header: training.dataset writes it).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from foundation.lambda_code import signature as sig
from serving.model import XGBoostModel

TRUE, FALSE = "true", "false"
# The most rows a baseline is made of (a seeded sample beyond it).
MAX_ROWS = 200_000


class BaselineDataError(ValueError):
    """The data cannot make this model's baseline; one line says why, naming file and line."""


def _cell_value(cell: str, feature: sig.Feature, codes: dict[str, int]) -> float:
    cell = cell.strip()
    if cell == "":
        return math.nan
    if feature.type == sig.BOOLEAN:
        if cell.lower() not in (TRUE, FALSE):
            raise ValueError(f"{cell[:40]!r} is not true or false")
        return 1.0 if cell.lower() == TRUE else 0.0
    if feature.type == sig.CATEGORICAL:
        if cell not in codes:
            raise ValueError(f"{cell[:40]!r} is not one of its categories")
        return float(codes[cell])
    value = float(cell)
    if not math.isfinite(value):
        raise ValueError(f"{cell[:40]!r} is not a finite number")
    return value


def read_csv_rows(path: Path, signature: sig.Signature) -> np.ndarray:
    """The rows of a CSV with a header naming the model's features; BaselineDataError when a
    feature is missing from the header or a cell cannot be one of its values."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            header = [name.strip() for name in next(reader, [])]
            missing = [name for name in signature.feature_names if name not in header]
            if missing:
                shown = ", ".join(repr(name) for name in missing[:5])
                raise BaselineDataError(f"{path}: the header lacks the model's {shown}")
            columns = [header.index(name) for name in signature.feature_names]
            codes = [
                {name: code for code, name in enumerate(feature.categories or ())}
                for feature in signature.features
            ]
            rows = []
            for number, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise BaselineDataError(
                        f"{path}, line {number}: {len(row)} cells for {len(header)} columns"
                    )
                try:
                    rows.append(
                        [
                            _cell_value(row[column], feature, code)
                            for column, feature, code in zip(
                                columns, signature.features, codes, strict=True
                            )
                        ]
                    )
                except ValueError as error:
                    raise BaselineDataError(f"{path}, line {number}: {error}") from None
    except FileNotFoundError:
        raise BaselineDataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BaselineDataError(f"{path} is a folder: pass the CSV file itself") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise BaselineDataError(f"{path}: not a readable UTF-8 CSV file ({error})") from None
    if not rows:
        raise BaselineDataError(f"{path}: no rows under the header")
    return sample(np.array(rows, dtype=np.float64))


def channel_rows(folder: Path, features: int) -> np.ndarray:
    """The feature columns of a training channel's CSV files (label first, no header)."""
    tables = []
    for path in sorted(folder.glob("*.csv")):
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.float64() for i in range(features + 1)}
            ),
        )
        tables.append(
            np.column_stack(
                [table.column(i).to_numpy(zero_copy_only=False) for i in range(1, features + 1)]
            )
        )
    if not tables:
        raise BaselineDataError(f"{folder}: no channel file")
    rows = sample(np.vstack(tables))
    # A channel holds each value's float32 as its shortest float64 text (training.dataset), 3.4
    # as 3.4000000953674316, where the proxy sends the client's 3.4: the float32's own shortest
    # text gives the value back (NaN stays NaN), so baseline and capture bin alike.
    return rows.astype(np.float32).astype(str).astype(np.float64)


def sample(rows: np.ndarray, limit: int = MAX_ROWS) -> np.ndarray:
    """At most ``limit`` of ``rows``, drawn without replacement, the same ones every time: a
    baseline's bins and percentiles need no more, and the training data may hold millions."""
    if rows.shape[0] <= limit:
        return rows
    chosen = np.random.default_rng(0).choice(rows.shape[0], size=limit, replace=False)
    return rows[np.sort(chosen)]


def model_scores(model: XGBoostModel, rows: np.ndarray) -> np.ndarray:
    """The model's scores for ``rows``, as the container predicts them (``XGBoostModel``)."""
    return model.predict(rows)
