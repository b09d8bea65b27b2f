"""The scored records written as the input was: a CSV with the id columns then the prediction's
columns, or JSON Lines of the ids then the prediction as the API gives it. A plain CSV chunk's
predictions are written a column at a time (``prediction_texts``), to the same bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic_core import to_json

from batch.inputs import CSV
from batch.number_text import repr_texts
from foundation.lambda_code import answers
from foundation.lambda_code import signature as sig


def prediction_columns(signature: sig.Signature) -> list[str]:
    """A prediction's CSV columns: the label and each class's probability, the label and the
    margin, the label alone, the value, or one per quantile level or target."""
    answer = signature.answer
    if answer in (sig.Answer.PROBABILITIES, sig.Answer.POSITIVE_PROBABILITY):
        return ["label", *(f"probability_{label}" for label in signature.labels)]
    if answer is sig.Answer.MARGIN:
        return ["label", "score"]
    if answer is sig.Answer.CLASS_INDEX:
        return ["label"]
    if answer is sig.Answer.QUANTILES:
        return [f"quantile_{level}" for level in signature.outputs]
    if answer is sig.Answer.VALUES:
        return [f"value_{target}" for target in signature.outputs]
    return ["value"]


def _csv_cells(prediction: dict[str, Any]) -> list[Any]:
    """The prediction's values in its columns' order; csv writes a float as its repr, in C."""
    named = prediction.get("quantiles") or prediction.get("values")
    if isinstance(named, dict):  # several outputs: each by its name, in the signature's order
        return list(named.values())
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

    def plain_lines(self, ids: list[pa.Array], predictions: list[pa.Array]) -> bytes:
        """CSV lines of text columns: the ids (plain text, which csv writes as it is), then the
        prediction's (``prediction_texts``)."""
        if not len(predictions[0]):
            return b""
        lines = pc.binary_join_element_wise(*ids, *predictions, ",")
        return _joined(pc.binary_join_element_wise(lines, pa.scalar(""), "\n"))

    @staticmethod
    def _csv(rows: Any) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode()


def prediction_texts(signature: sig.Signature, scores: np.ndarray) -> list[pa.Array]:
    """The prediction's CSV columns (``prediction_columns``) for the model's scores, a text
    column each: the same text ``Output.lines`` writes for the API's predictions of the same
    scores (``AnswerReader.label``), each number as its repr, each label as csv writes it.
    BadAnswer where ``label`` raises it."""
    answer, labels = signature.answer, signature.labels
    numbers = scores.astype(np.float64)  # a float32's value as Python's float holds it
    if answer is sig.Answer.VALUE:
        return [repr_texts(numbers)]
    names = pa.array([_csv_text(label) for label in labels], pa.string())
    if answer is sig.Answer.PROBABILITIES:
        if numbers.ndim != 2 or numbers.shape[1] != len(labels):
            wrong = numbers.shape[1] if numbers.ndim == 2 else 1
            raise answers.BadAnswer(f"model answered {wrong} scores for {len(labels)} classes")
        first_highest = np.argmax(numbers, axis=1)
        for row in np.flatnonzero(np.isnan(numbers).any(axis=1)):  # as list.index(max()) does
            values = numbers[row].tolist()
            first_highest[row] = values.index(max(values))
        return [names.take(first_highest), *(repr_texts(column) for column in numbers.T)]
    if answer is sig.Answer.CLASS_INDEX:
        whole = (numbers == np.trunc(numbers)) & (numbers >= 0) & (numbers < len(labels))
        if not whole.all():
            index = numbers[np.flatnonzero(~whole)[0]]
            raise answers.BadAnswer(f"model answered class {float(index)!r} of {len(labels)}")
        return [names.take(numbers.astype(np.int64))]
    if answer is sig.Answer.MARGIN:
        return [names.take((numbers > 0.0).astype(np.int64)), repr_texts(numbers)]
    if answer is sig.Answer.POSITIVE_PROBABILITY:
        label = names.take((numbers > 0.5).astype(np.int64))
        return [label, repr_texts(1.0 - numbers), repr_texts(numbers)]
    # Several outputs a row (#33): a column each, in the signature's order.
    if numbers.ndim != 2 or numbers.shape[1] != len(signature.outputs):
        wrong = numbers.shape[1] if numbers.ndim == 2 else 1
        raise answers.BadAnswer(f"model answered {wrong} outputs for {len(signature.outputs)}")
    return [repr_texts(column) for column in numbers.T]


def _csv_text(value: str) -> str:
    """A cell as csv writes it in a row of several (quoted if it must be)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([value, ""])
    return buffer.getvalue()[:-1]


def _joined(lines: pa.Array) -> bytes:
    """A string array's values end to end, as bytes."""
    offsets = np.frombuffer(lines.buffers()[1], np.int32)
    first, last = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return lines.buffers()[2][first:last].to_pybytes()


def reject_line(line: int, ids: dict[str, Any], problems: list[dict[str, str]]) -> bytes:
    """A rejected record: its line, its ids, and the API's field errors for it."""
    document = {"line": line, **({"ids": ids} if ids else {}), "errors": problems}
    return to_json(document) + b"\n"
