"""Training data: a user's CSV read and checked (each refusal one line naming the file, column and
line), the label encoded, the split seeded and stratified, and the channels written so that the
built-in container's CSV reader gets exactly the float32s XGBoost would get from our arrays."""

from __future__ import annotations

import csv
import hashlib
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from foundation.lambda_code import signature as sig
from training import dataset as ds
from training.dataset import DataRefused, matching, read_dataset, split, write_channels


def csv_file(folder: Path, text: str | bytes, name: str = "data.csv") -> Path:
    path = folder / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def container_matrix(channel: Path) -> xgb.DMatrix:
    """A channel as the container reads it in File mode: the delimiter sniffed from the first
    line of the folder's first file, then the DMatrix URI (data_utils.py:147-153, 294-323)."""
    first = next(p for p in sorted(channel.iterdir()) if p.is_file())
    with first.open() as file:
        delimiter = csv.Sniffer().sniff(file.readline()).delimiter
    assert delimiter == ","
    return xgb.DMatrix(f"{channel}?format=csv&label_column=0&delimiter={delimiter}")


def dense(matrix: xgb.DMatrix, features: int) -> np.ndarray:
    """The matrix's float32s, NaN where it holds no entry (an empty cell)."""
    assert matrix.num_col() == features
    coo = matrix.get_data().tocoo()
    out = np.full((matrix.num_row(), features), np.nan, dtype=np.float32)
    out[coo.row, coo.col] = coo.data
    return out


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal bit for bit, NaNs included (no -0.0 == 0.0, no NaN != NaN)."""
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def refusal(path: Path, **kwargs: Any) -> str:
    with pytest.raises(DataRefused) as caught:
        read_dataset(path, "y", **kwargs)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


BAD_FILES = [
    ("empty file", b"", {}, ["is empty", "header"]),
    ("header only", b"a,y\n", {}, ["header but no rows"]),
    ("header cell empty", b"a,,y\n1,2,3\n", {}, ["header cell 2 is empty"]),
    ("header cell twice", b"a,a,y\n1,2,3\n", {}, ['names "a" twice']),
    ("no label column", b"a,b,c\n1,2,3\n", {}, ['label "y"', '"a", "b", "c"']),
    (
        "many columns",
        b",".join(b"c%d" % i for i in range(12)) + b"\n" + b"1," * 11 + b"1\n",
        {},
        ['"c0"', '"c7"', "..."],
    ),
    ("label alone", b"y\n1\n", {}, ['label "y" and features', '"y"']),
    ("short row", b"a,b,y\n1,2,3\n4,5\n", {}, ["line 3 has 2 cells", "header has 3"]),
    ("long row", b"a,y\n1,2\n3,4\n5,6,7\n", {}, ["line 4 has 3 cells", "header has 2"]),
    ("blank line", b"a,y\n1,2\n\n3,4\n", {}, ["line 3: the line is blank"]),
    ("header not UTF-8", b"a\xff,y\n1,2\n", {}, ["not UTF-8"]),
    ("cell not UTF-8", b"a,y\n1,2\n\xff\xfe,3\n", {}, ['column "a"', "not UTF-8"]),
    (
        "text in a feature",
        b"a,b,y\n1,2,0\n3,abc,1\n",
        {},
        ['column "b"', "line 3", "'abc'", "not a number"],
    ),
    ("NA is text", b"a,y\n1,0\nNA,1\n", {}, ['column "a"', "line 3", "'NA'", "empty cell"]),
    ("true among numbers", b"a,y\n1,0\ntrue,1\n", {}, ['column "a"', "line 3", "'true'"]),
    (
        "date in a feature",
        b"a,y\n2024-01-01,0\n2024-01-02,1\n",
        {},
        ["line 2", "2024-01-01", "not a number"],
    ),
    ("time in a feature", b"a,y\n1,0\n12:30:00,1\n", {}, ["line 3", "12:30:00"]),
    (
        "inf in a feature",
        b"a,y\n1,0\ninf,1\n",
        {},
        ['column "a"', "line 3", "inf is not a number", "empty"],
    ),
    ("-inf in a feature", b"a,y\n-inf,0\n1,1\n", {}, ["line 2", "-inf"]),
    ("nan in a feature", b"a,y\n1,0\n2,1\nNaN,0\n", {}, ["line 4", "nan is not a number"]),
    ("Infinity in a feature", b"a,y\n1,0\nInfinity,1\n", {}, ["line 3", "inf is not"]),
    ("text before Infinity", b"a,y\nx,0\nInfinity,1\n", {}, ["line 2", "'x'"]),
    ("label not UTF-8", b"a,y\n1,b\n2,\xff\n", {}, ['column "y"', "not UTF-8"]),
    ("beyond float32", b"a,y\n1,0\n1e39,1\n", {}, ["line 3", "1e+39", "32-bit"]),
    ("feature without values", b"a,b,y\n1,,0\n2,,1\n", {}, ['column "b"', "no values"]),
    ("empty label", b"a,y\n1,0\n2,\n3,1\n", {}, ['column "y"', "line 3", "label is empty"]),
    ("one class", b"a,y\n1,cat\n2,cat\n", {}, ["one class", "'cat'", "at least two"]),
    ("one numeric class", b"a,y\n1,1\n2,1\n", {"label_kind": "classes"}, ["one class", "'1'"]),
    (
        "text labels as values",
        b"a,y\n1,1.5\n2,cat\n",
        {"label_kind": "values"},
        ['column "y"', "line 3", "'cat'"],
    ),
    (
        "booleans as values",
        b"a,y\n1,true\n2,false\n",
        {"label_kind": "values"},
        ["'True'", "not a number"],
    ),
    ("nan label as values", b"a,y\n1,1.5\n2,nan\n", {"label_kind": "values"}, ["line 3", "nan"]),
]


@pytest.mark.parametrize(
    ("content", "kwargs", "words"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_files_are_refused_in_one_line(
    tmp_path: Path, content: bytes, kwargs: dict[str, Any], words: list[str]
) -> None:
    message = refusal(csv_file(tmp_path, content), **kwargs)
    for word in words:
        assert word in message


def test_a_long_cell_is_quoted_to_its_first_40_characters(tmp_path: Path) -> None:
    long = "x" * 39 + "yz"
    message = refusal(csv_file(tmp_path, f"a,y\n{long},0\n"))
    assert repr(long[:40]) in message and "z" not in message.split("'")[1]


def test_a_missing_file_and_a_folder_are_refused(tmp_path: Path) -> None:
    assert "no such file" in refusal(tmp_path / "absent.csv")
    assert "folder" in refusal(tmp_path)


def test_features_keep_header_order_and_take_their_kind_from_their_values(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "whole,y,flag,ratio,written_as_float,zero_one\n"
        "1,a,true,0.5,1.0,0\n"
        ",b,FALSE,,2.0,1\n"
        "-3,a,True,1e-3,3.0,1\n"
        "4,b,,7,4.0,0\n",
    )
    data = read_dataset(path, "y")
    assert data.features == ("whole", "flag", "ratio", "written_as_float", "zero_one")
    assert data.kinds == (sig.INTEGER, sig.BOOLEAN, sig.NUMBER, sig.NUMBER, sig.INTEGER)
    assert data.optional == (True, True, True, False, False)
    assert data.x.dtype == np.float64 and data.x.shape == (4, 5)
    nan = math.nan
    expected = [[1, 1, 0.5, 1, 0], [nan, 0, nan, 2, 1], [-3, 1, 1e-3, 3, 1], [4, nan, 7, 4, 0]]
    np.testing.assert_array_equal(data.x, np.array(expected))
    assert data.source == str(path) and data.label == "y"


def test_a_bom_crlf_and_quotes_are_read(tmp_path: Path) -> None:
    path = csv_file(tmp_path, b'\xef\xbb\xbf"a","b c",y\r\n"1","2.5","x"\r\n3,,"z"\r\n')
    data = read_dataset(path, "y")
    assert data.features == ("a", "b c") and data.kinds == (sig.INTEGER, sig.NUMBER)
    np.testing.assert_array_equal(data.x, [[1, 2.5], [3, math.nan]])
    assert data.classes == ("x", "z")


CLASS_ENCODINGS = [
    ("text sorted", "b\na\nc\na", "auto", ("a", "b", "c"), [1, 0, 2, 0]),
    ("true/false any case", "True\nfalse\nTRUE\nFALSE", "auto", ("false", "true"), [1, 0, 1, 0]),
    ("0/1 keeps its codes", "1\n0\n0\n1", "auto", ("0", "1"), [1, 0, 0, 1]),
    ("two whole numbers", "7\n3\n7\n3", "auto", ("3", "7"), [1, 0, 1, 0]),
    ("two whole floats", "1.0\n0.0\n1.0\n0.0", "auto", ("0", "1"), [1, 0, 1, 0]),
    ("numbers in numeric order", "10\n9\n-1\n10", "classes", ("-1", "9", "10"), [2, 1, 0, 2]),
    ("numbers as values", "0.5\n1.5\n2.5\n0.5", "auto", (), [0.5, 1.5, 2.5, 0.5]),
    ("three whole numbers: values", "1\n2\n3\n1", "auto", (), [1, 2, 3, 1]),
    ("0/1 as values", "1\n0\n0\n1", "values", (), [1, 0, 0, 1]),
]


@pytest.mark.parametrize(
    ("labels", "kind", "classes", "codes"),
    [case[1:] for case in CLASS_ENCODINGS],
    ids=[case[0] for case in CLASS_ENCODINGS],
)
def test_labels_are_encoded(
    tmp_path: Path, labels: str, kind: str, classes: tuple[str, ...], codes: list[float]
) -> None:
    rows = "".join(f"{i},{label}\n" for i, label in enumerate(labels.split("\n")))
    data = read_dataset(csv_file(tmp_path, "a,y\n" + rows), "y", kind)
    assert data.classes == classes
    np.testing.assert_array_equal(data.y, np.array(codes, dtype=np.float64))
    assert data.y.dtype == np.float64


def test_a_validation_file_is_encoded_with_the_training_classes(tmp_path: Path) -> None:
    train = read_dataset(csv_file(tmp_path, "a,y\n1,b\n2,c\n3,a\n", "train.csv"), "y")
    held_out = csv_file(tmp_path, "a,y\n1,c\n2,c\n3,b\n", "validation.csv")
    validation = read_dataset(held_out, "y", "classes", train.classes)
    assert validation.classes == train.classes == ("a", "b", "c")
    np.testing.assert_array_equal(validation.y, [2, 2, 1])
    matching(train, validation)
    unseen = csv_file(tmp_path, "a,y\n1,a\n2,d\n", "unseen.csv")
    message = refusal(unseen, label_kind="classes", classes=train.classes)
    assert all(word in message for word in ('column "y"', "line 3", "'d'", "a, b, c"))


def test_numeric_classes_match_across_files_by_value(tmp_path: Path) -> None:
    train = read_dataset(csv_file(tmp_path, "a,y\n1,0\n2,1\n", "train.csv"), "y")
    validation = read_dataset(
        csv_file(tmp_path, "a,y\n1,1.0\n2,0.0\n3,1.0\n", "v.csv"), "y", "auto", train.classes
    )
    np.testing.assert_array_equal(validation.y, [1, 0, 1])


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("a,y", ["missing b", "extra none"]),
        ("a,b,c,y", ["missing none", "extra c"]),
        ("b,a,y", ["another order"]),
    ],
)
def test_a_validation_file_with_other_columns_is_refused(
    tmp_path: Path, header: str, words: list[str]
) -> None:
    train = read_dataset(csv_file(tmp_path, "a,b,y\n1,2,0\n3,4,1\n", "t.csv"), "y")
    cells = ",".join(["1"] * header.count(","))
    held_out = csv_file(tmp_path, f"{header}\n{cells},0\n{cells},1\n", "v.csv")
    with pytest.raises(DataRefused) as caught:
        matching(train, read_dataset(held_out, "y", "classes", train.classes))
    assert all(word in str(caught.value) for word in [str(held_out), *words])


def labelled(tmp_path: Path, counts: dict[str, int]) -> ds.Dataset:
    labels = [name for name, count in counts.items() for _ in range(count)]
    rows = "".join(f"{i},{label}\n" for i, label in enumerate(labels))
    return read_dataset(csv_file(tmp_path, "a,y\n" + rows), "y", "classes")


@pytest.mark.parametrize("seed", [0, 1, 42, 2026])
def test_the_split_is_stratified_seeded_and_keeps_every_class_on_both_sides(
    tmp_path: Path, seed: int
) -> None:
    data = labelled(tmp_path, {"rare": 3, "few": 6, "many": 91})
    train, validation = split(data, 0.2, seed)
    assert (len(train), len(validation)) == (80, 20)
    assert np.array_equal(np.sort(np.concatenate([train, validation])), np.arange(100))
    for side in (train, validation):
        assert np.all(np.diff(side) > 0)
        assert set(data.y[side]) == {0.0, 1.0, 2.0}
    again = split(data, 0.2, seed)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], validation)
    other = split(data, 0.2, seed + 1)
    assert not np.array_equal(other[1], validation)


def test_values_are_split_by_a_seeded_shuffle(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i / 7}\n" for i in range(50))
    data = read_dataset(csv_file(tmp_path, "a,y\n" + rows), "y")
    assert data.classes == ()
    train, validation = split(data, 0.3, 7)
    assert (len(train), len(validation)) == (35, 15)
    assert np.array_equal(split(data, 0.3, 7)[1], validation)
    assert not np.array_equal(validation, np.arange(35, 50))


@pytest.mark.parametrize(
    ("counts", "fraction", "words"),
    [
        (
            {"x": 1, "y": 9},
            0.2,
            ['class "x" has 1 row: a stratified split needs at least 2 per class'],
        ),
        ({"a": 5, "b": 5}, 0.0, ["fraction 0.0", "between 0 and 1"]),
        ({"a": 5, "b": 5}, 1.0, ["between 0 and 1"]),
        ({"a": 4, "b": 4, "c": 4}, 0.1, ["fraction of 0.1", "number of classes"]),
        (
            {"a": 2, "b": 2, "c": 2, "d": 96},
            0.05,
            ["fraction of 0.05 leaves class", "out of the validation rows"],
        ),
    ],
)
def test_a_split_that_cannot_keep_every_class_is_refused(
    tmp_path: Path, counts: dict[str, int], fraction: float, words: list[str]
) -> None:
    data = labelled(tmp_path, counts)
    with pytest.raises(DataRefused) as caught:
        split(data, fraction, 42)
    assert all(word in str(caught.value) for word in [str(data.source), *words])


def test_a_split_that_leaves_a_side_empty_is_refused(tmp_path: Path) -> None:
    data = read_dataset(csv_file(tmp_path, "a,y\n1,0.5\n2,1.5\n"), "y")
    with pytest.raises(DataRefused, match="train set will be empty"):
        split(data, 0.9, 0)


def values_that_round_trip() -> np.ndarray:
    """Every magnitude dmlc reads exactly, both signs, plus the cases each rule is for."""
    rng = np.random.default_rng(20261205)
    logs = rng.uniform(math.log10(ds.TINY), math.log10(ds.HUGE) - 0.01, 6000)
    spread = 10**logs * rng.choice([-1.0, 1.0], logs.size)
    special = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.1,
        1 / 3,
        2.0**24 + 1,
        1e10,
        123456789012.0,
        2.0**62,
        -(2.0**62),
        1e-6,
        9.99e-7,
        1.5e-7,
        ds.TINY,
        1.2459109472530652,
        5.1,
        1e15,
        2**53 + 1,
    ]
    return np.concatenate(
        [spread, rng.normal(size=2000), rng.uniform(0, 100, 2000).round(3), special]
    )


def test_channels_read_back_exactly_in_the_container_and_in_float(tmp_path: Path) -> None:
    values = values_that_round_trip()
    x = values[: values.size // 4 * 4].reshape(-1, 4).copy()
    x[::7, 1] = np.nan  # empty cells
    # Class codes in the train channel, values (a regression's) in the validation channel.
    y = np.concatenate([np.arange(1000) % 3, values[::-1][: len(x) - 1000]])
    channels = write_channels(tmp_path, (x[:1000], y[:1000]), (x[1000:], y[1000:]))
    for folder, (xs, ys) in (
        (channels.train, (x[:1000], y[:1000])),
        (channels.validation, (x[1000:], y[1000:])),
    ):
        assert folder is not None
        matrix = container_matrix(folder)
        assert same_bits(dense(matrix, 4), xs.astype(np.float32))
        assert same_bits(matrix.get_label(), ys.astype(np.float32))
        with next(folder.iterdir()).open() as file:
            cells = [row for row in csv.reader(file)]
        text = np.array([[math.nan if c == "" else float(c) for c in row] for row in cells])
        assert same_bits(text, np.column_stack([ys, xs]).astype(np.float32).astype(np.float64))
        assert not any("e" in c or c.startswith('"') for row in cells for c in row)


def test_values_outside_the_exact_range_read_within_a_few_ulps(tmp_path: Path) -> None:
    """dmlc scales an exponent by float32 products: below 2**-38 and from 2**63 on it is a few
    float32 ulps off (and reads float32's subnormals as its smallest normal)."""
    values = np.array([[3e-12], [-1e-20], [1e-30], [2.0**63], [-1e20], [3e38]])
    folder = write_channels(tmp_path, (values, np.zeros(6)), None).train
    got = dense(container_matrix(folder), 1).view(np.int32).astype(np.int64)
    wanted = values.astype(np.float32).view(np.int32).astype(np.int64)
    assert np.all(np.abs(got - wanted) <= 4)


def test_the_shortest_float64_text_would_not_read_back_exactly(tmp_path: Path) -> None:
    """Why a cell holds its float32: dmlc adds the integer part and the fraction as float32s."""
    (tmp_path / "c").mkdir()
    value = 1.2459109472530652
    (tmp_path / "c" / "c.csv").write_text(f"0,{value!r}\n")
    got = dense(container_matrix(tmp_path / "c"), 1)[0, 0]
    assert got != np.float32(value)


def test_a_users_shortest_text_reads_to_the_same_float64(tmp_path: Path) -> None:
    values = values_that_round_trip()
    rows = "".join(f"{v!r},{i % 2}\n" for i, v in enumerate(values.tolist()))
    data = read_dataset(csv_file(tmp_path, "v,y\n" + rows), "y")
    assert same_bits(data.x[:, 0], values)


def test_equal_data_gives_equal_bytes_digest_and_folder(tmp_path: Path) -> None:
    lines = "".join(f"{i / 3},{i % 5},{'ab'[i % 2]}\n" for i in range(300))
    path = csv_file(tmp_path, "a,b,y\n" + lines)
    made = []
    for _ in range(2):
        data = read_dataset(path, "y")
        train, validation = split(data, 0.25, 3)
        made.append(
            write_channels(
                tmp_path / "out",
                (data.x[train], data.y[train]),
                (data.x[validation], data.y[validation]),
            )
        )
    first, second = made
    assert first.validation is not None
    for folder, rows in ((first.train, train), (first.validation, validation)):
        matrix = container_matrix(folder)
        assert same_bits(dense(matrix, 2), data.x[rows].astype(np.float32))
        assert same_bits(matrix.get_label(), data.y[rows].astype(np.float32))
    assert first == second and first.rows == {"train": 225, "validation": 75}
    assert first.train == tmp_path / "out" / first.digest[:16] / "train"
    assert [p.name for p in (tmp_path / "out").iterdir()] == [first.digest[:16]]
    files = {
        c: (f / f"{c}.csv").read_bytes()
        for c, f in (("train", first.train), ("validation", first.validation))
    }
    summary = "".join(f"{c} {hashlib.sha256(b).hexdigest()}\n" for c, b in files.items())
    assert first.digest == hashlib.sha256(summary.encode()).hexdigest()
    other = write_channels(tmp_path / "out", (data.x[:10], data.y[:10]), None)
    assert other.digest != first.digest and other.validation is None
    assert other.rows == {"train": 10}


def test_a_second_write_leaves_the_existing_channels_alone(tmp_path: Path) -> None:
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10.0) % 2
    first = write_channels(tmp_path, (x, y), None)
    inode = (first.train / "train.csv").stat().st_ino
    assert write_channels(tmp_path, (x, y), None) == first
    assert (first.train / "train.csv").stat().st_ino == inode


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(values: np.ndarray) -> object:
        raise OSError("disk full")

    monkeypatch.setattr(ds, "_cells", broken)
    with pytest.raises(OSError, match="disk full"):
        write_channels(tmp_path, (np.ones((3, 2)), np.zeros(3)), None)
    assert list(tmp_path.iterdir()) == []


def test_a_last_feature_the_rows_leave_empty_is_refused(tmp_path: Path) -> None:
    x = np.array([[1.0, math.nan], [2.0, math.nan]])
    with pytest.raises(DataRefused, match="validation rows leave the last feature empty"):
        write_channels(tmp_path, (np.ones((2, 2)), np.zeros(2)), (x, np.zeros(2)))


def test_a_file_written_in_many_blocks_is_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = np.random.default_rng(5).normal(size=(1000, 3))
    x[::3, 0] = np.nan
    y = np.arange(1000.0) % 2
    whole = write_channels(tmp_path / "whole", (x, y), None)
    monkeypatch.setattr(ds, "BLOCK", 64)  # 16 rows a block: many blocks, many groups of them
    blocks = write_channels(tmp_path / "blocks", (x, y), None)
    assert blocks.digest == whole.digest
    assert (blocks.train / "train.csv").read_bytes() == (whole.train / "train.csv").read_bytes()
    assert same_bits(dense(container_matrix(blocks.train), 3), x.astype(np.float32))
