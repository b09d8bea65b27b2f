"""scripts.import_model, second round (#33): categorical features named by the user, types from
the booster first, another model's files never replaced without --force, labels from a file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from bench.own_models import (
    COLORS,
    SIZES,
    CategoricalModel,
    categories_flags,
    train_categorical_model,
    train_own_model,
)
from chalicelib import validation
from chalicelib.signature import CATEGORICAL, NUMBER, read_signature
from scripts import import_model


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> CategoricalModel:
    return train_categorical_model(tmp_path_factory.mktemp("shop"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = import_model.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def base(own: CategoricalModel, output: Path) -> list[str]:
    return ["--model", str(own.model), "--example", str(own.example), "--output", str(output)]


def test_a_categorical_model_keeps_its_categories_and_answers_as_xgboost_on_pandas(
    shop: CategoricalModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a booster trained on pandas category columns, and their categories in pandas' order
    output = tmp_path / "model.tar.gz"
    # When it is imported with them
    code, out, err = run(capsys, *base(shop, output), *categories_flags(shop))
    # Then the signature types both as categorical with the names in code order, and the
    # whole-number temperatures of the example as a number (the booster says float)
    assert code == 0, err
    signature = read_signature(tmp_path / "model.signature.json")
    by_name = {feature.name: feature for feature in signature.features}
    assert by_name["temperature"].type == NUMBER
    assert (by_name["color"].type, by_name["color"].categories) == (CATEGORICAL, COLORS)
    assert (by_name["size"].categories, by_name["size"].optional) == (SIZES, True)
    # and the table printed before writing shows them
    assert any(
        "color" in line and "categorical" in line and "red,green" in line
        for line in out.splitlines()
    )
    # and each example's score is XGBoost's own on the pandas DataFrame of that record
    records = [example["record"] for example in signature.examples]
    assert records[0]["color"] in COLORS
    assert [example["score"] for example in signature.examples] == shop.predict(records)


def test_names_become_codes_and_the_model_reads_them_as_pandas_categories(
    shop: CategoricalModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the built-in container does with the proxy's CSV: a DMatrix of the codes as plain
    floats, no feature types (encoder.py csv_to_dmatrix at v3.0-5). The booster keeps its split
    types, so the codes go down the categorical splits as pandas' categories do."""
    assert run(capsys, *base(shop, tmp_path / "model.tar.gz"), *categories_flags(shop))[0] == 0
    signature = read_signature(tmp_path / "model.signature.json")
    # Given held-out records by name, validated as the proxy validates them
    body = json.dumps({"instances": shop.records})
    rows = validation.BodyReader(signature, 100).rows(body)
    matrix = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    booster = xgb.Booster()
    booster.load_model(shop.model)
    # When the codes are predicted without any feature type, as the container's DMatrix is
    plain = booster.predict(xgb.DMatrix(matrix), validate_features=False).tolist()
    # Then the answers are XGBoost's on the DataFrame, and so with the types spelt out
    assert plain == shop.predict(shop.records)
    typed = xgb.DMatrix(matrix, feature_types=["q", "c", "c"], enable_categorical=True)
    assert booster.predict(typed, validate_features=False).tolist() == plain


def test_categories_from_a_file_may_hold_commas(
    tmp_path: Path, shop: CategoricalModel, capsys: pytest.CaptureFixture[str]
) -> None:
    names = {"color": [f"{c}, matt" for c in COLORS], "size": list(SIZES)}
    (tmp_path / "cats.json").write_text(json.dumps(names))
    example = tmp_path / "example.csv"
    example.write_text('size,color,temperature\nM,"red, matt",20\n,"blue, matt",21\n')
    argv = ["--model", str(shop.model), "--example", str(example)]
    code, _, err = run(
        capsys,
        *argv,
        "--output",
        str(tmp_path / "m.tar.gz"),
        "--categories-file",
        str(tmp_path / "cats.json"),
    )
    assert code == 0, err
    features = read_signature(tmp_path / "m.signature.json").features
    assert features[1].categories == tuple(names["color"])


