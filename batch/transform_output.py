"""A transform's raw output made into the labelled CSV ``scripts.batch_score`` writes: each
``<input>.out`` object (lines of ``id,...,score[,score...]``) streamed into
``<input>.scored.csv`` beside it, with a header, the ids, then the prediction's columns."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from batch.inputs import CSV
from batch.outputs import Output
from foundation.lambda_code import answers
from foundation.lambda_code import signature as sig

# Lines labelled at a time: bounded memory for objects of any size.
CHUNK_LINES = 10_000


class _Stream(io.RawIOBase):
    """An iterator of bytes as a file, for upload_fileobj's multipart upload."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = chunk
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def scores_of(cells: list[str]) -> list[str]:
    """The answer's cells, in the form the container writes under SAGEMAKER_BATCH (``str()`` of
    a row's list, serve.py:240-242 at v3.0-5: ``[0.9, 0.07, 0.03]``) or as plain CSV cells.
    SageMaker appends the answer line to the input line after a comma (the DataProcessing
    reference); whether its CSV reading quotes the list is not documented, so quotes go too."""
    answer = ",".join(cells).strip().strip('"').strip()
    if answer.startswith("[") and answer.endswith("]"):
        answer = answer[1:-1]
    return answer.split(",")


def labelled_lines(
    lines: Iterator[bytes], signature: sig.Signature, id_columns: list[str]
) -> Iterator[bytes]:
    """The labelled CSV of a transform's output lines, a chunk at a time."""
    output = Output(CSV, signature, id_columns)
    reader = answers.AnswerReader(signature)
    probabilities = signature.answer is sig.Answer.PROBABILITIES
    yield output.header()
    ids: list[dict[str, Any]] = []
    scores: list[Any] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        cells = raw.decode().rstrip("\r").split(",")
        try:
            values = [float(cell) for cell in scores_of(cells[len(id_columns) :])]
        except ValueError:
            raise answers.BadAnswer(f"output line {number} is not ids and numbers") from None
        expected = len(signature.labels) if probabilities else 1
        if len(values) != expected:
            raise answers.BadAnswer(f"output line {number}: {len(values)} scores, not {expected}")
        ids.append(dict(zip(id_columns, cells, strict=False)))
        scores.append(values if probabilities else values[0])
        if len(scores) >= CHUNK_LINES:
            yield output.lines(ids, reader.label(scores))  # type: ignore[arg-type]
            ids, scores = [], []
    if scores:
        yield output.lines(ids, reader.label(scores))  # type: ignore[arg-type]


def label_object(
    s3: Any, bucket: str, out_key: str, signature: sig.Signature, id_columns: list[str]
) -> str:
    """Stream one ``.out`` object into its ``.scored.csv``; returns the new key."""
    scored_key = out_key[: -len(".out")] + ".scored.csv"
    body = s3.get_object(Bucket=bucket, Key=out_key)["Body"]
    chunks = labelled_lines(body.iter_lines(), signature, id_columns)
    s3.upload_fileobj(io.BufferedReader(_Stream(chunks)), bucket, scored_key)
    return scored_key
