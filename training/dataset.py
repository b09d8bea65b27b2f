"""A user's CSV read into arrays, split, and written as the channels the built-in XGBoost reads
(``DMatrix("<folder>?format=csv&label_column=0&delimiter=,")``, the delimiter sniffed from line 1:
data_utils.py:147-153, 294-323 at v3.0-5): label first, no header, empty cells missing. Its parser
(dmlc's ``ParseFloat<float>``) adds integer part and fraction as float32s and scales exponents by
float32 products: a float64's shortest text reads an ulp off its float32 in 1-40% of cells. So a
cell holds the value's float32 (all XGBoost keeps) as its shortest float64 text, never with an
exponent, which dmlc reads exactly for 0 and 2**-38 <= |v| < 2**63, and float() exactly."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import shutil
import tempfile
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pacsv
from sklearn.model_selection import train_test_split

from foundation.lambda_code import signature as sig

TRAIN, VALIDATION, LABEL_KINDS = "train", "validation", ("auto", "classes", "values")
Pair = tuple[np.ndarray, np.ndarray]  # (x, y)
BLOCK = 2**21  # cells formatted at a time (~40 MB of text): memory stays bounded at any width
AHEAD = min(8, 2 * (os.cpu_count() or 1))  # blocks formatted at once, by every core
# Arrow writes |v| < 1e-6 and >= 1e10 with an exponent, which dmlc scales inexactly: a large
# float32 (whole) is written as its integer (< 2**63, dmlc's uint64 holds it), a small one
# positionally (dmlc reads 19 places: exact from 2**-38, where half an ulp > 1e-19).
TINY, SMALL, BIG, HUGE = 2.0**-38, 1e-6, 1e10, 2.0**63
EXPONENT = r"^(?P<s>-?)(?P<i>\d)(?:\.(?P<f>\d+))?e-(?P<e>\d+)$"
NUMBER = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"  # what Arrow reads as a number
KINDS = {"bool": sig.BOOLEAN, "int64": sig.INTEGER, "double": sig.NUMBER}
# Blank lines stay (all-empty) rows, so row i is line i + 2; only an empty cell is missing ("NA"
# is text); only true/false, in any case, is boolean (Arrow's defaults add 1/0: integers to us).
PARSE: dict[str, Any] = {"newlines_in_values": False, "ignore_empty_lines": False}
KEYS = ("true", "false")
CASES = {w: [*map("".join, itertools.product(*zip(w, w.upper(), strict=True)))] for w in KEYS}
CONVERT = pacsv.ConvertOptions(
    null_values=[""], true_values=CASES["true"], false_values=CASES["false"],
    strings_can_be_null=True, quoted_strings_can_be_null=True,
)  # fmt: skip


class DataRefused(ValueError):
    """One line a user can act on, naming the file, and the column and line where it applies."""


@dataclass(frozen=True, eq=False)  # arrays inside: no field-wise == or hash
class Dataset:
    source: str  # what the user named (for messages)
    features: tuple[str, ...]  # header order, label left out
    kinds: tuple[str, ...]  # per feature: sig.BOOLEAN | sig.INTEGER | sig.NUMBER
    optional: tuple[bool, ...]  # the column has at least one empty cell
    x: np.ndarray  # float64, rows x features, NaN for an empty cell, booleans 1.0/0.0
    label: str
    y: np.ndarray  # float64: class codes 0..k-1, or the label's values
    classes: tuple[str, ...]  # class names in code order; () when the label is values


@dataclass(frozen=True)
class Channels:
    train: Path  # the train channel's folder (holds one file, train.csv)
    validation: Path | None  # the validation channel's folder (validation.csv), if any
    digest: str  # sha256 of "<channel> <sha256 of its file>\n" lines: names the upload prefix
    rows: dict[str, int]  # rows per channel


def _table(path: Path, where: str) -> tuple[pa.Table, list[str]]:
    if not path.is_file():
        raise DataRefused(f"{where}: {'a folder, not a file' if path.is_dir() else 'no such file'}")
    bad: list[Any] = []

    def counted(row: Any) -> str:  # threaded reads count no lines; the serial read names it
        bad.append(row)
        return "error"

    try:
        if path.stat().st_size == 0:
            raise DataRefused(f"{where} is empty: it needs a header line, then rows")
        try:
            table = pacsv.read_csv(path, None, pacsv.ParseOptions(**PARSE), CONVERT)
            return table, table.column_names  # names decoded here: UnicodeDecodeError
        except pa.ArrowInvalid as error:
            if "columns, got" not in str(error):
                raise DataRefused(f"{where}: not CSV that can be read ({error})") from None
        with contextlib.suppress(pa.ArrowInvalid):
            serial = pacsv.ParseOptions(**PARSE, invalid_row_handler=counted)
            pacsv.read_csv(path, pacsv.ReadOptions(use_threads=False), serial, CONVERT)
    except UnicodeDecodeError:
        raise DataRefused(f"{where}: the header is not UTF-8 text (save it as UTF-8)") from None
    except OSError as error:
        raise DataRefused(f"{where}: {error.strerror or error}") from None
    cells = f"{bad[0].actual_columns} cells; the header has {bad[0].expected_columns}"
    raise DataRefused(f"{where}: line {bad[0].number} has {cells}")


def _refuse(where: str, name: str, at: int, what: str) -> DataRefused:
    return DataRefused(f'{where}: column "{name}", line {at + 2}: {what}')


def _numbers(column: pa.ChunkedArray, name: str, where: str) -> np.ndarray:
    """Float64s, NaN where empty; refuses text, nan/inf written out, numbers beyond float32."""
    if pa.types.is_binary(column.type):  # Arrow's type for a column that is not UTF-8
        raise DataRefused(f'{where}: column "{name}" is not UTF-8 text (save it as UTF-8)')
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)):
        numbers = pc.match_substring_regex(pc.cast(column, pa.string()), NUMBER)  # null if empty
        # The first cell that is no number; if none (Arrow refused a number), the first value.
        at = max(pc.index(numbers, False).as_py(), pc.index(pc.is_valid(column), True).as_py())
        value = str(column[at])
        if value.strip().lstrip("+-").lower() not in ("nan", "inf", "infinity"):
            what = f"{value[:40]!r} is not a number; a missing value is an empty cell"
            raise _refuse(where, name, at, what)
    elif (at := pc.index(pc.is_finite(column), False).as_py()) >= 0:
        value = str(column[at])
    elif (at := pc.index(pc.greater(pc.abs(column), sig.FLOAT32_MAX), True).as_py()) >= 0:
        raise _refuse(where, name, at, f"{column[at]} is beyond XGBoost's 32-bit floats")
    else:  # integers past 2**53 round here; XGBoost's float32 rounds them past 2**24 anyway
        return pc.cast(column, pa.float64(), safe=False).to_numpy()
    raise _refuse(where, name, at, f"{value} is not a number; leave a missing value empty")


def _class_name(value: Any) -> str:  # 1.0 and 1 are one class (a training, a validation file)
    whole = isinstance(value, float) and value.is_integer() and abs(value) < 2**53
    return str(value).lower() if isinstance(value, bool) else str(int(value) if whole else value)


def _label(
    table: pa.Table, label: str, kind: str, classes: tuple[str, ...] | None, where: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    column = table.column(label)
    if (at := pc.index(column.is_null(), True).as_py()) >= 0:
        blank = all(c[at].as_py() is None for c in table.columns)
        raise _refuse(where, label, at, "the line is blank" if blank else "the label is empty")
    if kind == "values" or str(column.type) in ("int64", "double", "binary"):
        values = _numbers(column, label, where)
        distinct = np.unique(values) if kind == "auto" else values[:0]
        whole = len(distinct) == 2 and bool(np.all(distinct == np.round(distinct)))
        if kind == "values" or (kind == "auto" and not whole):
            return values, ()
    unique = pc.unique(column)
    names = [_class_name(v) for v in unique.to_pylist()]
    if classes is None:  # numbers in numeric order, false before true, text sorted
        classes = tuple(names[i] for i in pc.array_sort_indices(unique).to_pylist())
        if len(classes) < 2:
            one = f"one class, {classes[0]!r}; a classifier needs at least two"
            raise DataRefused(f'{where}: the label "{label}" has {one}')
    code = {name: i for i, name in enumerate(classes)}
    for i, name in enumerate(names):
        if name not in code:
            known = ", ".join(classes[:10]) + (", ..." if len(classes) > 10 else "")
            what = f"class {name!r} is not in the training data ({known})"
            raise _refuse(where, label, pc.index(column, unique[i]).as_py(), what)
    codes = np.array([code[name] for name in names], dtype=np.float64)
    return codes[pc.index_in(column, value_set=unique).to_numpy()], classes


def read_dataset(
    path: Path, label: str, label_kind: str = "auto", classes: tuple[str, ...] | None = None
) -> Dataset:
    """``path`` read and checked. ``label_kind``: 'classes', 'values', or 'auto' (text, true/false
    or two whole numbers are classes); ``classes`` given: encode by them (a validation file)."""
    if label_kind not in LABEL_KINDS or (classes is not None and label_kind == "values"):
        raise ValueError(f"label_kind {label_kind!r} with classes {classes!r}")
    table, names = _table(path, where := str(path))
    for i, name in enumerate(names):
        if not name.strip():
            raise DataRefused(f"{where}: header cell {i + 1} is empty; every column needs a name")
        if name in names[:i]:
            raise DataRefused(f'{where}: the header names "{name}" twice')
    if table.num_rows == 0:
        raise DataRefused(f"{where} has a header but no rows")
    if label not in names or len(names) < 2:
        shown = ", ".join(f'"{n}"' for n in names[:8]) + (", ..." if len(names) > 8 else "")
        raise DataRefused(f'{where}: needs a label "{label}" and features; its columns: {shown}')
    y, found = _label(table, label, "classes" if classes else label_kind, classes, where)
    features = tuple(n for n in names if n != label)
    x = np.empty((table.num_rows, len(features)), order="F")  # filled a column at a time
    for j, name in enumerate(features):
        column = table.column(name)
        if pa.types.is_null(column.type):
            raise DataRefused(f'{where}: column "{name}" has no values (every cell is empty)')
        boolean = pa.types.is_boolean(column.type)
        x[:, j] = pc.cast(column, pa.float64()) if boolean else _numbers(column, name, where)
    kinds = tuple(KINDS[str(table.column(n).type)] for n in features)
    optional = tuple(table.column(n).null_count > 0 for n in features)
    return Dataset(where, features, kinds, optional, x, label, y, found)


def matching(train: Dataset, validation: Dataset) -> None:
    """Refuses a validation file whose features are not the training file's, in its order."""
    missing = ", ".join(f for f in train.features if f not in validation.features) or "none"
    extra = ", ".join(f for f in validation.features if f not in train.features) or "none"
    if validation.features != train.features:
        differ = f"missing {missing}; extra {extra}" if missing != extra else "another order"
        raise DataRefused(f"{validation.source}: columns differ from {train.source}'s ({differ})")


