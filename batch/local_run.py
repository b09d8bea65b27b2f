"""A batch file scored on this machine, a chunk at a time, with a checkpoint after each chunk.

What a chunk produced reaches ``<output>.partial`` and ``<rejects>.partial`` (flushed to disk)
before the checkpoint records their sizes and the input's offset after it. A run stopped
anywhere (Ctrl-C, kill -9, a full disk) resumes from the last checkpoint: the partial files are
cut back to the sizes it records, so nothing is written twice, and the input is read on from
where it says. The finished files are renamed into place at the end: a reader of ``--output``
sees the whole answer or none."""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from batch.ahead import ahead
from batch.chunk_scoring import PlainScorer, Scored, score_records
from batch.csv_chunks import CsvChunks, PlainChunk
from batch.inputs import CSV, CsvLayout, InputError, InputRecord, jsonl_records, read_csv_header
from batch.outputs import Output
from batch.plain_rows import PlainRows
from batch.progress import Progress
from batch.scoring import BatchScorer
from foundation.files import write_atomically
from foundation.lambda_code import signature as sig

Chunk = PlainChunk | list[InputRecord]
# Records scored and checkpointed at a time (a plain chunk holds fewer where they take more than
# batch.csv_chunks.CHUNK_BYTES). With the next chunk read on another thread while one is scored,
# 10,000 took the same time as 50,000 at 4 features and 8 % more at 30, with 40-60 MiB less
# memory (measured, paired runs of 1,000,000 rows).
CHUNK_ROWS = 10_000


class TooManyRejects(Exception):
    """More records were rejected than the run allows; what was scored is kept to resume."""


@dataclass
class Checkpoint:
    # What the run reads and how: a resumed run must read the same, the same way.
    input: str
    input_size: int
    input_mtime_ns: int
    artifact_sha256: str
    format: str
    id_columns: list[str]
    # Where it stands.
    offset: int = 0
    line: int = 0
    output_bytes: int = 0
    rejects_bytes: int = 0
    rows: int = 0
    rejected: int = 0

    def same_job(self, other: Checkpoint) -> bool:
        keys = ("input", "input_size", "input_mtime_ns", "artifact_sha256", "format", "id_columns")
        return all(getattr(self, key) == getattr(other, key) for key in keys)


@dataclass(frozen=True)
class BatchFiles:
    input: Path
    output: Path
    rejects: Path

    @property
    def partial_output(self) -> Path:
        return self.output.with_name(self.output.name + ".partial")

    @property
    def partial_rejects(self) -> Path:
        return self.rejects.with_name(self.rejects.name + ".partial")

    @property
    def checkpoint(self) -> Path:
        return self.output.with_name(self.output.name + ".checkpoint.json")

    def check(self) -> None:
        """InputError when the paths cannot make a run (before anything is written)."""
        if not self.input.is_file():
            raise InputError(f"{self.input}: not found or not a file")
        for path in (self.output, self.rejects):
            if path.exists() and (not path.is_file() or path.samefile(self.input)):
                raise InputError(f"{path}: would overwrite the input or a folder")
        if self.output.resolve() == self.rejects.resolve():
            raise InputError("--output and --rejects name the same file")
        for path in (self.output, self.rejects):
            folder = path.resolve().parent
            if not folder.is_dir() or not os.access(folder, os.W_OK):
                raise InputError(f"{folder}: no such folder, or not writable")


@dataclass(frozen=True)
class Summary:
    rows: int
    rejected: int
    resumed_at_line: int  # 0 when the run started from the beginning
    rows_per_second: float


