"""One chunk of a batch scored: its output lines and its rejects, as bytes.

A chunk of records (JSON Lines, or CSV that is not plain text) is checked a record at a time by
the API's validator. A plain CSV chunk is read by Arrow a column at a time; only the records its
vectorised checks flag, and the ragged ones, go through the same per-record path, so a reject
carries the same line, ids and reasons, and a flagged record the validator accepts is scored
with the values the validator gave. The rows are predicted together and written a column at a
time, to the same bytes the per-record path writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from batch.csv_chunks import PlainChunk
from batch.inputs import CsvLayout, InputRecord
from batch.outputs import Output, prediction_texts, reject_line
from batch.plain_rows import NotPlain, PlainReader, PlainRows
from batch.scoring import BatchScorer, matrix_row
from foundation.lambda_code import signature as sig
from foundation.lambda_code import validation


@dataclass(frozen=True)
class Scored:
    output: bytes
    rejects: bytes
    rows: int
    rejected: int


def _judged(
    record: InputRecord, scorer: BatchScorer
) -> tuple[Sequence[validation.Cell] | None, bytes]:
    """The record's row, or its reject line."""
    row, problems = (None, record.problems) if record.problems else scorer.check(record.fields)
    if row is None:
        return None, reject_line(record.line, record.ids, problems or [])
    return row, b""


def score_records(records: list[InputRecord], scorer: BatchScorer, output: Output) -> Scored:
    """Records checked one at a time (JSON Lines, CSV that is not plain), as batches always were."""
    rows: list[Sequence[validation.Cell]] = []
    ids = []
    rejects = []
    for record in records:
        row, reject = _judged(record, scorer)
        if row is None:
            rejects.append(reject)
        else:
            rows.append(row)
            ids.append(record.ids)
    lines = output.lines(ids, scorer.predict(rows)) if rows else b""
    return Scored(lines, b"".join(rejects), len(rows), len(rejects))


class PlainScorer:
    """Scores one layout's plain chunks."""

    def __init__(
        self, signature: sig.Signature, layout: CsvLayout, scorer: BatchScorer, output: Output
    ) -> None:
        self._signature = signature
        self._layout = layout
        self._reader = PlainReader(signature, layout)
        self._scorer = scorer
        self._output = output

    def read(self, chunk: PlainChunk | list[InputRecord]) -> PlainRows | list[InputRecord]:
        """A plain chunk's rows read by Arrow (or its records, where Arrow reads it otherwise):
        the part of the work that needs no validator, done ahead on another thread. Records
        read one at a time are already read."""
        if isinstance(chunk, list):
            return chunk
        try:
            return self._reader.read(chunk)
        except NotPlain:
            return chunk.as_records(self._layout)

    def score(self, chunk: PlainChunk, read: PlainRows | list[InputRecord]) -> Scored:
        if isinstance(read, list):
            return score_records(read, self._scorer, self._output)
        rejects: dict[int, bytes] = {}  # by record, to be written in the file's order
        for record in read.ragged:
            rejects[record] = _judged(self._record(chunk, record), self._scorer)[1]
        kept = np.ones(len(read.matrix), dtype=bool)
        for row in read.flagged.tolist():
            record = int(read.records[row])
            values, reject = _judged(self._record(chunk, record), self._scorer)
            if values is None:
                rejects[record] = reject
                kept[row] = False
            else:
                read.matrix[row] = matrix_row(values)
        scored = int(kept.sum())
        lines = b""
        if scored:
            scores = self._scorer.scores(read.matrix[kept] if scored < len(kept) else read.matrix)
            ids = [column.filter(kept) for column in read.ids] if scored < len(kept) else read.ids
            lines = self._output.plain_lines(ids, prediction_texts(self._signature, scores))
        bad = b"".join(rejects[record] for record in sorted(rejects))
        return Scored(lines, bad, scored, len(rejects))

    def _record(self, chunk: PlainChunk, record: int) -> InputRecord:
        """The record as the per-record path reads it (a plain line is its cells split at
        commas)."""
        line = int(chunk.lines[record])
        return self._layout.input_record(chunk.text(record).split(","), line, line, 0)
