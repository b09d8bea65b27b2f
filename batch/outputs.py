"""The scored records written as the input was: a CSV with the id columns then the prediction's
columns, or JSON Lines of the ids then the prediction as the API gives it."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from pydantic_core import to_json

from batch.inputs import CSV
from lambda_code import signature as sig


def prediction_columns(signature: sig.Signature) -> list[str]:
    """A prediction's CSV columns: the label and each class's probability, the label and the
    margin, the label alone, or the value."""
    answer = signature.answer
    if answer in (sig.Answer.PROBABILITIES, sig.Answer.POSITIVE_PROBABILITY):
        return ["label", *(f"probability_{label}" for label in signature.labels)]
    if answer is sig.Answer.MARGIN:
        return ["label", "score"]
    if answer is sig.Answer.CLASS_INDEX:
        return ["label"]
    return ["value"]


def _csv_cells(prediction: dict[str, Any]) -> list[Any]:
    """The prediction's values in its columns' order; csv writes a float as its repr, in C."""
    cells = [value for key, value in prediction.items() if key != "probabilities"]
    probabilities = prediction.get("probabilities")
    if probabilities:
        cells.extend(probabilities.values())
    return cells


class Output:
    """Lines of one output format."""

    def __init__(self, kind: str, signature: sig.Signature, id_columns: list[str]) -> None:
        self.kind = kind
        self.columns = [*id_columns, *prediction_columns(signature)] if kind == CSV else []
        taken = {"label", "score", "value", "probabilities", *prediction_columns(signature)}
        clash = [name for name in id_columns if name in taken]
        if clash:
            raise ValueError(f"id column {clash[0]!r} has the name of a prediction's column")
        self._id_columns = id_columns

    def header(self) -> bytes:
        return self._csv([self.columns]) if self.kind == CSV else b""

    def lines(self, ids: Sequence[dict[str, Any]], predictions: list[dict[str, Any]]) -> bytes:
        if self.kind == CSV:
            return self._csv(
                [name_values[name] for name in self._id_columns] + _csv_cells(prediction)
                for name_values, prediction in zip(ids, predictions, strict=True)
            )
        return b"".join(
            to_json({**name_values, **prediction}) + b"\n"
            for name_values, prediction in zip(ids, predictions, strict=True)
        )

    @staticmethod
    def _csv(rows: Any) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode()


def reject_line(line: int, ids: dict[str, Any], problems: list[dict[str, str]]) -> bytes:
    """A rejected record: its line, its ids, and the API's field errors for it."""
    document = {"line": line, **({"ids": ids} if ids else {}), "errors": problems}
    return to_json(document) + b"\n"
