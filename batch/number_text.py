"""Numbers as text, a column at a time, exactly as Python's ``repr`` writes each (the text the
csv module gives a float, so the text batch scoring always wrote).

``repr`` writes the shortest digits that read back as the same float64, positionally from 1e-4
up to 1e16 (with ".0" on a whole number) and with an exponent outside. Arrow's cast to string
writes the same shortest digits (its double-conversion's shortest mode, as Python's dtoa mode 0:
the shortest string that reads back, the closest of those to the value), positionally from 1e-6
up to 1e10, whole numbers without ".0". So where both write positionally and the number is not
whole, from 1e-4 up to 1e10, the two texts are the same; every other value (whole numbers, tiny
and huge ones, zeros, NaN, infinities) is written by ``repr`` itself. A test holds the two equal
over millions of values of every kind (tests/unit/test_batch_number_text.py)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Where Arrow's text is repr's (see above): positional in both, not a whole number.
POSITIONAL_FROM, POSITIONAL_BELOW = 1e-4, 1e10


def repr_texts(values: np.ndarray) -> pa.StringArray:
    """``repr(float(v))`` of each value of a 1-d array, as an Arrow string array."""
    numbers = np.ascontiguousarray(values, dtype=np.float64)
    texts = pc.cast(pa.array(numbers), pa.string())
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(numbers)
        same = (magnitude >= POSITIONAL_FROM) & (magnitude < POSITIONAL_BELOW)
        same &= numbers != np.trunc(numbers)
    if same.all():
        return texts
    others = ~same
    own = pa.array([repr(value) for value in numbers[others].tolist()], pa.string())
    return pc.replace_with_mask(texts, pa.array(others), own)
