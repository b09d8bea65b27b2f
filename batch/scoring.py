"""Records checked as the API checks them, and scored as the serving image scores them: the
proxy's validator and labelling, the image's ``XGBoostModel``."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic_core import ValidationError

from foundation.lambda_code import answers, validation
from foundation.lambda_code import signature as sig
from serving.model import XGBoostModel


class BatchScorer:
    def __init__(self, signature: sig.Signature, model: XGBoostModel) -> None:
        self._validator = validation.record_validator(signature)
        self._row = validation.row_getter(len(signature.features))
        self._missing = any(feature.optional for feature in signature.features)
        self._answers = answers.AnswerReader(signature)
        self._model = model
        # Every core but the one reading ahead (batch.ahead): the serving image gives each of
        # its workers one thread; a row's prediction does not depend on how many share the rows.
        # On 2 cores, 2 threads took the same time as 1 and more CPU (measured, docs/benchmarks.md).
        model.booster.set_param({"nthread": max(1, (os.cpu_count() or 1) - 1)})

    def check(self, fields: Any) -> tuple[Sequence[validation.Cell] | None, list[dict[str, str]]]:
        """The record's row in the model's order, or the problems the API would answer with."""
        try:
            record = self._validator.validate_python(fields)
        except ValidationError as error:
            return None, validation.describe_problems(error)
        return self._row(record.__dict__), []

    def predict(self, rows: list[Sequence[validation.Cell]]) -> list[dict[str, Any]]:
        """The API's prediction for each row: the image's prediction, labelled by the proxy's
        code (a missing value is NaN, as the container reads an empty CSV cell)."""
        if self._missing:
            rows = [[math.nan if cell is None else cell for cell in row] for row in rows]
        matrix = np.array(rows, dtype=np.float64)
        scores = self._model.predict(matrix).tolist()
        return self._answers.label(scores)  # type: ignore[return-value]

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """The image's prediction for rows of the model's features (NaN missing): what
        ``predict`` labels."""
        return self._model.predict(matrix)


def matrix_row(row: Sequence[validation.Cell]) -> list[float]:
    """A validated row as ``predict`` hands it to the model: None missing (NaN), a boolean 1 or
    0, a category its code."""
    return [math.nan if cell is None else float(cell) for cell in row]
