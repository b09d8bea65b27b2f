"""scripts.import_model with a model of several outputs per row (#33): the quantile levels or the
targets' names go into the signature, the examples hold XGBoost's own rows; what cannot be served
faithfully is one line, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from artifacts.binding import BindingError, bound_signature
from bench.own_models import OwnModel
from chalicelib.signature import read_signature
from scripts import import_model
from tests.several_outputs import (
    MULTI_STRATEGIES,
    QUANTILES,
    TARGETS,
    train_multi_target_model,
    train_quantile_model,
    xgboost_rows,
)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, OwnModel]:
    folder = tmp_path_factory.mktemp("several")
    return {
        "quantile": train_quantile_model(folder / "quantile"),
        "one quantile": train_quantile_model(folder / "one", quantiles=(0.3,)),
        **{s: train_multi_target_model(folder / s, s) for s in MULTI_STRATEGIES},
    }


def run(
    capsys: pytest.CaptureFixture[str], own: OwnModel, output: Path, *flags: str
) -> tuple[int, str, str]:
    code = import_model.main(
        ["--model", str(own.model), "--example", str(own.example), "--output", str(output), *flags]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_a_quantile_model_records_its_levels_and_xgboosts_rows(
    models: dict[str, OwnModel], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = models["quantile"]
    code, out, err = run(capsys, own, tmp_path / "model.tar.gz")
    assert code == 0, err
    signature = read_signature(tmp_path / "model.signature.json")
    # The levels the booster records (its quantile_alpha), named as the API names them
    assert signature.quantiles == QUANTILES and signature.targets == ()
    assert signature.outputs == ("0.1", "0.5", "0.9")
    assert "reg:quantileerror, a model that predicts the quantiles 0.1, 0.5, 0.9" in out
    # Each example's score is XGBoost's own row of three, what the smoke test expects back
    expected = xgboost_rows(own, own.rows[: len(signature.examples)])
    assert [example["score"] for example in signature.examples] == expected
    assert all(len(row) == 3 for row in expected)


@pytest.mark.parametrize("strategy", MULTI_STRATEGIES)
@pytest.mark.parametrize("named", [True, False], ids=["--targets", "default names"])
def test_a_multi_target_model_records_its_targets(
    models: dict[str, OwnModel],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    strategy: str,
    named: bool,
) -> None:
    own = models[strategy]
    flags = ("--targets", ",".join(TARGETS)) if named else ()
    code, out, err = run(capsys, own, tmp_path / "model.tar.gz", *flags)
    assert code == 0, err
    signature = read_signature(tmp_path / "model.signature.json")
    names = TARGETS if named else ("target_0", "target_1")
    assert signature.targets == names and signature.quantiles == ()
    assert f"a model that predicts 2 targets ({', '.join(names)})" in out
    expected = xgboost_rows(own, own.rows[: len(signature.examples)])
    assert [example["score"] for example in signature.examples] == expected


def test_a_quantile_model_of_one_alpha_stays_a_plain_regression(
    models: dict[str, OwnModel], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One number a row, as before #33: answered {"value": ...}, its signature unchanged."""
    own = models["one quantile"]
    code, out, err = run(capsys, own, tmp_path / "model.tar.gz")
    assert code == 0, err
    signature = read_signature(tmp_path / "model.signature.json")
    assert signature.quantiles == () and signature.outputs == ()
    assert signature.answer.value == "value"
    assert "reg:quantileerror, a model that predicts a value" in out
    assert "quantiles" not in (tmp_path / "model.signature.json").read_text()
    assert signature.examples[0]["score"] == xgboost_rows(own, own.rows[:1])[0]


