"""scripts.import_model: a user's own model and an example in, the artifact and its signature out,
or one clear line and nothing written."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from artifacts.model_file import ubjson_version
from artifacts.packaging import deterministic_tar_gz
from bench.own_models import OwnModel, train_own_model
from chalicelib.signature import BOOLEAN, INTEGER, NUMBER, read_signature
from scripts import import_model


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, OwnModel]:
    folder = tmp_path_factory.mktemp("own")
    return {
        objective: train_own_model(objective, folder / objective.replace(":", "-"))
        for objective in ("binary:logistic", "multi:softmax", "reg:squarederror")
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = import_model.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def arguments(own: OwnModel, output: Path, labels: tuple[str, ...] | None = None) -> list[str]:
    given = own.labels if labels is None else labels
    return [
        "--model", str(own.model), "--example", str(own.example), "--output", str(output),
        *(["--labels", ",".join(given)] if given else []),
    ]  # fmt: skip


def test_a_named_binary_classifier_is_imported_in_the_boosters_order(
    models: dict[str, OwnModel], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = models["binary:logistic"]
    output = tmp_path / "build" / "model.tar.gz"
    code, out, err = run(capsys, *arguments(own, output))
    assert code == 0, err
    # The artifact is the model's own bytes, as the only member
    with tarfile.open(output) as tar:
        assert tar.getnames() == ["xgboost-model"]
        member = tar.extractfile("xgboost-model")
        assert member is not None and member.read() == own.model.read_bytes()
    # The signature: the booster's names in its order (the example's header was reversed),
    # the objective, the labels, the artifact's sha256 and the model's own scores
    signature = read_signature(tmp_path / "build" / "model.signature.json")
    assert signature.feature_names == own.names
    assert signature.objective == "binary:logistic"
    assert signature.labels == ("malignant", "benign")
    assert all(feature.type == NUMBER and not feature.optional for feature in signature.features)
    first = signature.examples[0]
    scores = own.booster().predict(xgb.DMatrix(own.rows[:1]), validate_features=False)
    assert first["score"] == scores[0].item()
    assert first["record"] == own.record(own.rows[0])
    assert "binary:logistic, classifier of 2 classes (malignant, benign)" in out
    # 30 features with scikit-learn's long names: 100 records are more than the default 64 KB.
    (note,) = [line for line in out.splitlines() if line.startswith("batches:")]
    fits = int(note.split()[1])
    assert 0 < fits < 100 and "set MAX_BODY_BYTES to at least" in note
    needed = int(note.rsplit("at least ", 1)[1].split()[0])
    records = [example["record"] for example in signature.examples]
    batch = {"instances": [records[n % len(records)] for n in range(100)]}
    assert needed == len(json.dumps(batch, separators=(",", ":")).encode()) > 65536


def test_types_and_optional_features_come_from_the_example(
    models: dict[str, OwnModel], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a model without feature names: the header names them in the model's order
    own = models["multi:softmax"]
    code, _, err = run(capsys, *arguments(own, tmp_path / "model.tar.gz"))
    assert code == 0, err
    signature = read_signature(tmp_path / "model.signature.json")
    assert signature.feature_names == own.names
    # Then a column with an empty cell is optional, true/false is boolean
    by_name = {feature.name: feature for feature in signature.features}
    assert by_name["cellar member"].type == BOOLEAN
    missing = {own.names[i] for i in np.where(np.isnan(own.rows).any(axis=0))[0]}
    assert {name for name, f in by_name.items() if f.optional} == missing


def test_whole_numbers_are_numbers_unless_asked_and_a_regression_takes_no_labels(
    models: dict[str, OwnModel], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the diabetes model, whose example writes age and sex as whole numbers
    own = models["reg:squarederror"]
    # When it is imported as it is
    code, out, err = run(capsys, *arguments(own, tmp_path / "model.tar.gz"))
    # Then every feature is a number (a 59.5 tomorrow is no error), and the table says so
    assert code == 0, err
    assert "batches:" not in out  # 100 records of 10 features fit the default body limit
    signature = read_signature(tmp_path / "model.signature.json")
    types = {feature.name: feature.type for feature in signature.features}
    assert set(types.values()) == {NUMBER}
    assert signature.labels == ()
    assert any(line.split()[:3] == ["age", "number", "no"] for line in out.splitlines())
    # When the user asks for integers
    code, out, err = run(
        capsys, *arguments(own, tmp_path / "int" / "model.tar.gz"), "--integer", "age,sex"
    )
    # Then those two are integers, the rest numbers
    assert code == 0, err
    signature = read_signature(tmp_path / "int" / "model.signature.json")
    types = {feature.name: feature.type for feature in signature.features}
    assert types["age"] == types["sex"] == INTEGER
    assert types["bmi"] == NUMBER


def test_a_json_model_and_a_model_tar_gz_are_taken_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = train_own_model("reg:gamma", tmp_path / "json", suffix=".json")
    packed = tmp_path / "theirs.tar.gz"
    packed.write_bytes(deterministic_tar_gz(own.model.read_bytes()))
    for number, model in enumerate((own.model, packed)):
        output = tmp_path / f"out{number}" / "model.tar.gz"
        code, _, err = run(
            capsys, "--model", str(model), "--example", str(own.example), "--output", str(output)
        )
        assert code == 0, err
        assert read_signature(output.with_name("model.signature.json")).objective == "reg:gamma"


def _edited_json(own: OwnModel, folder: Path, change: dict) -> Path:
    document = json.loads(own.booster().save_raw("json"))
    learner_change = change.pop("learner", None)
    document.update(change)
    if learner_change:
        document["learner"]["objective"]["name"] = learner_change
    path = folder / "edited.json"
    path.write_text(json.dumps(document))
    return path


REFUSALS = [
    # (case, model and argument changes, what the one line says)
    ("labels missing for a classifier", {"model": "binary:logistic", "labels": ()},
     "binary:logistic is a classifier of 2 classes: name them with --labels"),
    ("too few labels", {"model": "multi:softmax", "labels": ("a", "b")},
     "--labels names 2 classes; the model has 3"),
    ("labels repeated", {"model": "multi:softmax", "labels": ("a", "b", "a")},
     "--labels must be distinct"),
    ("labels for a regression", {"model": "reg:squarederror", "labels": ("low", "high")},
     "predicts a value: leave it out"),
    ("header lacks a feature", {"model": "binary:logistic", "drop_column": "mean radius"},
     "the header lacks the model's 'mean radius'"),
    ("header has another column", {"model": "binary:logistic", "add_column": "patient id"},
     "has 'patient id', which the model does not know"),
    ("header count for a nameless model", {"model": "multi:softmax", "drop_column": "wine_3"},
     "the header names 13 features; the model takes 14"),
    ("a value that is no number", {"model": "reg:squarederror", "cell": ("bmi", "n/a")},
     "bmi is 'n/a', not a finite number or true/false"),
    ("an infinite value", {"model": "reg:squarederror", "cell": ("bmi", "inf")},
     "bmi is 'inf', not a finite number"),
    ("a column with no value", {"model": "reg:squarederror", "column": ("bp", "")},
     "column 'bp' has no value"),
    ("a header renaming a named feature", {"model": "reg:squarederror", "rename": ("s1", "S1")},
     "the header lacks the model's 's1' and has 'S1'"),
    ("a feature called instances", {"model": "multi:softmax", "rename": ("wine_0", "instances")},
     "a feature cannot be called 'instances' (the batch key"),
    ("a model saved by a newer XGBoost", {"model": "reg:squarederror", "json": {"version": [3, 1, 0]}},
     "saved by XGBoost 3.1.0, newer than the 3.0.5 the built-in container 3.0-5 runs"),
    ("an objective XGBoost does not know", {"model": "reg:squarederror", "json": {"learner": "reg:cubic"}},
     "XGBoost cannot load the model"),
    ("not a model", {"model": "reg:squarederror", "bytes": b"\x80\x04\x95pickle"},
     "is not a model saved by Booster.save_model as JSON or UBJSON"),
    ("--integer for a decimal column", {"model": "reg:squarederror", "integer": "bmi"},
     "line 2: --integer names bmi, and '24.7' is not a whole number"),
    ("--integer for an unknown feature", {"model": "reg:squarederror", "integer": "weight"},
     "--integer names 'weight', which is not a feature of the model"),
    ("categories for a model without any", {"model": "reg:squarederror", "categories": "sex=f,m"},
     "categories are given for 'sex', which is not a categorical feature of the model (it has none)"),
    ("a tarball of two files", {"model": "reg:squarederror", "tar": ["xgboost-model", "notes.txt"]},
     "must hold exactly one file, xgboost-model"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "setup", "said"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_refusal_is_one_line_exit_2_and_writes_nothing(
    models: dict[str, OwnModel],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    setup: dict,
    said: str,
) -> None:
    own = models[setup["model"]]
    model, example = own.model, own.example
    header, *rows = [line.split(",") for line in example.read_text().splitlines()]
    if "drop_column" in setup:
        keep = [i for i, name in enumerate(header) if name != setup["drop_column"]]
        header, rows = [header[i] for i in keep], [[row[i] for i in keep] for row in rows]
    if "add_column" in setup:
        header, rows = [*header, setup["add_column"]], [[*row, "7"] for row in rows]
    if "rename" in setup:
        header = [setup["rename"][1] if n == setup["rename"][0] else n for n in header]
    if "cell" in setup:
        rows[0][header.index(setup["cell"][0])] = setup["cell"][1]
    if "column" in setup:
        for row in rows:
            row[header.index(setup["column"][0])] = setup["column"][1]
    example = tmp_path / "example.csv"
    example.write_text("\n".join(",".join(line) for line in [header, *rows]) + "\n")
    if "json" in setup:
        model = _edited_json(own, tmp_path, dict(setup["json"]))
    if "bytes" in setup:
        model = tmp_path / "model.pkl"
        model.write_bytes(setup["bytes"])
    if "tar" in setup:
        model = tmp_path / "model.tar.gz"
        with tarfile.open(model, "w:gz") as tar:
            for name in setup["tar"]:
                tar.add(own.model, arcname=name)
    output = tmp_path / "out" / "model.tar.gz"
    labels = setup.get("labels", own.labels)
    argv = ["--model", str(model), "--example", str(example), "--output", str(output)]
    argv += ["--integer", setup["integer"]] if "integer" in setup else []
    argv += ["--categories", setup["categories"]] if "categories" in setup else []
    code, out, err = run(capsys, *argv, *(["--labels", ",".join(labels)] if labels else []))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and said in err, err
    assert not (tmp_path / "out").exists()


def test_the_version_is_read_from_ubjson_without_decoding_the_model(tmp_path: Path) -> None:
    own = train_own_model("multi:softprob", tmp_path)
    assert ubjson_version(own.model.read_bytes()) == [3, 0, 5]
    # and from a model written by hand with the version before the learner
    raw = own.model.read_bytes()
    assert ubjson_version(b"{L\x00\x00\x00\x00\x00\x00\x00\x07version[#i\x03i\x03i\x01i\x00}") == [
        3, 1, 0
    ]  # fmt: skip
    assert raw[:1] == b"{"
