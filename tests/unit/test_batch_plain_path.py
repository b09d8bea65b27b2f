"""A CSV batch read a column at a time by Arrow gives the very bytes the per-record path gives
(today's way: Python's csv, the API's validator, the proxy's labelling, csv's writer): the same
output and the same rejects file, line numbers, ids and reasons, for every kind of model's
columns, features of every type, and cells of every kind users' files hold, at any chunk size.
The per-record path is forced by declaring no text plain; the plain path is shown to be taken."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from batch import chunk_scoring, csv_chunks
from batch.inputs import CSV
from batch.local_run import BatchFiles, score_file
from batch.scoring import BatchScorer
from foundation.lambda_code import signature as sig
from serving.model import XGBoostModel

FEATURES = (
    sig.Feature("width", exclusive_minimum=0.0, maximum=100.0),
    sig.Feature("count", sig.INTEGER, optional=True, minimum=0.0),
    sig.Feature("member", sig.BOOLEAN),
    sig.Feature("colour", sig.CATEGORICAL, optional=True, categories=("red", "light blue", "Ünï")),
    sig.Feature("ratio", optional=True),
)
LABELS = {
    "multi:softprob": ("setosa", "versi,color", 'vir"ginica'),  # csv quotes the last two
    "binary:logistic": ("no", "yes"),
    "binary:logitraw": ("no", "yes"),
    "multi:softmax": ("a", "b", "c"),
    "reg:squarederror": (),
}
# Cells of each feature, valid and not, as users' files hold them.
CELLS = {
    "width": ["1.5", "99.99", "100", "0.1", "7", "3e1", "+2", ".5", "5.", "1E-3", "", "n/a",
              " 1.5", "1.5 ", "1_5", "nan", "inf", "-inf", "0", "-0", "100.00000000000001",
              "1e-400", "1e39", "0x10", "\uff11", "12345678901234567890.5"],
    "count": ["3", "0", "", "3.0", "3.5", "-1", "1e3", "9007199254740993", "2.0000000001", "x"],
    "member": ["true", "false", "TRUE", "False", "1", "0", "tRuE", " true", "yes", "", "2"],
    "colour": ["red", "light blue", "Ünï", "", "Red", " red", "purple"],
    "ratio": ["0.25", "-3.5", "", "1e30", "-1e38", "3.5e38", "1e-320", "nan", "abc", "1_0"],
}  # fmt: skip


def _model(objective: str, folder: Path) -> tuple[sig.Signature, XGBoostModel]:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5, size=(300, len(FEATURES)))
    x[rng.random(x.shape) < 0.1] = np.nan
    labels = LABELS[objective]
    y = rng.integers(0, max(len(labels), 2), 300).astype(float)
    params = {"objective": objective, "max_depth": 3, "nthread": 1}
    if objective.startswith("multi:"):
        params["num_class"] = len(labels)
    booster = xgb.train(params, xgb.DMatrix(x, label=y), num_boost_round=5)
    signature = sig.Signature(FEATURES, objective, labels, "0" * 64, xgb.__version__)
    return signature, XGBoostModel(booster)


def _line(rng: random.Random, header: list[str]) -> str:
    """A row: mostly valid cells, sometimes any cell of the feature's, now and then ragged."""
    cells = []
    for name in header:
        if name in ("id", "batch"):
            cells.append(f"r{rng.randrange(10**6)}" if name == "id" else rng.choice(["", "b 1"]))
        else:
            choices = CELLS[name]
            cells.append(rng.choice(choices[:4]) if rng.random() < 0.8 else rng.choice(choices))
    if rng.random() < 0.02:
        cells = cells[: rng.randrange(len(cells))] if rng.random() < 0.5 else [*cells, "9"]
    return ",".join(cells)


def write_batch(path: Path, rows: int, seed: int, extras: tuple[str, ...] = ()) -> None:
    """A header in an order of its own, rows with blank and whitespace lines between, CRLF line
    ends in places, the last line without a line break; ``extras`` added at random places."""
    rng = random.Random(seed)
    header = ["colour", "id", "width", "member", "count", "batch", "ratio"]
    lines = [",".join(header)]
    for _ in range(rows):
        roll = rng.random()
        lines.append("" if roll < 0.01 else "   " if roll < 0.015 else _line(rng, header))
    for extra in extras:
        lines.insert(rng.randrange(1, len(lines)), extra)
    text = "".join(line + ("\r\n" if rng.random() < 0.1 else "\n") for line in lines)
    path.write_bytes(text.rstrip("\r\n").encode("utf-8", errors="surrogateescape"))


def score(
    path: Path, signature: sig.Signature, model: XGBoostModel, chunk_rows: int
) -> tuple[bytes, bytes]:
    files = BatchFiles(path, path.with_suffix(".out.csv"), path.with_suffix(".rejects.jsonl"))
    scorer = BatchScorer(signature, model)
    score_file(files, signature, scorer, CSV, ["id", "batch"], chunk_rows=chunk_rows, restart=True)
    return files.output.read_bytes(), files.rejects.read_bytes()


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    # Durability is not what these tests are about; hundreds of chunks' fsyncs would be.
    monkeypatch.setattr(os, "fsync", lambda descriptor: None)


