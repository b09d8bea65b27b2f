"""Reading a batch file a record at a time: CSV with a header, or JSON Lines. Each record knows
its line and the input's byte offset after it, so a run can stop anywhere and resume there."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from pydantic_core import from_json

from foundation.lambda_code import signature as sig

CSV, JSONL = "csv", "jsonl"
FORMATS = {".csv": CSV, ".jsonl": JSONL, ".ndjson": JSONL}


class InputError(ValueError):
    """The file as a whole cannot be scored (its header, its format): one line, nothing written."""


@dataclass(frozen=True)
class InputRecord:
    line: int  # the record's first line in the file, from 1
    end_line: int  # its last (a quoted CSV cell may hold line breaks)
    end_offset: int  # the input's bytes up to the end of this record
    ids: dict[str, Any]  # the id columns' values, passed through to the output
    fields: Any  # what the API would be sent: the record's keys and values
    # Why the line is not a record at all (not JSON, a ragged CSV row, no id), as the API
    # words a body's problems: [{"field", "reason"}].
    problems: list[dict[str, str]] | None = None


def format_of(name: str) -> str | None:
    """The batch format a file name says, by its extension."""
    for extension, kind in FORMATS.items():
        if name.lower().endswith(extension):
            return kind
    return None


class _Lines:
    """The file's lines as text, counting the bytes and lines handed out."""

    def __init__(self, stream: IO[bytes], offset: int, line: int) -> None:
        self._stream = stream
        self.offset = offset
        self.line = line

    def __iter__(self) -> Iterator[str]:
        for raw in self._stream:
            if self.offset == 0 and raw.startswith(b"\xef\xbb\xbf"):  # a BOM, as Excel writes
                self.offset += 3
                raw = raw[3:]
            self.offset += len(raw)
            self.line += 1
            yield raw.decode("utf-8", errors="replace")


def _cell_reader(feature: sig.Feature) -> Callable[[str], Any]:
    """A CSV cell as the JSON value a client would send for the feature: a number, a boolean,
    or the text itself (which validation then refuses with the API's reason)."""
    if feature.type == sig.BOOLEAN:
        words = {"true": True, "false": False, "1": True, "0": False}

        def boolean(cell: str) -> Any:
            return words.get(cell.strip().lower(), cell)

        return boolean
    if feature.type == sig.CATEGORICAL:
        # A category's name, exactly as the API takes it (validation makes it its code).
        return str

    def number(cell: str) -> Any:
        # Python reads "1_000" as 1000; a JSON client could not send it: refused, as the API
        # would refuse the text.
        if "_" in cell:
            return cell
        try:
            return float(cell)
        except ValueError:
            return cell

    return number


@dataclass(frozen=True)
class CsvLayout:
    """Which column is which: the header read against the signature and the id columns."""

    header: list[str]
    features: list[tuple[int, str, Callable[[str], Any]]]
    ids: list[tuple[int, str]]

    @classmethod
    def of(cls, header: list[str], signature: sig.Signature, id_columns: list[str]) -> CsvLayout:
        seen = [name for name in header if header.count(name) > 1]
        if seen:
            raise InputError(f"the header names {seen[0]!r} twice")
        known = set(signature.feature_names)
        unknown = [name for name in header if name not in known and name not in id_columns]
        if unknown:
            raise InputError(
                f"column {unknown[0]!r} is not a feature of the model: pass it with "
                f"--id-column {unknown[0]} to carry it through, or remove it"
            )
        absent = [name for name in id_columns if name not in header]
        if absent:
            raise InputError(f"id column {absent[0]!r} is not in the header")
        required = [f.name for f in signature.features if not f.optional and f.name not in header]
        if required:
            raise InputError(
                f"the header lacks {len(required)} required feature(s): {', '.join(required[:5])}"
            )
        by_name = {feature.name: feature for feature in signature.features}
        return cls(
            header=header,
            features=[
                (index, name, _cell_reader(by_name[name]))
                for index, name in enumerate(header)
                if name in known
            ],
            ids=[(index, name) for index, name in enumerate(header) if name in id_columns],
        )

    def record(self, cells: list[str]) -> tuple[dict[str, Any], dict[str, Any], str | None]:
        """The row's ids and feature values; an empty cell is a value left out (missing)."""
        ids = {name: cells[index] for index, name in self.ids if index < len(cells)}
        if len(cells) != len(self.header):
            return ids, {}, f"the row has {len(cells)} cells, the header {len(self.header)}"
        fields = {
            name: read(cells[index]) for index, name, read in self.features if cells[index] != ""
        }
        return ids, fields, None

    def input_record(
        self, cells: list[str], line: int, end_line: int, end_offset: int
    ) -> InputRecord:
        """The row as a record to check, or with the reason it is no record."""
        ids, fields, problem = self.record(cells)
        problems = _problem("row", problem) if problem else None
        return InputRecord(line, end_line, end_offset, ids, fields, problems)


def read_csv_header(stream: IO[bytes]) -> tuple[list[str], int]:
    """The header's column names and the bytes it takes."""
    lines = _Lines(stream, 0, 0)
    header = next(csv.reader(lines), None)
    if not header:
        raise InputError("the file is empty: a CSV batch starts with a header naming its columns")
    return [name.strip() for name in header], lines.offset


def csv_records(
    stream: IO[bytes], layout: CsvLayout, offset: int, line: int
) -> Iterator[InputRecord]:
    """The records after ``offset`` (where line ``line`` ended), the stream positioned there."""
    lines = _Lines(stream, offset, line)
    reader = csv.reader(lines)
    while True:
        first = lines.line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield InputRecord(
                first, lines.line, lines.offset, {}, {}, _problem("row", f"not CSV: {error}")
            )
            continue
        if not cells:  # a blank line
            continue
        yield layout.input_record(cells, first, lines.line, lines.offset)


def jsonl_records(
    stream: IO[bytes], id_fields: list[str], offset: int, line: int
) -> Iterator[InputRecord]:
    """One JSON object a line; its id fields are taken out before the rest is validated as the
    API validates a record. Blank lines are skipped."""
    lines = _Lines(stream, offset, line)
    for text in lines:
        if not text.strip():
            continue
        try:
            document = from_json(text)
        except ValueError as error:
            problems = _problem("body", f"Invalid JSON: {error}")
            yield InputRecord(lines.line, lines.line, lines.offset, {}, None, problems)
            continue
        if not isinstance(document, dict):
            problems = _problem("body", "a line must be a JSON object: one record")
            yield InputRecord(lines.line, lines.line, lines.offset, {}, None, problems)
            continue
        ids = {name: document.pop(name) for name in id_fields if name in document}
        absent = [name for name in id_fields if name not in ids]
        no_ids = [_problem(name, "Field required")[0] for name in absent]
        yield InputRecord(lines.line, lines.line, lines.offset, ids, document, no_ids or None)


def _problem(field: str, reason: str) -> list[dict[str, str]]:
    return [{"field": field, "reason": reason}]
