"""Seeded synthetic traffic for the drift tests: a small shop model of every feature type (a
number, a whole number, an optional number, a boolean, a category), imported as a user imports
one (its baseline made of a CSV of the same distribution), and its captured traffic made by the
project's own path: records validated as the proxy validates them, sent as its CSV, answered by
the container's code, written as the stand-in's data capture writes a line."""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xgboost as xgb

from artifacts.importing import Typing, prepare_import, write_import
from foundation.lambda_code import drift, predictor, validation
from foundation.lambda_code import signature as sig
from local_sagemaker.capture import CaptureWriter, capture_line
from provisioning.naming import VARIANT_NAME
from serving.model import XGBoostModel, json_bytes

COLOURS = ("red", "green", "blue")
NAMES = ("amount", "visits", "rate", "member", "colour")
BASELINE_ROWS = 5000
MOMENT = datetime.datetime(2026, 11, 27, 10, 15, tzinfo=datetime.UTC)


def draw(rng: np.random.Generator, n: int, shift: float = 0.0, empty: float = 0.0) -> list[dict]:
    """``n`` records as the API takes them: ``shift`` moves amount's mean, ``empty`` is the share of
    records that leave rate out (beyond the tenth the baseline already lacks)."""
    amount = rng.normal(50.0 + shift, 10.0, n)
    visits = rng.poisson(3.0, n)
    rate = rng.uniform(0.0, 1.0, n)
    rate_missing = rng.uniform(size=n) < 0.1 + empty
    member = rng.uniform(size=n) < 0.3
    colour = rng.choice(len(COLOURS), n, p=[0.5, 0.3, 0.2])
    records = []
    for i in range(n):
        record = {
            "amount": round(float(amount[i]), 3),
            "visits": int(visits[i]),
            "member": bool(member[i]),
            "colour": COLOURS[colour[i]],
        }
        if not rate_missing[i]:
            record["rate"] = round(float(rate[i]), 4)
        records.append(record)
    return records


def matrix(records: list[dict]) -> np.ndarray:
    """The records as the model's rows (NaN missing, booleans 1/0, categories by code)."""
    return np.array(
        [
            [
                r["amount"], r["visits"], r.get("rate", np.nan), float(r["member"]),
                float(COLOURS.index(r["colour"])),
            ]
            for r in records
        ],
        dtype=np.float64,
    )  # fmt: skip


def write_csv(path: Path, records: list[dict], label: bool = False) -> Path:
    """The records as a user's CSV; with ``label``, a column the model does not take too."""
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*NAMES, *(["bought"] if label else [])])
        for r in records:
            rate = r.get("rate")
            writer.writerow(
                [r["amount"], r["visits"], "" if rate is None else rate,
                 "true" if r["member"] else "false", r["colour"], *(["no"] if label else [])]
            )  # fmt: skip
    return path


@dataclass(frozen=True)
class Shop:
    artifact: Path
    signature: sig.Signature
    baseline: drift.Baseline
    baseline_records: list[dict]
    model: XGBoostModel


def make_shop(folder: Path, seed: int = 7, rounds: int = 8) -> Shop:
    """Train the shop's model, import it with its baseline CSV; ``seed`` and ``rounds`` make
    another model (another artifact) of the same signature."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    training = draw(rng, 2000)
    x = matrix(training)
    y = (x[:, 0] + 5 * x[:, 3] - 3 * x[:, 4] + rng.normal(0, 5, len(x)) > 50).astype(float)
    data = xgb.DMatrix(
        x, label=y, feature_names=list(NAMES),
        feature_types=["float", "int", "float", "float", "c"], enable_categorical=True,
    )  # fmt: skip
    params = {"objective": "binary:logistic", "max_depth": 3, "nthread": 1, "seed": seed}
    xgb.train(params, data, num_boost_round=rounds).save_model(folder / "shop.ubj")
    # One example leaves rate out: rate is optional.
    without_rate = next(r for r in training if "rate" not in r)
    example = write_csv(folder / "example.csv", [*training[:4], without_rate])
    baseline_records = draw(np.random.default_rng(seed + 1000), BASELINE_ROWS)
    data_csv = write_csv(folder / "baseline.csv", baseline_records, label=True)
    imported = prepare_import(
        folder / "shop.ubj", example, ("no", "yes"), folder / "model.tar.gz",
        typing=Typing(categories={"colour": COLOURS}), baseline_data=data_csv,
    )  # fmt: skip
    write_import(imported)
    assert imported.baseline is not None
    return Shop(
        imported.artifact,
        imported.signature,
        imported.baseline,
        baseline_records,
        XGBoostModel.from_artifact(imported.artifact),
    )


def exchanges(shop: Shop, records: list[dict], batch: int = 10) -> Iterator[tuple[bytes, bytes]]:
    """Each request the proxy sends for ``records``, ``batch`` at a time (validated and written as
    CSV as the proxy does), and the container's answer to it."""
    reader = validation.BodyReader(shop.signature, max_batch_size=100)
    for start in range(0, len(records), batch):
        rows = reader.rows(json.dumps({"instances": records[start : start + batch]}))
        body = predictor.to_csv(rows, missing=True, booleans=True)
        yield body, json_bytes(shop.model.predict_csv(body))


def capture_lines(
    shop: Shop, records: list[dict], batch: int = 10, moment: datetime.datetime = MOMENT
) -> list[str]:
    """The capture of ``records`` sent through the proxy, as the stand-in captures a line
    (``local_sagemaker.capture.capture_line``), a second apart."""
    lines = []
    for index, (body, answer) in enumerate(exchanges(shop, records, batch)):
        at = moment + datetime.timedelta(seconds=index)
        lines.append(capture_line(body, "text/csv", answer, "application/json", f"e-{index}", at))
    return lines


def write_capture(
    root: Path, shop: Shop, records: list[dict], endpoint: str, moment: datetime.datetime = MOMENT
) -> None:
    """The capture of ``records`` written as the stand-in writes it under ``root`` (the bucket's
    stand-in), at ``moment``."""
    writer = CaptureWriter(root, shop.signature.artifact_sha256, clock=lambda: moment)
    for body, answer in exchanges(shop, records):
        writer.capture(endpoint, VARIANT_NAME, body, "text/csv", answer, "application/json")
