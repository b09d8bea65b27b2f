"""A CSV batch cut into chunks of records, each read as Python's csv module reads it.

Where a stretch of the file is plain text (no quote, no NUL, no carriage return but before a line
feed, no line longer than csv's field limit) the csv module reads each line as one record, its
cells split at the commas, a blank line as nothing; Arrow's CSV reader reads the same text the
same way, at the speed of the data. Such a chunk is handed over as its bytes
(``PlainChunk``). Anything else (a quoted cell, which may hold commas and line breaks) is read as
before, a record at a time (``batch.inputs.csv_records``).

The file is read into one buffer per read, never copied again: a chunk is a view of it, and its
lines are found once per buffer (a chunk of one record costs one record's work)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO

import numpy as np

from batch.inputs import CsvLayout, InputRecord, csv_records

LF, CR = 10, 13
READ = 1 << 20  # bytes read at least at a time
# A plain chunk's text at most (fewer records than asked where they are long): what a chunk in
# flight holds (its text, Arrow's cells of a block of it, the model's rows) grows with it, and a
# chunk of 25,000 records of 30 features, 5.7 MB, peaked at 227 MiB where 50,000 took 316.
CHUNK_BYTES = 6 << 20
SCAN = 1 << 20  # bytes searched for line breaks at a time (a small temporary array)


@dataclass(frozen=True, eq=False)  # arrays inside: no field-wise == or hash
class PlainChunk:
    data: memoryview  # whole lines: the chunk's records, and any blank lines before them
    offset: int  # the input's bytes before ``data``
    line: int  # the input's lines before ``data``
    starts: np.ndarray  # each record's line: where it starts in ``data``
    ends: np.ndarray  # and where its cells end (before "\n" or "\r\n")
    lines: np.ndarray  # each record's line number in the file
    end_offset: int  # the input's bytes up to the end of the last record
    end_line: int  # the last record's line

    @property
    def records(self) -> int:
        return len(self.starts)

    def text(self, record: int) -> str:
        """The record's line without its line break, as the csv module reads it."""
        line = self.data[int(self.starts[record]) : int(self.ends[record])]
        return bytes(line).decode("utf-8", errors="replace")

    def as_records(self, layout: CsvLayout) -> list[InputRecord]:
        """The same records read one at a time, as any other stretch of the file is."""
        return list(csv_records(io.BytesIO(self.data), layout, self.offset, self.line))


def is_plain(text: bytearray, start: int, end: int, longest_line: int) -> bool:
    """Whether the csv module reads each line of ``text[start:end]`` as its text split at
    commas."""
    return (
        text.find(b'"', start, end) < 0
        and text.find(b"\0", start, end) < 0
        and text.count(b"\r", start, end) == text.count(b"\r\n", start, end)
        and longest_line <= csv.field_size_limit()
    )


class _Lines:
    """A buffer of the input and where its lines are: found once, each chunk a slice."""

    def __init__(self, buffer: bytearray, size: int, eof: bool) -> None:
        view = np.frombuffer(buffer, np.uint8, count=size)
        breaks = [np.flatnonzero(view[at : at + SCAN] == LF) + at for at in range(0, size, SCAN)]
        ends = np.concatenate([np.zeros(0, np.int64), *breaks])
        if eof and size and (not len(ends) or ends[-1] != size - 1):
            ends = np.append(ends, size)  # the last line, without a line break
        self.buffer, self.size, self.ends = buffer, size, ends
        self.starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
        # Before "\n", a "\r" ends the line too ("\r\n", as Windows writes).
        self.stops = ends.copy()
        crlf = (ends > self.starts) & (ends < size)
        crlf[crlf] = view[ends[crlf] - 1] == CR
        self.stops[crlf] -= 1
        self.record = self.stops > self.starts  # a blank line is no record
        self.count = np.cumsum(self.record)  # records up to and with each line

    def start(self, line: int) -> int:
        """Where a line starts (the buffer's end past its last line, which may be part of one)."""
        if line < len(self.starts):
            return int(self.starts[line])
        return min(int(self.ends[-1]) + 1, self.size) if len(self.ends) else 0


