"""A signature of several outputs (#33): its file, what it may not say, and how the proxy names
the container's list per row."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from chalicelib.answers import AnswerReader, BadAnswer
from chalicelib.signature import Answer, Signature, SignatureError
from tests.signatures import signature_for

QUANTILE = dataclasses.replace(signature_for("reg:quantileerror"), quantiles=(0.05, 0.5, 0.95))
TARGETS = dataclasses.replace(signature_for("reg:squarederror"), targets=("price", "rent"))


def container(*scores: Any) -> bytes:
    """The built-in container's JSON answer (serve_utils.py:533-545 at v3.0-5)."""
    return json.dumps({"predictions": [{"score": score} for score in scores]}).encode()


@pytest.mark.parametrize("signature", [QUANTILE, TARGETS], ids=["quantiles", "targets"])
def test_the_file_keeps_the_outputs_and_reads_back_equal(signature: Signature) -> None:
    document = json.loads(json.dumps(signature.to_json()))
    assert Signature.from_json(document) == signature
    # Written only for a model of several: every other signature's file is as it was
    plain = signature_for("reg:squarederror").to_json()
    assert "quantiles" not in plain and "targets" not in plain


PROBLEMS = [
    # (case, objective, the file's additions, what the problem says)
    ("quantiles of another objective", "reg:squarederror", {"quantiles": [0.1, 0.9]},
     "quantiles are the outputs of reg:quantileerror alone"),
    ("targets of a classifier", "multi:softprob", {"targets": ["a", "b"]},
     "targets are the outputs of a regression of several targets"),
    ("targets of a quantile model", "reg:quantileerror", {"targets": ["a", "b"]},
     "targets are the outputs of a regression of several targets"),
    ("both", "reg:quantileerror", {"quantiles": [0.1, 0.9], "targets": ["a", "b"]},
     "a model answers quantiles or targets, not both"),
    ("one quantile", "reg:quantileerror", {"quantiles": [0.5]},
     "several outputs are two or more (a model of one answers a value)"),
    ("one target", "reg:squarederror", {"targets": ["a"]},
     "several outputs are two or more"),
    ("a level repeated", "reg:quantileerror", {"quantiles": [0.5, 0.5]},
     "quantiles and targets must be distinct and not empty"),
    ("an empty target", "reg:squarederror", {"targets": ["a", ""]},
     "quantiles and targets must be distinct and not empty"),
    ("a level of 1", "reg:quantileerror", {"quantiles": [0.5, 1.0]},
     "a quantile level is between 0 and 1"),
    ("a level that is text", "reg:quantileerror", {"quantiles": ["0.1", "0.9"]},
     "quantiles.0: Input should be a valid number"),
    ("a target that is a number", "reg:squarederror", {"targets": ["a", 2]},
     "targets.1: Input should be a valid string"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "objective", "added", "said"), PROBLEMS, ids=[p[0] for p in PROBLEMS]
)
def test_an_impossible_signature_is_refused_with_the_reason(
    case: str, objective: str, added: dict, said: str
) -> None:
    document = {**signature_for(objective).to_json(), **added}
    with pytest.raises(SignatureError) as refused:
        Signature.from_json(document)
    assert said in str(refused.value)


def test_each_row_is_named_in_the_models_order() -> None:
    # Quantile levels named as written ("0.05"), targets by the names the import recorded
    quantiles = AnswerReader(QUANTILE).predictions(container([1.5, 2.0, 4.25]), 1)
    assert quantiles == [{"quantiles": {"0.05": 1.5, "0.5": 2.0, "0.95": 4.25}}]
    assert list(quantiles[0]["quantiles"]) == ["0.05", "0.5", "0.95"]
    values = AnswerReader(TARGETS).predictions(container([310000.0, 1250.5], [-1.0, 0.0]), 2)
    assert values == [
        {"values": {"price": 310000.0, "rent": 1250.5}},
        {"values": {"price": -1.0, "rent": 0.0}},
    ]
    # Quantiles that cross are the model's own: answered as they come, never sorted
    crossed = AnswerReader(QUANTILE).predictions(container([3.0, 2.0, 1.0]), 1)
    assert list(crossed[0]["quantiles"].values()) == [3.0, 2.0, 1.0]
    assert QUANTILE.answer is Answer.QUANTILES and TARGETS.answer is Answer.VALUES
    assert not QUANTILE.is_classifier and not TARGETS.is_classifier


WRONG = [
    # (signature, the container's scores, what the log says)
    (QUANTILE, [[1.0, 2.0]], "model answered 2 numbers for 3 quantiles"),
    (TARGETS, [[1.0, 2.0, 3.0]], "model answered 3 numbers for 2 values"),
    (TARGETS, [1.0], 'is not {"predictions": [{"score": [2 values]}, ...]}'),
    (QUANTILE, [[1.0, float("nan"), 2.0]], 'is not {"predictions": [{"score": [3 quantiles]}'),
    (TARGETS, [[1.0, 2.0], [3.0, 4.0]], "model answered 2 rows for 1"),
]


@pytest.mark.parametrize(("signature", "scores", "said"), WRONG)
def test_an_answer_of_another_shape_is_a_bad_answer(
    signature: Signature, scores: list[Any], said: str
) -> None:
    payload = json.dumps({"predictions": [{"score": score} for score in scores]}).encode()
    with pytest.raises(BadAnswer) as bad:
        AnswerReader(signature).predictions(payload, 1)
    assert said in str(bad.value)


def test_captured_answers_are_named_and_summed_up_per_output() -> None:
    """scripts.captured reads the endpoint's data capture: JSON as the proxy asks, or CSV."""
    from chalicelib.drift import predictions_of
    from scripts.captured import summary

    reader = AnswerReader(TARGETS)
    as_json = predictions_of(container([1.0, 2.0], [3.0, 6.0]).decode(), reader)
    as_csv = predictions_of("1.0,2.0\n3.0,6.0\n", reader)
    assert (
        as_json
        == as_csv
        == [
            {"values": {"price": 1.0, "rent": 2.0}},
            {"values": {"price": 3.0, "rent": 6.0}},
        ]
    )
    assert summary(as_json, TARGETS) == "2 predictions: mean price 2, rent 4"
    assert summary([], QUANTILE) == "0 predictions"
