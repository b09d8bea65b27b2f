"""The CSV the proxy sends: each number as repr() writes it, whatever its size, as the proxy has
always sent it (the container sniffs the first line's characters for the delimiter, so the
text matters, not only the numbers it reads back)."""

from __future__ import annotations

import json
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.predictor import to_csv
from chalicelib.signature import FLOAT32_MAX


def as_repr_writes(rows: list[list[float | bool | None]]) -> bytes:
    return "\n".join(",".join(json.dumps(cell) for cell in row) for row in rows).encode()


def test_every_magnitude_a_feature_may_take_is_written_as_repr_writes_it() -> None:
    rng = random.Random(20261201)
    # Every power of ten a 32-bit float holds, and the 64-bit floats around them.
    rows = [
        [sign * rng.uniform(1, 10) * 10.0**exponent, sign * 10.0**exponent, 2.0**-exponent]
        for exponent in range(-45, 39)
        for sign in (1, -1)
    ]
    # Random bit patterns: every digit count and exponent.
    for _ in range(2000):
        value = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if abs(value) <= FLOAT32_MAX:
            rows.append([value, 0.0, -0.0])
    for row in rows:
        assert to_csv([row]) == as_repr_writes([row]), row


@pytest.mark.parametrize("small", [1e-05, 5e-05, 9.99e-05, 1e-07, 3.3e-20, -2.5e-09])
def test_numbers_below_1e_minus_4_keep_their_exponent_form(small: float) -> None:
    # pydantic-core would write "0.00001" and "1e-7": the body is written as it always was.
    rows = [[5.1, small, 1.4], [6.0, 3.0, 4.8]]
    assert to_csv(rows) == as_repr_writes(rows)
    assert repr(small).encode() in to_csv(rows)


@settings(max_examples=500, derandomize=True, deadline=None)
@given(
    st.lists(
        st.lists(
            st.floats(-FLOAT32_MAX, FLOAT32_MAX) | st.booleans() | st.none(),
            min_size=2,
            max_size=2,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_missing_values_and_booleans_are_written_as_the_container_reads_them(
    rows: list[list[float | bool | None]],
) -> None:
    expected = as_repr_writes(rows).replace(b"null", b"").replace(b"true", b"1")
    assert to_csv(rows, missing=True, booleans=True) == expected.replace(b"false", b"0")