class CsvChunks:
    """The records after ``offset`` (where line ``line`` ended), ``rows`` at a time: a
    ``PlainChunk``, or a list of records read one at a time where the text is not plain."""

    def __init__(
        self, stream: IO[bytes], layout: CsvLayout, offset: int, line: int, rows: int
    ) -> None:
        self._stream = stream
        self._layout = layout
        self._offset = offset  # the input's bytes before the next record
        self._line = line
        self._rows = rows
        self._lines: _Lines | None = None  # the buffer holding the input from self._offset on
        self._first = 0  # the first of its lines not yet taken
        self._eof = False
        self._bytes_per_record = 0.0  # of the last chunk: how much to read for the next

    def __iter__(self) -> Iterator[PlainChunk | list[InputRecord]]:
        self._stream.seek(self._offset)
        while True:
            found = self._next_lines()
            if found is None:
                return
            chunk, start, following = found
            assert self._lines is not None
            longest = int((chunk.ends - chunk.starts).max())
            if is_plain(self._lines.buffer, start, start + len(chunk.data), longest):
                self._first, self._offset, self._line = following, chunk.end_offset, chunk.end_line
                yield chunk
                continue
            # Not plain: this chunk's records one at a time, then plain text again after them.
            self._stream.seek(self._offset)
            records = csv_records(self._stream, self._layout, self._offset, self._line)
            taken = list(islice(records, self._rows))
            if not taken:
                return
            self._lines, self._first, self._eof = None, 0, False
            self._offset, self._line = taken[-1].end_offset, taken[-1].end_line
            self._stream.seek(self._offset)
            yield taken

    def _next_lines(self) -> tuple[PlainChunk, int, int] | None:
        """The lines holding the next ``rows`` records (fewer at the end), as a chunk whose
        text is yet to be judged plain, with where it starts in the buffer and the line after
        it; None when no record is left."""
        while True:
            found = self._chunk() if self._lines is not None else None
            if found is not None or self._eof:
                return found
            self._read()

    def _read(self) -> None:
        """A new buffer: what is left of the old one, then as much of the input as the next
        chunk is likely to take (at least as much again, so that reads grow)."""
        left: bytes | bytearray = b""
        if self._lines is not None:
            left = self._lines.buffer[self._lines.start(self._first) : self._lines.size]
        wanted = int(min(self._rows * self._bytes_per_record, CHUNK_BYTES) * 1.05)
        buffer = bytearray(len(left) + max(wanted - len(left), len(left), READ))
        buffer[: len(left)] = left
        got = self._stream.readinto(memoryview(buffer)[len(left) :])  # type: ignore[attr-defined]
        self._eof = not got
        self._lines, self._first = _Lines(buffer, len(left) + got, self._eof), 0

    def _chunk(self) -> tuple[PlainChunk, int, int] | None:
        """The next ``rows`` records in the buffer (as ``_next_lines``), or None when it holds
        fewer and more may follow (or, at the end of the input, none at all)."""
        lines, first = self._lines, self._first
        assert lines is not None
        if first >= len(lines.ends):
            return None
        before = int(lines.count[first - 1]) if first else 0
        left = int(lines.count[-1]) - before
        start = int(lines.starts[first])
        within = int(np.searchsorted(lines.ends, start + CHUNK_BYTES))  # lines that fit
        capped = within < len(lines.ends)  # the buffer reaches past a chunk's bytes
        if not left or (left < self._rows and not capped and not self._eof):
            return None
        last = int(np.searchsorted(lines.count, before + min(self._rows, left)))
        if capped:  # fewer records, down to the first, where they hold more text
            last = min(last, max(within - 1, int(np.searchsorted(lines.count, before + 1))))
        taken = first + np.flatnonzero(lines.record[first : last + 1])
        end = int(min(lines.ends[last] + 1, lines.size))
        self._bytes_per_record = (end - start) / len(taken)
        chunk = PlainChunk(
            data=memoryview(lines.buffer)[start:end],
            offset=self._offset,
            line=self._line,
            starts=lines.starts[taken] - start,
            ends=lines.stops[taken] - start,
            lines=self._line + 1 + (taken - first),
            end_offset=self._offset + end - start,
            end_line=self._line + 1 + (last - first),
        )
        return chunk, start, last + 1
