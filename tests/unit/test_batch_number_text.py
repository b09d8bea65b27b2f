"""Batch scoring writes every number a column at a time with the very text ``repr`` gives it (the
text the csv module always wrote): over every kind of value a model answers with (float32
scores and probabilities, 1 - p in float64, margins, regression values) and every kind of
float64 there is (any bit pattern: tiny, huge, subnormal, negative zero, NaN, infinities, whole
numbers, the edges of repr's and Arrow's notations)."""

from __future__ import annotations

import numpy as np
import pytest

from batch.number_text import POSITIONAL_BELOW, POSITIONAL_FROM, repr_texts

ROWS = 200_000
rng = np.random.default_rng(34)


def _float32(values: np.ndarray) -> np.ndarray:
    return values.astype(np.float32).astype(np.float64)


def _edges() -> np.ndarray:
    """Where a notation changes (repr at 1e-4 and 1e16, Arrow at 1e-6 and 1e10), the float64s
    around each, whole numbers, and values with no digits to spare."""
    points = [0.0, 1e-6, POSITIONAL_FROM, 1e-3, 1.0, POSITIONAL_BELOW, 1e15, 1e16, 2.0**53, 1e22]
    around = []
    for point in points:
        value = point
        for _ in range(50):
            around += [value, -value]
            value = float(np.nextafter(value, np.inf))
        value = point
        for _ in range(50):
            value = float(np.nextafter(value, -np.inf))
            around += [value, -value]
    special = [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324, 2.2250738585072014e-308,
               1.7976931348623157e308, 0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 123.0, 1e100]  # fmt: skip
    whole = np.arange(-5000, 5000, dtype=np.float64)
    return np.concatenate([np.array(around + special), whole, whole * 1e6 + 0.5])


KINDS = {
    "any float32, widened (every magnitude)": lambda: (
        rng.integers(0, 2**32, ROWS, dtype=np.uint64)
        .astype(np.uint32)
        .view(np.float32)
        .astype(np.float64)
    ),
    "any float64 bit pattern": lambda: rng.integers(0, 2**64, ROWS, dtype=np.uint64).view(
        np.float64
    ),
    "probabilities: float32 in [0, 1)": lambda: _float32(rng.random(ROWS)),
    "1 - p, in float64, of float32 probabilities": lambda: 1.0 - _float32(rng.random(ROWS)),
    "sigmoids of wide margins (tiny and near-1 probabilities)": lambda: _float32(
        1 / (1 + np.exp(-rng.normal(0, 12, ROWS)))
    ),
    "margins and regression values of every size, float32": lambda: _float32(
        10.0 ** rng.uniform(-12, 20, ROWS) * rng.choice([-1.0, 1.0], ROWS)
    ),
    "float64 from 1e-5 to 1e11": lambda: 10.0 ** rng.uniform(-5, 11, ROWS),
    "short decimals (written by hand)": lambda: np.round(rng.uniform(-1e4, 1e4, ROWS), 3),
    "edges of the notations": _edges,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_number_is_written_as_repr_writes_it(kind: str) -> None:
    with np.errstate(invalid="ignore"):  # NaN bit patterns widened
        values = KINDS[kind]()
    texts = repr_texts(values).to_pylist()
    assert texts == [repr(value) for value in values.tolist()]


def test_a_float32_array_is_written_as_its_float64_values() -> None:
    # The model answers float32; the per-record path wrote Python floats of them
    scores = rng.random(1000).astype(np.float32)
    assert repr_texts(scores).to_pylist() == [repr(value) for value in scores.tolist()]
