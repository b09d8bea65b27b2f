"""The model's answer made into the API's predictions, by what the signature's objective says a
row's score is.

The built-in XGBoost container v3.0-5 answers ``Accept: application/json`` with
``{"predictions": [{"score": ...}, ...]}`` (serve_utils.py:533-545): a list of class
probabilities for ``multi:softprob``, a list of the model's outputs for a model of several
(quantiles, targets: ``preds.tolist()``'s row, serve.py:240-245), one number for every other
objective. It never names a class, a quantile or a target: the names come from the signature.
Each label is decided as the container's own selectable output decides ``predicted_label``
(serve_utils.py:290-306): above 0.5 for ``binary:logistic``, above 0 for ``binary:logitraw``, the
index itself for ``multi:softmax`` and ``binary:hinge``, the first highest probability for
``multi:softprob``.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from chalicelib.bodies import PredictionBody
from chalicelib.signature import Answer, Signature

# One row's score: a list of class probabilities or of outputs, or one number.
Score = list[float] | float


class BadAnswer(Exception):
    """The model's answer is not what the signature's objective makes: the detail is for the log."""


def _score_schema(answer: Answer) -> cs.CoreSchema:
    probability = cs.float_schema(ge=0.0, le=1.0)
    # Said on the number itself: the config's allow_inf_nan does not reach a float_schema (a NaN
    # score passed with it alone).
    number = cs.float_schema(allow_inf_nan=False)
    if answer is Answer.PROBABILITIES:
        return cs.list_schema(probability)
    if answer in (Answer.QUANTILES, Answer.VALUES):
        return cs.list_schema(number)
    if answer is Answer.POSITIVE_PROBABILITY:
        return probability
    return number


@cache
def _validator(answer: Answer) -> SchemaValidator:
    row = cs.typed_dict_schema({"score": cs.typed_dict_field(_score_schema(answer))})
    return SchemaValidator(
        cs.typed_dict_schema(
            {"predictions": cs.typed_dict_field(cs.list_schema(row))},
            # Numbers only, finite: a NaN or an infinite score is a failed model.
            config=cs.CoreConfig(strict=True, allow_inf_nan=False),
        )
    )


class AnswerReader:
    """Reads one signature's answers."""

    def __init__(self, signature: Signature) -> None:
        self.answer = signature.answer
        self.labels = signature.labels
        # The names of a row's several outputs (quantile levels, targets), if it has several.
        self.outputs = signature.outputs
        self._validator = _validator(self.answer)

    def expected_shape(self) -> str:
        what = {
            Answer.PROBABILITIES: f"[{len(self.labels)} probabilities]",
            Answer.POSITIVE_PROBABILITY: "a probability",
            Answer.QUANTILES: f"[{len(self.outputs)} quantiles]",
            Answer.VALUES: f"[{len(self.outputs)} values]",
        }.get(self.answer, "a number")
        return f'{{"predictions": [{{"score": {what}}}, ...]}}'

    def scores(self, payload: bytes, expected_rows: int) -> list[Score]:
        """Each row's score; BadAnswer when the answer is not this objective's, row for row."""
        try:
            rows: list[Score] = [
                row["score"] for row in self._validator.validate_json(payload)["predictions"]
            ]
        except ValidationError as error:
            raise BadAnswer(
                f"model answer is not {self.expected_shape()}: {error.error_count()} problems, "
                f"got {answer_shape(payload)}"
            ) from None
        if len(rows) != expected_rows:
            raise BadAnswer(f"model answered {len(rows)} rows for {expected_rows}")
        return rows

    def predictions(self, payload: bytes, expected_rows: int) -> list[PredictionBody]:
        return self.label(self.scores(payload, expected_rows))

    def label(self, scores: list[Any]) -> list[PredictionBody]:
        """The API's prediction for each row's score (as ``scores`` returns them)."""
        labels = self.labels
        answer = self.answer
        if answer is Answer.PROBABILITIES:
            classes = len(labels)
            if any(len(row) != classes for row in scores):
                wrong = next(len(row) for row in scores if len(row) != classes)
                raise BadAnswer(f"model answered {wrong} scores for {classes} classes")
            # Lengths checked above, so zip is not told strict=: passing the keyword took a
            # quarter of the time of labelling 100 rows. A comprehension builds the dicts faster
            # than a loop of appends with the check inside.
            return [
                {
                    "label": labels[row.index(max(row))],
                    "probabilities": dict(zip(labels, row)),  # noqa: B905
                }
                for row in scores
            ]
        if answer is Answer.VALUE:
            return [{"value": value} for value in scores]
        if answer in (Answer.QUANTILES, Answer.VALUES):
            return self._named(scores)
        negative, positive = labels[0], labels[-1]
        if answer is Answer.POSITIVE_PROBABILITY:
            return [
                {
                    "label": positive if p > 0.5 else negative,
                    # As the container's own "probabilities" (serve_utils.py:325-339).
                    "probabilities": {negative: 1.0 - p, positive: p},
                }
                for p in scores
            ]
        if answer is Answer.MARGIN:
            return [{"label": positive if m > 0 else negative, "score": m} for m in scores]
        return [{"label": self._class(index)} for index in scores]

    def _named(self, scores: list[Any]) -> list[PredictionBody]:
        """Each row's outputs by name, in the model's order: ``{"quantiles": {"0.1": ...}}`` or
        ``{"values": {"target_0": ...}}``."""
        names = self.outputs
        if any(len(row) != len(names) for row in scores):
            wrong = next(len(row) for row in scores if len(row) != len(names))
            raise BadAnswer(f"model answered {wrong} numbers for {len(names)} {self.answer}")
        if self.answer is Answer.QUANTILES:
            return [{"quantiles": dict(zip(names, row))} for row in scores]  # noqa: B905
        return [{"values": dict(zip(names, row))} for row in scores]  # noqa: B905

    def _class(self, index: float) -> str:
        if index != int(index) or not 0 <= index < len(self.labels):
            raise BadAnswer(f"model answered class {index!r} of {len(self.labels)}")
        return self.labels[int(index)]


def answer_shape(payload: bytes) -> str:
    """What a rejected answer looks like, for the log: its JSON structure without its numbers
    (old containers answer ``[p, p],[p, p]`` as text; ``SAGEMAKER_INFERENCE_OUTPUT`` renames
    the keys), or its first bytes when it is not JSON."""
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        return f"not JSON, {len(payload)} bytes starting {payload[:40]!r}"
    return _shape(document, depth=0)


def _shape(value: Any, depth: int) -> str:
    if depth > 5:
        return "..."
    if isinstance(value, dict):
        keys = sorted(value)[:8]
        inner = ", ".join(f"{key!r}: {_shape(value[key], depth + 1)}" for key in keys)
        return "{" + inner + (", ..." if len(value) > len(keys) else "") + "}"
    if isinstance(value, list):
        return f"[{_shape(value[0], depth + 1)} x{len(value)}]" if value else "[]"
    return type(value).__name__