def _multi_label(folder: Path) -> OwnModel:
    """binary:logistic on a label of two columns: a multi-label classifier."""
    rng = np.random.default_rng(0)
    x = rng.random((80, 3))
    y = (rng.random((80, 2)) > 0.5).astype(float)
    folder.mkdir(parents=True, exist_ok=True)
    booster = xgb.train({"objective": "binary:logistic", "nthread": 1}, xgb.DMatrix(x, label=y), 2)
    booster.save_model(folder / "model.ubj")
    (folder / "example.csv").write_text("a,b,c\n0.1,0.2,0.3\n")
    return OwnModel("binary:logistic", folder / "model.ubj", folder / "example.csv", (), (), x)


REFUSALS = [
    # (case, model, flags, what the one line says)
    ("--targets for a quantile model", "quantile", ("--targets", "low,mid,high"),
     "--targets names a multi-target model's outputs; this one answers the quantiles 0.1, 0.5, "
     "0.9: leave it out"),
    ("--targets for one output", "one quantile", ("--targets", "a,b"),
     "this one predicts one value: leave it out"),
    ("too few targets", "multi_output_tree", ("--targets", "progression"),
     "--targets names 1 target; the model has 2"),
    ("too many targets", "one_output_per_tree", ("--targets", "a,b,c"),
     "--targets names 3 targets; the model has 2"),
    ("targets repeated", "multi_output_tree", ("--targets", "a,a"),
     "--targets must be distinct and not empty"),
    ("an empty target", "multi_output_tree", ("--targets", "a,"),
     "--targets must be distinct and not empty"),
    ("a target with spaces", "multi_output_tree", ("--targets", "price, rent"),
     "--targets: ' rent' has spaces around it"),
    ("labels for a quantile model", "quantile", ("--labels", "low,high"),
     "predicts a value: leave it out"),
    ("a multi-label classifier", "multi-label", ("--labels", "no,yes"),
     "binary:logistic of 2 targets (a multi-label classifier) is not served"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "model", "flags", "said"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_refusal_is_one_line_exit_2_and_writes_nothing(
    models: dict[str, OwnModel],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    model: str,
    flags: tuple[str, ...],
    said: str,
) -> None:
    own = _multi_label(tmp_path / "theirs") if model == "multi-label" else models[model]
    code, out, err = run(capsys, own, tmp_path / "out" / "model.tar.gz", *flags)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and said in err, err
    assert not (tmp_path / "out").exists()


EDITS = [
    # (case, model, the signature's edit, what the refusal says)
    ("another level", "quantile", {"quantiles": [0.1, 0.5, 0.95]},
     "the model's quantiles are [0.1, 0.5, 0.9], the signature's [0.1, 0.5, 0.95]"),
    ("a level dropped", "quantile", {"quantiles": [0.1, 0.9]},
     "the model answers 3 numbers per row, the signature 2"),
    ("levels dropped", "quantile", {"quantiles": None},
     "the model answers 3 numbers per row, the signature 1"),
    ("a target added", "multi_output_tree", {"targets": ["a", "b", "c"]},
     "the model answers 2 numbers per row, the signature 3"),
    ("targets dropped", "one_output_per_tree", {"targets": None},
     "the model answers 2 numbers per row, the signature 1"),
    ("targets for quantiles", "quantile", {"quantiles": None, "targets": ["a", "b", "c"]},
     "targets are the outputs of a regression of several targets"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "model", "edit", "said"), EDITS, ids=[e[0] for e in EDITS])
def test_a_signature_whose_outputs_are_not_the_models_is_refused(
    models: dict[str, OwnModel],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    model: str,
    edit: dict,
    said: str,
) -> None:
    """What `make run`, the stand-in and the deploy check before serving (artifacts.binding)."""
    artifact = tmp_path / "model.tar.gz"
    assert run(capsys, models[model], artifact)[0] == 0
    path = tmp_path / "model.signature.json"
    document = json.loads(path.read_text())
    for key, value in edit.items():
        document.pop(key, None)
        if value is not None:
            document[key] = value
    path.write_text(json.dumps(document))
    with pytest.raises(BindingError) as refused:
        bound_signature(artifact)
    assert said in str(refused.value)
