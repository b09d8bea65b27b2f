"""Train the second example model: an XGBoost regression on scikit-learn's diabetes data (the
disease's progression a year after baseline, from age, sex, body mass index, blood pressure and
six blood serum measurements), saved the way a user's own model arrives: ``model.ubj`` written
by ``Booster.save_model`` with its feature names, and ``example.csv``, some real rows whose
header names the features (one cell left empty: that measurement may be missing).

    .venv/bin/python examples/models/diabetes/train.py     # rewrites the two files beside it

Then bring it in with ``python -m scripts.import_model --model examples/models/diabetes/model.ubj
--example examples/models/diabetes/example.csv`` (no --labels: it predicts a value).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import xgboost as xgb
from sklearn.datasets import load_diabetes

HERE = Path(__file__).resolve().parent
# The rows the example holds, and the cell left empty (row, feature).
EXAMPLE_ROWS = (0, 1, 2, 3, 4)
EMPTY_CELL = (2, "s4")


def train() -> tuple[bytes, str]:
    """The model's UBJSON bytes and the example CSV's text; the same on every run."""
    data = load_diabetes(scaled=False)
    names = list(data.feature_names)
    # Raw units: age in years and sex as 1 or 2 are whole numbers, the rest are not.
    train_rows = data.data[50:]
    booster = xgb.train(
        {"objective": "reg:squarederror", "max_depth": 3, "eta": 0.1, "seed": 0, "nthread": 1},
        xgb.DMatrix(train_rows, label=data.target[50:], feature_names=names),
        num_boost_round=60,
    )
    model = booster.save_raw("ubj")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    # The header in another order than the model's: the booster's names tell the order.
    header = list(reversed(names))
    writer.writerow(header)
    for number, row in enumerate(EXAMPLE_ROWS):
        values = dict(zip(names, data.data[row], strict=True))
        writer.writerow(
            "" if (number, name) == EMPTY_CELL else _cell(name, values[name]) for name in header
        )
    return bytes(model), text.getvalue()


def _cell(name: str, value: float) -> str:
    return str(int(value)) if name in ("age", "sex") else repr(float(value))


def main() -> None:
    model, example = train()
    (HERE / "model.ubj").write_bytes(model)
    (HERE / "example.csv").write_text(example)
    print(f"wrote {HERE / 'model.ubj'} ({len(model)} bytes) and {HERE / 'example.csv'}")


if __name__ == "__main__":
    main()