REFUSALS = [
    ("no categories", [], "'color', 'size' are categorical: name their categories"),
    ("one lacking", ["--categories=color=" + ",".join(COLORS)], "'size' are categorical"),
    ("too few for the splits", ["--categories=color=red,green,blue", "--categories=size=S,M,L,XL"],
     "the model's splits use code 4: it was trained with at least 5"),
    ("a non-categorical feature", ["--categories=temperature=hot,cold"],
     "'temperature', which is not a categorical feature of the model (they are color, size)"),
    ("a name twice", ["--categories=color=red,red,blue,violet,amber", "--categories=size=S,M,L,XL"],
     "the category 'red' is named twice"),
    ("a feature twice", ["--categories=size=S", "--categories=size=S,M,L,XL"], "given twice"),
    ("not FEATURE=NAMES", ["--categories=color"], "is not FEATURE=NAME,NAME,..."),
    ("an example cell not a category", ["--categories=color=red,green,blue,violet,pink",
     "--categories=size=S,M,L,XL"], "color is 'amber', not one of its 5 categories"),
    ("--integer for a float", ["--integer=temperature", "--categories=color=" + ",".join(COLORS),
     "--categories=size=S,M,L,XL"], "which the model types as 'float'"),
    ("both labels flags", ["--labels=a,b", "--labels-file=x"], "--labels or --labels-file, not both"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "flags", "said"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_categorical_refusal_is_one_line_exit_2_and_writes_nothing(
    shop: CategoricalModel,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    flags: list[str],
    said: str,
) -> None:
    code, out, err = run(capsys, *base(shop, tmp_path / "out" / "model.tar.gz"), *flags)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and said in err, err
    assert not (tmp_path / "out").exists()


def test_another_models_files_are_kept_unless_forced(
    tmp_path: Path, shop: CategoricalModel, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a folder holding an import of another model
    other = train_own_model("reg:squarederror", tmp_path / "other")
    output = tmp_path / "build" / "model.tar.gz"
    first = ["--model", str(other.model), "--example", str(other.example), "--output", str(output)]
    assert run(capsys, *first)[0] == 0
    before = {path.name: path.read_bytes() for path in output.parent.iterdir()}
    # When the same import runs again, nothing is refused (the same bytes)
    assert run(capsys, *first)[0] == 0
    # When the shop's model is imported there
    code, _, err = run(capsys, *base(shop, output), *categories_flags(shop))
    # Then it is refused in one line, exit 1, and nothing is written
    assert code == 1
    assert err == (
        f"import_model: {output} exists and belongs to another model: pass --force to replace "
        "it, or --output to write elsewhere\n"
    )
    assert {path.name: path.read_bytes() for path in output.parent.iterdir()} == before
    # And with --force it replaces both
    code, _, err = run(capsys, *base(shop, output), *categories_flags(shop), "--force")
    assert code == 0, err
    assert read_signature(output.with_name("model.signature.json")).features[1].type == CATEGORICAL


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("no, thanks\nyes, please\n", ("no, thanks", "yes, please")),
        (" low \nhigh", (" low ", "high")),
        ("0\r\n1\r\n", ("0", "1")),
    ],
)
def test_labels_from_a_file_are_kept_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, labels: tuple[str, ...]
) -> None:
    # Given a binary classifier and its labels one a line
    own = train_own_model("binary:logistic", tmp_path / "own")
    (tmp_path / "labels.txt").write_bytes(text.encode())
    # When imported with --labels-file
    code, _, err = run(
        capsys, "--model", str(own.model), "--example", str(own.example),
        "--output", str(tmp_path / "model.tar.gz"), "--labels-file", str(tmp_path / "labels.txt"),
    )  # fmt: skip
    # Then the labels are the lines, exactly (a final newline makes no empty label)
    assert code == 0, err
    assert read_signature(tmp_path / "model.signature.json").labels == labels
