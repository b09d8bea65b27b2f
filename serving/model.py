"""Load a SageMaker XGBoost artifact and predict the way the built-in container does."""

from __future__ import annotations

import csv
import json
import math
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb


class ModelInputError(Exception):
    """The payload cannot be read as model input; the container answers with ``status``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class XGBoostModel:
    booster: xgb.Booster

    @classmethod
    def from_artifact(cls, path: Path) -> XGBoostModel:
        """Load ``model.tar.gz`` or a directory laid out like ``/opt/ml/model``."""
        if path.is_dir():
            members = [p for p in sorted(path.iterdir()) if not p.name.startswith(".")]
            if len(members) != 1:
                raise ValueError(f"{path} must hold exactly one model file, found {len(members)}")
            return cls._from_bytes(members[0].read_bytes())
        with tarfile.open(path, "r:gz") as tar:
            files = [m for m in tar.getmembers() if m.isfile() and not m.name.startswith(".")]
            if len(files) != 1:
                raise ValueError(f"{path} must hold exactly one model file, found {len(files)}")
            extracted = tar.extractfile(files[0])
            assert extracted is not None  # a regular file always extracts
            return cls._from_bytes(extracted.read())

    @classmethod
    def _from_bytes(cls, model_bytes: bytes) -> XGBoostModel:
        booster = xgb.Booster()
        booster.load_model(bytearray(model_bytes))
        booster.set_param({"nthread": 1})
        return cls(booster)

    @property
    def num_features(self) -> int:
        return self.booster.num_features()

    def predict_csv(self, payload: bytes) -> np.ndarray:
        """The predictions for CSV lines (no header, features in training order): one number
        per line, or a row per line of class probabilities (multi:softprob) or of a model's
        several outputs (quantiles, targets)."""
        return self.predict(self.parse_csv(payload))

    def predict_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.predict(rows)

    def predict(self, data: np.ndarray | xgb.DMatrix) -> np.ndarray:
        """As the built-in container predicts (serve_utils.py:224-259 at v3.0-5): a model saved
        by ``save_model`` is its "xgb_format", which skips the feature-count check
        (serve_utils.py:200-220 applies to pickles only), so fewer columns than features are
        missing values and more are XGBoost's own error, answered 400 (serve.py:225-229).

        Rows of exactly the model's features go to ``inplace_predict``, which reads the array
        where it is: the same 32-bit values and trees as the container's DMatrix (a test holds
        the two answers equal, bit for bit), without building a DMatrix, which cost more than the
        prediction itself (0.37 ms a request)."""
        try:
            if isinstance(data, np.ndarray) and data.ndim == 2:
                if data.shape[1] == self.num_features:
                    return self.booster.inplace_predict(data, validate_features=False)
                data = xgb.DMatrix(data)
            return self.booster.predict(data, validate_features=False)
        except xgb.core.XGBoostError as error:
            raise ModelInputError(f"Unable to evaluate payload provided: {error}", 400) from None

    def parse_csv(self, payload: bytes) -> np.ndarray:
        """The built-in container's CSV reading, step for step, so the local endpoint accepts and
        refuses what it does; every failure is 415 (serve_utils.py:118-130, encoder.py:35-56):
        the body stripped, the delimiter sniffed from the first line, each line split, empty
        cells read as NaN (missing), and the whole converted to floats at once (a header row,
        a blank line between rows, ragged rows and non-numbers all fail there)."""
        try:
            text = payload.strip().decode("utf-8")
            sniffed = csv.Sniffer().sniff(text.split("\n")[0][:512]).delimiter
            delimiter = "," if sniffed.isalnum() else sniffed
            cells = [
                ["nan" if cell == "" else cell for cell in line.split(delimiter)]
                for line in text.split("\n")
            ]
            rows = np.array(cells).astype(float)
            with np.errstate(over="ignore"):  # 1e39 is infinite as a 32-bit float: refused below
                finite = np.isfinite(rows[~np.isnan(rows)].astype(np.float32)).all()
            if not finite:
                # What XGBoost's DMatrix refuses as it is built there ("Input data contains
                # `inf` or a value too large"): built here too, for its very words.
                xgb.DMatrix(rows)
            return rows
        except Exception as error:  # the container catches everything here, as 415
            raise ModelInputError(
                "Loading csv data failed with Exception, please ensure data is in csv format:\n"
                f" {type(error)}\n {error}",
                415,
            ) from None

    def parse_json(self, payload: bytes) -> xgb.DMatrix:
        """``{"instances": [[f1, f2, ...], ...]}``: this project's own image only (the built-in
        container refuses JSON input with 415)."""
        try:
            document = json.loads(payload)
        except (UnicodeDecodeError, ValueError) as error:
            raise ModelInputError("Loading json data failed: payload is not JSON") from error
        instances = document.get("instances") if isinstance(document, dict) else None
        if not isinstance(instances, list) or not instances:
            raise ModelInputError('Loading json data failed: expected {"instances": [[...], ...]}')
        for number, row in enumerate(instances, start=1):
            if not isinstance(row, list) or not all(
                isinstance(value, (int, float)) and not isinstance(value, bool) for value in row
            ):
                raise ModelInputError(
                    f"Loading json data failed: row {number} is not a list of numbers"
                )
            if len(row) != self.num_features:
                raise ModelInputError(
                    f"Feature shape mismatch: row {number} has {len(row)} columns, "
                    f"expected {self.num_features}"
                )
            if not all(math.isfinite(value) for value in row):
                raise ModelInputError(f"Loading data failed: row {number} has a non-finite value")
        return xgb.DMatrix(np.asarray(instances, dtype=np.float32))


def format_csv(predictions: np.ndarray) -> bytes:
    """As sagemaker-containers' ``array_to_csv`` writes ``predictions.tolist()`` (serve.py:246
    at v3.0-5; _encoders.py:129-153 of sagemaker-containers 2.8.6.post2, a csv.writer's rows):
    a line per row, one value per line when there is one per row, else its values as cells."""
    rows = predictions.tolist()
    if predictions.ndim == 1:
        return "".join(f"{value!r}\n" for value in rows).encode()
    return "".join(",".join(map(repr, row)) + "\n" for row in rows).encode()


def format_batch(predictions: np.ndarray) -> bytes:
    """What the container writes in a Batch Transform job, where SageMaker sets SAGEMAKER_BATCH:
    ``str()`` of each row's prediction, a line each (serve.py:240-242 at v3.0-5), so a row of
    class probabilities is ``[0.9, 0.07, 0.03]``, not CSV cells."""
    return ("\n".join(map(str, predictions.tolist())) + "\n").encode()


def format_json(predictions: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    """``encode_predictions_as_json(predictions.tolist())`` (serve_utils.py:533-545 at v3.0-5):
    each row's score, a number or a list (class probabilities, or a model's several outputs)."""
    return {"predictions": [{"score": score} for score in predictions.tolist()]}


def json_bytes(predictions: np.ndarray) -> bytes:
    """``json.dumps(format_json(predictions))``, the same bytes, written directly: a float's
    JSON is its repr (json.encoder's float repr) when it is finite, and json.dumps spent 4.4 ms
    on a 1000-row answer walking dicts. NaN and infinities take json.dumps's own way."""
    values = predictions.tolist()
    if not np.isfinite(predictions).all():
        return json.dumps(format_json(predictions)).encode()
    if predictions.ndim == 1:
        scores = ", ".join(f'{{"score": {value!r}}}' for value in values)
    else:
        scores = ", ".join('{"score": [' + ", ".join(map(repr, row)) + "]}" for row in values)
    return ('{"predictions": [' + scores + "]}").encode()