def score_file(
    files: BatchFiles,
    signature: sig.Signature,
    scorer: BatchScorer,
    kind: str,
    id_columns: list[str],
    chunk_rows: int = CHUNK_ROWS,
    max_rejects: int | None = None,
    restart: bool = False,
) -> Summary:
    files.check()
    output = Output(kind, signature, id_columns)
    stat = files.input.stat()
    fresh = Checkpoint(
        input=str(files.input.resolve()),
        input_size=stat.st_size,
        input_mtime_ns=stat.st_mtime_ns,
        artifact_sha256=signature.artifact_sha256,
        format=kind,
        id_columns=id_columns,
    )
    with files.input.open("rb") as stream:
        layout = None
        if kind == CSV:
            header, header_bytes = read_csv_header(stream)
            layout = CsvLayout.of(header, signature, id_columns)
            fresh.offset, fresh.line = header_bytes, 1
        checkpoint = _resumed(files, fresh) if not restart else None
        resumed_at = checkpoint.line if checkpoint else 0
        if checkpoint is None:
            checkpoint = fresh
            write_atomically(files.partial_output, output.header())
            write_atomically(files.partial_rejects, b"")
            checkpoint.output_bytes = len(output.header())
            _save(files, checkpoint)
        chunks: Generator[tuple[Chunk, PlainRows | list[InputRecord]], None, None]
        if layout is not None:
            plain = PlainScorer(signature, layout, scorer, output)
            csv_chunks = CsvChunks(stream, layout, checkpoint.offset, checkpoint.line, chunk_rows)
            chunks = ahead(csv_chunks, plain.read)
        else:
            stream.seek(checkpoint.offset)
            records = jsonl_records(stream, id_columns, checkpoint.offset, checkpoint.line)
            chunks = ((chunk, chunk) for chunk in _chunks(records, chunk_rows))
        progress = Progress(stat.st_size)
        scored_here = 0
        try:
            # Closed before the input is: the step read ahead ends first.
            with (
                closing(chunks),
                files.partial_output.open("r+b") as out,
                files.partial_rejects.open("r+b") as bad,
            ):
                out.truncate(checkpoint.output_bytes)
                bad.truncate(checkpoint.rejects_bytes)
                out.seek(checkpoint.output_bytes)
                bad.seek(checkpoint.rejects_bytes)
                for chunk, read in chunks:
                    _check_rejects(checkpoint, max_rejects, files)
                    if isinstance(chunk, PlainChunk):
                        scored, end = plain.score(chunk, read), (chunk.end_offset, chunk.end_line)
                    else:
                        scored = score_records(chunk, scorer, output)
                        end = (chunk[-1].end_offset, chunk[-1].end_line)
                    _write(scored, out, bad)
                    checkpoint.offset, checkpoint.line = end
                    checkpoint.output_bytes, checkpoint.rejects_bytes = out.tell(), bad.tell()
                    checkpoint.rows += scored.rows
                    checkpoint.rejected += scored.rejected
                    _save(files, checkpoint)
                    scored_here += scored.rows
                    progress.update(scored_here, checkpoint.offset)
                _check_rejects(checkpoint, max_rejects, files)
        finally:
            progress.update(scored_here, checkpoint.offset, force=True)
            progress.close()
    os.replace(files.partial_rejects, files.rejects)
    os.replace(files.partial_output, files.output)
    files.checkpoint.unlink()
    return Summary(checkpoint.rows, checkpoint.rejected, resumed_at, progress.rate())


def _resumed(files: BatchFiles, fresh: Checkpoint) -> Checkpoint | None:
    """The interrupted run's checkpoint, when it was this job's; InputError when another job's
    checkpoint is there (its partial files would be lost)."""
    if not files.checkpoint.exists():
        return None
    try:
        checkpoint = Checkpoint(**json.loads(files.checkpoint.read_text()))
    except (OSError, ValueError, TypeError) as error:
        raise InputError(f"{files.checkpoint} cannot be read ({error}): pass --restart") from None
    if not checkpoint.same_job(fresh):
        raise InputError(
            f"{files.checkpoint} is an unfinished run of another input, model or options: "
            "rerun it as it was to finish it, or pass --restart to start over"
        )
    partials = (files.partial_output, files.partial_rejects)
    sizes = (checkpoint.output_bytes, checkpoint.rejects_bytes)
    if any(not p.is_file() or p.stat().st_size < n for p, n in zip(partials, sizes, strict=True)):
        raise InputError(f"{files.partial_output} is shorter than its checkpoint: pass --restart")
    return checkpoint


def _check_rejects(checkpoint: Checkpoint, max_rejects: int | None, files: BatchFiles) -> None:
    """TooManyRejects past the limit: checked before each chunk (a resumed run with the same
    limit stops at once) and at the end (a finished run past it is not renamed into place)."""
    if max_rejects is not None and checkpoint.rejected > max_rejects:
        raise TooManyRejects(
            f"{checkpoint.rejected} records rejected, more than --max-rejects {max_rejects}: see "
            f"{files.partial_rejects}; rerun with a higher --max-rejects to go on from line "
            f"{checkpoint.line + 1}, or --restart"
        )


def _save(files: BatchFiles, checkpoint: Checkpoint) -> None:
    write_atomically(files.checkpoint, json.dumps(asdict(checkpoint)).encode())


def _chunks(records: Iterator[InputRecord], size: int) -> Iterator[list[InputRecord]]:
    chunk: list[InputRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write(scored: Scored, out: IO[bytes], bad: IO[bytes]) -> None:
    """The chunk's lines on disk before its checkpoint says they are there (a file the chunk
    added nothing to is on disk as the last chunk left it)."""
    for file, data in ((out, scored.output), (bad, scored.rejects)):
        if data:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