@pytest.fixture
def plain_chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the chunks Arrow reads (a list: one entry per chunk)."""
    read: list[int] = []
    original = chunk_scoring.PlainReader.read

    def counted(self: chunk_scoring.PlainReader, chunk: csv_chunks.PlainChunk):  # type: ignore[no-untyped-def]
        rows = original(self, chunk)
        read.append(chunk.records)
        return rows

    monkeypatch.setattr(chunk_scoring.PlainReader, "read", counted)
    return read


def per_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's path: no text is plain, every record is read and checked on its own."""
    monkeypatch.setattr(csv_chunks, "is_plain", lambda *text_and_bounds: False)


@pytest.mark.parametrize("objective", list(LABELS))
def test_a_plain_file_is_scored_to_the_same_bytes_for_every_kind_of_model(
    objective: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plain_chunks: list[int]
) -> None:
    # Given a model of the kind, and a file of 3,000 rows with bad cells of every kind
    signature, model = _model(objective, tmp_path)
    source = tmp_path / "records.csv"
    write_batch(source, 3_000, seed=len(objective))
    # When it is scored in chunks of 700, then as today, a record at a time
    fast = score(source, signature, model, 700)
    taken = sum(plain_chunks)
    per_record(monkeypatch)
    today = score(source, signature, model, 700)
    # Then the output and the rejects are the same bytes, and Arrow read every chunk
    assert fast[0] == today[0]
    assert fast[1] == today[1]
    assert taken > 2_900 and sum(plain_chunks) == taken
    assert today[1].count(b"\n") > 300  # rejects of many kinds were compared


@pytest.mark.parametrize("chunk_rows", [1, 13, 250, 50_000])
def test_any_chunk_size_gives_the_same_bytes(
    chunk_rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signature, model = _model("multi:softprob", tmp_path)
    source = tmp_path / "records.csv"
    write_batch(source, 500, seed=chunk_rows)
    fast = score(source, signature, model, chunk_rows)
    per_record(monkeypatch)
    assert fast == score(source, signature, model, chunk_rows)


@pytest.mark.parametrize(
    "extras",
    [
        ('"r,1",red,1,true,1,,0.5', '"multi\nline",red,2,false,,,', 'x"y,red,3,1,2,,'),
        ("red,\udcff\udcfe,1,true,1,,0.5",),  # bytes that are not UTF-8, in an id
        ("red,a\0b,1,true,1,,0.5",),  # a NUL
        ("red,a\rb,1,true,1,,0.5",),  # a carriage return inside a line
        ("red," + "x" * 140_000 + ",1,true,1,,0.5",),  # a cell beyond csv's field limit
    ],
    ids=["quoted cells", "not UTF-8", "NUL", "lone CR", "huge cell"],
)
def test_text_that_is_not_plain_is_read_as_today_around_plain_stretches(
    extras: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    plain_chunks: list[int],
) -> None:
    # Given a file whose odd lines fall in one chunk of 100 among plain ones
    signature, model = _model("binary:logistic", tmp_path)
    source = tmp_path / "records.csv"
    write_batch(source, 1_000, seed=5, extras=extras)
    fast = score(source, signature, model, 100)
    taken = len(plain_chunks)
    per_record(monkeypatch)
    # Then the files are today's, and the plain chunks around the odd lines were Arrow's
    assert fast == score(source, signature, model, 100)
    assert 7 <= taken <= 10


@pytest.mark.parametrize(
    "text",
    [
        "width,member,id\n",  # no record at all
        "width,member,id\n\n\r\n\n",  # blank lines only
        "\ufeffwidth,member,id\r\n1,true,a\r\n2,maybe,b\r\n",  # a BOM, Windows line ends
        "width,member,id\n1,true,a\n\n\n2,no,b\n\n\n",  # blank lines at the end
        "width,member,id\n1,true,a",  # one record, no line break
        "width,member,id\n\n\n1,true,\xff\n\n2,x,b\n3,true\n",  # not UTF-8 after blank lines
    ],
    ids=[
        "header only",
        "blank lines",
        "BOM and CRLF",
        "blank at the end",
        "one record",
        "not UTF-8 after blank lines",
    ],
)
@pytest.mark.parametrize("chunk_rows", [1, 2, 100])
def test_the_edges_of_a_file_give_the_same_bytes(
    text: str, chunk_rows: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signature, model = _model("multi:softprob", tmp_path)
    source = tmp_path / "records.csv"
    source.write_bytes(text.encode("utf-8", errors="surrogateescape").replace(b"\xc3\xbf", b"\xff"))
    fast = _score_ids(source, signature, model, chunk_rows)
    per_record(monkeypatch)
    assert fast == _score_ids(source, signature, model, chunk_rows)


def _score_ids(
    path: Path, signature: sig.Signature, model: XGBoostModel, chunk_rows: int
) -> tuple[bytes, bytes]:
    files = BatchFiles(path, path.with_suffix(".out.csv"), path.with_suffix(".rejects.jsonl"))
    scorer = BatchScorer(signature, model)
    score_file(files, signature, scorer, CSV, ["id"], chunk_rows=chunk_rows, restart=True)
    return files.output.read_bytes(), files.rejects.read_bytes()
