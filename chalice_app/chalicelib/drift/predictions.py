"""A captured answer read as the proxy reads the model's answers (``answers.AnswerReader``): the
built-in container's JSON, ``{"predictions": [{"score": ...}, ...]}``, which is what the proxy asks
for, or its CSV (a line per row: class probabilities, or one number), which a caller that asked
for text/csv gets."""

from __future__ import annotations

import json
import math
from typing import Any

from chalicelib import answers
from chalicelib.signature import Answer


def predictions_of(
    answer: str, reader: answers.AnswerReader, expected_rows: int | None = None
) -> list[dict[str, Any]]:
    """The proxy's prediction for each row of ``answer`` ({"label": ...} or {"value": ...});
    BadAnswer when it is not this signature's answer (or not ``expected_rows`` rows)."""
    payload = answer.encode("utf-8")
    if answer.lstrip().startswith("{"):
        rows = _json_rows(answer) if expected_rows is None else expected_rows
        return [dict(prediction) for prediction in reader.predictions(payload, rows)]
    scores = _csv_scores(answer, reader)
    if expected_rows is not None and len(scores) != expected_rows:
        raise answers.BadAnswer(f"model answered {len(scores)} rows for {expected_rows}")
    return [dict(prediction) for prediction in reader.label(scores)]


def _json_rows(answer: str) -> int:
    """How many rows a JSON answer holds (the reader then checks each)."""
    try:
        rows = json.loads(answer).get("predictions")
    except (ValueError, RecursionError, AttributeError):
        raise answers.BadAnswer("model answer is not JSON of predictions") from None
    if not isinstance(rows, list):
        raise answers.BadAnswer("model answer has no list of predictions")
    return len(rows)


def _csv_scores(answer: str, reader: answers.AnswerReader) -> list[Any]:
    try:
        rows = [[float(cell) for cell in line.split(",")] for line in answer.splitlines() if line]
    except ValueError:
        raise answers.BadAnswer("model answer is neither its JSON nor CSV of numbers") from None
    if not rows or not all(math.isfinite(value) for row in rows for value in row):
        raise answers.BadAnswer("model answer holds no row, or a value that is not finite")
    if reader.answer in (Answer.PROBABILITIES, Answer.QUANTILES, Answer.VALUES):
        return rows  # a list a row: the label or the names are the reader's to check
    if any(len(row) != 1 for row in rows):
        raise answers.BadAnswer("model answered several numbers for a row of one")
    return [row[0] for row in rows]