def split(dataset: Dataset, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, validation), each sorted: stratified by class, else shuffled; seeded."""
    where, classes = dataset.source, dataset.classes
    if not 0 < fraction < 1:
        raise DataRefused(f"{where}: the validation fraction {fraction} is not between 0 and 1")
    codes = dataset.y.astype(np.int64) if classes else np.zeros(0, np.int64)
    counts = np.bincount(codes, minlength=len(classes))
    if (few := np.flatnonzero(counts < 2)).size:
        count = int(counts[few[0]])
        has = f'class "{classes[few[0]]}" has {count} row{"s" * (count != 1)}'
        raise DataRefused(f"{where}: {has}: a stratified split needs at least 2 per class")
    rows, stratify = np.arange(len(dataset.y)), codes if classes else None
    try:
        sides = train_test_split(rows, test_size=fraction, random_state=seed, stratify=stratify)
    except ValueError as error:  # a side left empty, or with fewer rows than classes
        raise DataRefused(f"{where}: a validation fraction of {fraction}: {error}") from None
    for side, chosen in zip((TRAIN, VALIDATION), sides, strict=True):
        present = np.bincount(codes[chosen], minlength=len(classes)) if classes else counts
        if (absent := np.flatnonzero(present == 0)).size:
            left = f'class "{classes[absent[0]]}" ({counts[absent[0]]} rows) out of the {side} rows'
            raise DataRefused(f"{where}: a validation fraction of {fraction} leaves {left}")
    return np.sort(sides[0]), np.sort(sides[1])


def _cells(values: np.ndarray) -> pa.Array:
    """A column of float32s as text the container reads back exactly (see the module's doc)."""
    wide = values.astype(np.float64)  # finite: read_dataset refuses what float32 cannot hold
    text = pc.cast(pa.array(wide, from_pandas=True), pa.string())  # NaN: null, an empty cell
    size = np.abs(wide)
    if (whole := (size >= BIG) & (size < HUGE)).any():
        ints = pc.cast(pa.array(wide[whole].astype(np.int64)), pa.string())
        text = pc.replace_with_mask(text, pa.array(whole), ints)
    if (small := (size >= TINY) & (size < SMALL)).any():  # "-1.5e-7" -> "-0.00000015"
        part = pc.extract_regex(pc.cast(pa.array(wide[small]), pa.string()), EXPONENT).field
        zeros = pc.binary_repeat("0", pc.subtract(pc.cast(part("e"), pa.int64()), 1))
        digits = [part("s"), "0.", zeros, part("i"), part("f"), ""]
        shifted = pc.binary_join_element_wise(*digits, null_handling="replace")
        text = pc.replace_with_mask(text, pa.array(small), shifted)
    return text


def _write(path: Path, x: np.ndarray, y: np.ndarray) -> str:  # streams the file, and its sha256
    def block(start: int) -> pa.Buffer:
        rows = slice(start, start + step)
        columns = [y[rows].astype(np.float32), *np.ascontiguousarray(x[rows].T, dtype=np.float32)]
        out = pa.BufferOutputStream()
        table = pa.table({str(i): _cells(column) for i, column in enumerate(columns)})
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))
        return out.getvalue()

    digest, step = hashlib.sha256(), max(1, BLOCK // (x.shape[1] + 1))
    path.parent.mkdir()
    with path.open("wb") as file, ThreadPoolExecutor() as pool:
        futures = (pool.submit(block, start) for start in range(0, len(y), step))
        window = deque(itertools.islice(futures, AHEAD))
        while window:
            data = window.popleft().result()
            window.extend(itertools.islice(futures, 1))
            digest.update(data)
            file.write(data)
        file.flush()
        os.fsync(file.fileno())
    return digest.hexdigest()


def write_channels(folder: Path, train: Pair, validation: Pair | None) -> Channels:
    """folder/<digest[:16]>/{train,validation}/*.csv, made in a scratch folder and renamed once
    whole. Equal data: equal bytes and folder, left as it is when it exists."""
    parts = {TRAIN: train, **({VALIDATION: validation} if validation is not None else {})}
    for channel, (x, y) in parts.items():
        if x.ndim != 2 or x.shape[0] != len(y) or x.shape[1] != train[0].shape[1] or not x.size:
            raise ValueError(f"{channel}: x {x.shape} and y {y.shape} do not make a channel")
        if np.isnan(x[:, -1]).all():  # dmlc counts the columns up to the last value it sees
            fewer = "the container would read one column fewer (fill it, or drop it)"
            raise DataRefused(f"the {channel} rows leave the last feature empty: {fewer}")
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".channels-", dir=folder))
    try:
        lines = [f"{c} {_write(scratch / c / f'{c}.csv', *xy)}\n" for c, xy in parts.items()]
        digest = hashlib.sha256("".join(lines).encode()).hexdigest()
        final = folder / digest[:16]
        if not final.exists():
            scratch.chmod(0o755)
            try:
                scratch.rename(final)
            except OSError:
                if not final.exists():  # unless another writer just put the same channels there
                    raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rows = {c: len(y) for c, (_, y) in parts.items()}
    return Channels(final / TRAIN, final / VALIDATION if validation else None, digest, rows)
