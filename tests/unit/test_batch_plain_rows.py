"""The vectorised checks of a plain chunk let through only what the API's validator accepts, with
the value the per-record path gives it: Arrow reads a number as ``float()`` does, bit for bit,
and whatever it cannot vouch for is flagged for the validator to judge."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pydantic_core import ValidationError

from batch.inputs import CsvLayout
from batch.plain_rows import NUMBER, feature_values
from foundation.lambda_code import signature as sig
from foundation.lambda_code import validation

rng = random.Random(34)


def numeric_text() -> str:
    """A string as a file may hold a number: signs, leading zeros, long mantissas, any exponent,
    and now and then a character float() or Arrow may take otherwise."""
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 25)))
    fraction = "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 25)))
    text = rng.choice(["", "-", "+", "--"]) + digits + rng.choice(["", ".", "."]) + fraction
    if rng.random() < 0.5:
        text += rng.choice("eE") + rng.choice(["", "-", "+"]) + str(rng.randrange(0, 400))
    if rng.random() < 0.05:
        position = rng.randrange(len(text) + 1)
        text = (
            text[:position]
            + rng.choice([" ", "_", "x", "e", ".", "\t", "\uff11"])
            + text[position:]
        )
    return text


def python_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def same_bits(a: float, b: float) -> bool:
    return np.float64(a).tobytes() == np.float64(b).tobytes()


def test_arrow_reads_a_number_as_float_does_bit_for_bit() -> None:
    # Given strings as files hold numbers, some of them odd
    texts = [numeric_text() for _ in range(100_000)]
    cells = pa.array(texts)
    # When those NUMBER matches are cast by Arrow
    readable = pc.match_substring_regex(cells, NUMBER)
    values = pc.cast(pc.if_else(readable, cells, None), pa.float64()).to_pylist()
    # Then each reads as float() reads it, to the same bits (the rest is flagged)
    read = 0
    for text, ok, value in zip(texts, readable.to_pylist(), values, strict=True):
        if ok:
            expected = python_float(text)
            assert expected is not None and same_bits(value, expected), text
            read += 1
    assert read > 50_000


def test_whatever_arrow_casts_float_reads_the_same() -> None:
    # The cast is tried first, on whole columns: it must never read a text otherwise than float()
    texts = [numeric_text() for _ in range(20_000)] + ["nan", "inf", "-Infinity", "NaN", "nan(1)"]
    for text in texts:
        try:
            value = pc.cast(pa.array([text]), pa.float64())[0].as_py()
        except pa.ArrowInvalid:
            continue
        expected = python_float(text)
        if np.isnan(value):
            continue  # flagged as not finite, whatever float() makes of it
        assert expected is not None and same_bits(value, expected), text


FEATURES = [
    sig.Feature("plain"),
    sig.Feature("bounded", exclusive_minimum=0.0, maximum=100.0, optional=True),
    sig.Feature("at_least", minimum=-5.0, exclusive_maximum=5.0),
    sig.Feature("whole", sig.INTEGER, optional=True),
    sig.Feature("counted", sig.INTEGER, minimum=0.0, maximum=10.0),
    sig.Feature("flag", sig.BOOLEAN, optional=True),
    sig.Feature("size", sig.CATEGORICAL, categories=("S", "M", "L", "m")),
]
CELLS = ["", "0", "-0", "1", "1.5", "-1.5", "5", "-5", "100", "100.0", "1e2", "1e-400", "nan",
         "inf", "-inf", "1e38", "3.4028234663852886e38", "3.402823466385289e38", "1e39", "-1e39",
         "9007199254740991", "9007199254740992", "9007199254740993", "2.0000000001", " 1", "1 ",
         "1_0", "x", "true", "True", "FALSE", "0.0", "S", "M", "m", "L ", "s", "XL", "\uff11",
         "+1", ".5", "5.", "1E5", "0x1"]  # fmt: skip


@pytest.mark.parametrize("feature", FEATURES, ids=lambda feature: feature.name)
def test_a_cell_passes_unflagged_only_if_the_validator_takes_it_as_read(
    feature: sig.Feature,
) -> None:
    # Given the feature's cells read as the per-record path reads them, and the API's validator
    signature = sig.Signature((feature,), "reg:squarederror", (), "0" * 64, "3.0.5")
    layout = CsvLayout.of([feature.name], signature, [])
    validator = validation.record_validator(signature)
    cells = pa.array([None if cell == "" else cell for cell in CELLS], pa.string())
    # When they are checked a column at a time
    values, doubtful = feature_values(cells, feature)
    # Then a cell let through is one the validator accepts, with the same value for the model
    for cell, value, flagged in zip(CELLS, values.tolist(), doubtful.tolist(), strict=True):
        fields = layout.record([cell])[1]
        try:
            row = validation.row_getter(1)(validator.validate_python(fields).__dict__)
        except ValidationError:
            assert flagged, f"{cell!r} passed, the validator refuses it"
            continue
        if not flagged:
            model_value = np.nan if row[0] is None else float(row[0])
            assert same_bits(value, model_value), cell
    # And the checks vouch for the cells a file mostly holds
    assert not doubtful[CELLS.index("S" if feature.type == sig.CATEGORICAL else "1")]
