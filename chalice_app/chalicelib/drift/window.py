"""A window of one model's captured traffic, read line by line into counts: each request's rows
cell by cell, each answer's predictions, and every line that could not be read, by why.
Nothing of a line is kept once it is counted."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable

from chalicelib.answers import AnswerReader, BadAnswer
from chalicelib.drift.baseline import Baseline, bound_baseline
from chalicelib.drift.capture import BAD_TIME, BadRecord, parse_line, parse_time
from chalicelib.drift.counts import CategoryCounts, Counts, NumberCounts, counts_for
from chalicelib.drift.predictions import predictions_of
from chalicelib.signature import Answer, Signature

NOT_CSV = "request not CSV"
EMPTY_REQUEST = "empty request"


class Window:
    """Counts of one model's captured invocations from ``start`` up to ``end`` (either may be
    None), on its baseline's bins."""

    def __init__(
        self,
        baseline: Baseline,
        signature: Signature,
        start: datetime.datetime | None = None,
        end: datetime.datetime | None = None,
    ) -> None:
        self.baseline = bound_baseline(baseline, signature)
        self.signature = signature
        self.start, self.end = start, end
        self.features: list[Counts] = [
            counts_for(distribution, feature)
            for distribution, feature in zip(baseline.features, signature.features, strict=True)
        ]
        self.predictions = [counts_for(distribution) for distribution in baseline.predictions]
        self._reader = AnswerReader(signature)
        self._classes = {label: code for code, label in enumerate(signature.labels)}
        # A model of several outputs answers {"quantiles": {...}} or {"values": {...}} a row.
        self._outputs = signature.outputs
        self._output_key = "quantiles" if signature.answer is Answer.QUANTILES else "values"
        self._width = len(self.features)
        # Captured invocations read in the window, and the rows (records) they sent.
        self.records = 0
        self.rows = 0
        # Lines of the window's files from before ``start`` or from ``end`` on.
        self.outside = 0
        # Lines that are no readable capture record, by why.
        self.malformed: Counter[str] = Counter()
        # Rows of another number of cells than the model has features (not counted further).
        self.wrong_width = 0
        # Invocations whose answer is not this model's (their requests are counted).
        self.unread_answers = 0
        self.first: str | None = None
        self.last: str | None = None

    def add_lines(self, lines: Iterable[str | bytes]) -> Window:
        for line in lines:
            if line.strip():
                self.add_line(line)
        return self

    def add_line(self, line: str | bytes) -> None:
        try:
            exchange = parse_line(line)
        except BadRecord as error:
            self.malformed[str(error)] += 1
            return
        if self.start is not None or self.end is not None:
            try:
                moment = parse_time(exchange.time)
            except ValueError:
                self.malformed[BAD_TIME] += 1
                return
            if (self.start and moment < self.start) or (self.end and moment >= self.end):
                self.outside += 1
                return
        if exchange.request_type != "text/csv":
            self.malformed[NOT_CSV] += 1
            return
        lines = exchange.request.strip("\r\n").split("\n")
        if lines == [""]:
            self.malformed[EMPTY_REQUEST] += 1
            return
        self.records += 1
        self.rows += len(lines)
        if self.first is None or exchange.time < self.first:
            self.first = exchange.time
        if self.last is None or exchange.time > self.last:
            self.last = exchange.time
        self._count_rows(lines)
        self._count_answer(exchange.answer, len(lines))

    def _count_rows(self, lines: list[str]) -> None:
        features, width = self.features, self._width
        for line in lines:
            cells = line.rstrip("\r").split(",") if width > 1 else [line.rstrip("\r")]
            if len(cells) != width:
                self.wrong_width += 1
                continue
            for counts, cell in zip(features, cells):  # noqa: B905 - widths checked above
                counts.add_cell(cell.strip())

    def _count_answer(self, answer: str, rows: int) -> None:
        try:
            predictions = predictions_of(answer, self._reader, rows)
        except (BadAnswer, ValueError, TypeError):
            self.unread_answers += 1
            return
        counts = self.predictions[0]
        if isinstance(counts, CategoryCounts):
            for prediction in predictions:
                counts.add_value(float(self._classes[prediction["label"]]))
        elif self._outputs:
            key = self._output_key
            for prediction in predictions:
                for output, name in zip(self.predictions, self._outputs, strict=True):
                    assert isinstance(output, NumberCounts)
                    output.add_value(float(prediction[key][name]))
        else:
            assert isinstance(counts, NumberCounts)
            for prediction in predictions:
                counts.add_value(float(prediction["value"]))
