"""A plain chunk's records as the model's rows, read by Arrow a column at a time.

Each feature's cells are read as the per-record path reads them (a number as ``float()`` reads
it, a boolean from true/false/1/0, a category by its name) and checked against the rules the
API's validator applies (finite, within the feature's bounds, whole for an integer, present
unless optional). A record whose every cell plainly passes is a row as it stands; any other is
flagged, for the API's own validator to judge and word (``batch.chunk_scoring``). The checks
here only need to let through nothing the validator would refuse: a cell they cannot vouch for
(" 1.5", "1_000", "nan") is flagged, and the validator decides."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv

from batch.csv_chunks import PlainChunk
from batch.inputs import CsvLayout
from foundation.lambda_code import signature as sig

# What Arrow's cast reads as a number: a subset of what float() reads, and the same value
# (tests/unit/test_batch_plain_rows.py holds both).
NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
TRUE, FALSE = pa.array(["true", "1"]), pa.array(["false", "0"])
EMPTY = pa.array([], pa.string())
# Text Arrow reads at a time: its cells (strings and offsets, ~1.5x the text) are all it holds.
BLOCK = 4 << 20


class NotPlain(Exception):
    """Arrow read the chunk otherwise than line by line (text that is not UTF-8, say): it is
    read a record at a time instead."""


@dataclass(frozen=True, eq=False)  # arrays inside: no field-wise == or hash
class PlainRows:
    matrix: np.ndarray  # float64, a row per record Arrow read, in the model's feature order
    records: np.ndarray  # each row's record in the chunk (Arrow leaves out ragged ones)
    ragged: list[int]  # the records that are not rows: a number of cells other than the header's
    flagged: np.ndarray  # the rows (indexes into matrix) the validator must judge
    ids: list[pa.Array]  # the id columns' text, a value per row


class PlainReader:
    """Reads one layout's plain chunks."""

    def __init__(self, signature: sig.Signature, layout: CsvLayout) -> None:
        names = [f"c{index}" for index in range(len(layout.header))]
        self._names = names
        self._convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[""],
            strings_can_be_null=True,
        )
        order = {name: index for index, name in enumerate(signature.feature_names)}
        by_name = {feature.name: feature for feature in signature.features}
        self._features = [
            (column, order[name], by_name[name]) for column, name, _ in layout.features
        ]
        self._ids = [column for column, _ in layout.ids]
        self._width = len(signature.features)

    def read(self, chunk: PlainChunk) -> PlainRows:
        """The chunk's rows, read a block of text at a time (Arrow holds one block's cells,
        never the whole chunk's); NotPlain where Arrow reads it otherwise."""
        ragged: list[int] = []

        def skip(row: pacsv.InvalidRow) -> str:
            ragged.append(row.number - 1)  # numbered from 1 among the non-blank lines
            return "skip"

        matrix = np.full((chunk.records, self._width), np.nan)
        flagged = np.zeros(chunk.records, dtype=bool)
        ids: list[list[pa.Array]] = [[] for _ in self._ids]
        rows = 0
        try:
            for batch in pacsv.open_csv(
                pa.BufferReader(pa.py_buffer(chunk.data)),
                read_options=pacsv.ReadOptions(
                    column_names=self._names, block_size=BLOCK, use_threads=False
                ),
                parse_options=pacsv.ParseOptions(
                    quote_char=False, newlines_in_values=False, invalid_row_handler=skip
                ),
                convert_options=self._convert,
            ):
                end = rows + batch.num_rows
                for column, index, feature in self._features:
                    matrix[rows:end, index], doubtful = feature_values(
                        batch.column(column), feature
                    )
                    flagged[rows:end] |= doubtful
                for parts, column in zip(ids, self._ids, strict=True):
                    parts.append(batch.column(column))
                rows = end
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise NotPlain(str(error)) from None
        if rows + len(ragged) != chunk.records:
            raise NotPlain(f"{rows} rows and {len(ragged)} ragged: {chunk.records}")
        return PlainRows(
            matrix=matrix[:rows],
            records=np.delete(np.arange(chunk.records), ragged),
            ragged=ragged,
            flagged=np.flatnonzero(flagged[:rows]),
            ids=[pa.concat_arrays(parts).fill_null("") if parts else EMPTY for parts in ids],
        )


def feature_values(cells: pa.Array, feature: sig.Feature) -> tuple[np.ndarray, np.ndarray]:
    """The cells' values for the model (NaN where missing) and where the validator must judge."""
    empty = cells.is_null().to_numpy(zero_copy_only=False)
    doubtful = empty.copy() if not feature.optional else np.zeros(len(cells), dtype=bool)
    if feature.type == sig.BOOLEAN:
        lowered = pc.ascii_lower(cells)
        true = pc.is_in(lowered, TRUE).fill_null(False).to_numpy(zero_copy_only=False)
        false = pc.is_in(lowered, FALSE).fill_null(False).to_numpy(zero_copy_only=False)
        doubtful |= ~(true | false | empty)
        return np.where(true, 1.0, np.where(false, 0.0, np.nan)), doubtful
    if feature.type == sig.CATEGORICAL:
        codes = pc.index_in(cells, value_set=pa.array(feature.categories or ()))
        values = codes.cast(pa.float64()).to_numpy(zero_copy_only=False)
        doubtful |= np.isnan(values) & ~empty
        return values, doubtful
    values, unread = _numbers(cells)
    with np.errstate(invalid="ignore"):
        doubtful |= unread | ~(np.isfinite(values) | empty)
        doubtful |= _outside(values, feature)
    return values, doubtful


def _numbers(cells: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The cells read as numbers (NaN where missing or unread), and which could not be read."""
    try:
        numbers = pc.cast(cells, pa.float64())
        unread = np.zeros(len(cells), dtype=bool)
    except pa.ArrowInvalid:
        readable = pc.match_substring_regex(cells, NUMBER)
        numbers = pc.cast(pc.if_else(readable, cells, None), pa.float64())
        unread = ~readable.fill_null(True).to_numpy(zero_copy_only=False)
    return numbers.to_numpy(zero_copy_only=False), unread


def _outside(values: np.ndarray, feature: sig.Feature) -> np.ndarray:
    """Where a value breaks a bound the validator applies (validation.feature_schema): the
    feature's own, or what a 32-bit float holds; for a whole number, a multiple of 1."""
    integer = feature.type == sig.INTEGER
    limit = sig.SAFE_INTEGER if integer else sig.FLOAT32_MAX
    ge, gt = feature.minimum, feature.exclusive_minimum
    le, lt = feature.maximum, feature.exclusive_maximum
    if ge is None and gt is None:
        ge = -limit
    if le is None and lt is None:
        le = limit
    outside = np.zeros(len(values), dtype=bool)
    for bound, breaks in ((ge, np.less), (gt, np.less_equal), (le, np.greater),
                          (lt, np.greater_equal)):  # fmt: skip
        if bound is not None:
            outside |= breaks(values, bound)
    if integer:
        outside |= (values != np.trunc(values)) & ~np.isnan(values)
    return outside
