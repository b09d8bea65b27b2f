"""Load a SageMaker XGBoost artifact and predict the way the built-in container does."""

from __future__ import annotations

import io
import json
import math
import tarfile
from dataclasses import dataclass
from pathlib import Path

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
        """Class probabilities, one row per CSV line (no header, features in training order)."""
        return self.predict_rows(self.parse_csv(payload))

    def predict_rows(self, rows: np.ndarray) -> np.ndarray:
        return self.booster.inplace_predict(rows)

    def parse_json(self, payload: bytes) -> np.ndarray:
        """``{"instances": [[f1, f2, ...], ...]}``: rows of features in training order."""
        try:
            document = json.loads(payload)
        except (UnicodeDecodeError, ValueError) as error:
            raise ModelInputError("Loading json data failed: payload is not JSON") from error
        instances = document.get("instances") if isinstance(document, dict) else None
        if not isinstance(instances, list) or not instances:
            raise ModelInputError('Loading json data failed: expected {"instances": [[...], ...]}')
        rows = []
        for number, row in enumerate(instances, start=1):
            if not isinstance(row, list) or not all(
                isinstance(value, (int, float)) and not isinstance(value, bool) for value in row
            ):
                raise ModelInputError(
                    f"Loading json data failed: row {number} is not a list of numbers"
                )
            rows.append(self._checked_row([float(value) for value in row], number))
        return np.asarray(rows, dtype=np.float32)

    def parse_csv(self, payload: bytes) -> np.ndarray:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ModelInputError("Loading csv data failed: payload is not UTF-8") from error
        rows = []
        for number, line in enumerate(io.StringIO(text), start=1):
            line = line.strip()
            if not line:
                continue
            rows.append(self._parse_row(line, number))
        if not rows:
            raise ModelInputError("Loading csv data failed: no rows")
        return np.asarray(rows, dtype=np.float32)

    def _parse_row(self, line: str, number: int) -> list[float]:
        cells = line.split(",")
        if len(cells) != self.num_features:
            raise ModelInputError(
                f"Feature shape mismatch: row {number} has {len(cells)} columns, "
                f"expected {self.num_features}"
            )
        try:
            values = [float(cell) for cell in cells]
        except ValueError as error:
            raise ModelInputError(
                f"Loading csv data failed: row {number} is not numeric"
            ) from error
        return self._checked_row(values, number)

    def _checked_row(self, values: list[float], number: int) -> list[float]:
        if len(values) != self.num_features:
            raise ModelInputError(
                f"Feature shape mismatch: row {number} has {len(values)} columns, "
                f"expected {self.num_features}"
            )
        if not all(math.isfinite(value) for value in values):
            raise ModelInputError(f"Loading data failed: row {number} has a non-finite value")
        return values


def format_csv(probabilities: np.ndarray) -> bytes:
    return "".join(",".join(repr(float(p)) for p in row) + "\n" for row in probabilities).encode()


def format_json(probabilities: np.ndarray) -> dict[str, list[dict[str, list[float]]]]:
    return {"predictions": [{"score": [float(p) for p in row]} for row in probabilities]}
