"""The baseline made with the model: beside the signature when the Iris example is trained or a
model imported, bound to the artifact, with numpy's own figures of the data, and the same in
Model Monitor's statistics.json and constraints.json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from artifacts.baseline_files import find_baselines
from foundation.lambda_code import drift
from foundation.lambda_code import signature as sig
from scripts import import_model, make_baseline
from tests.drift_traffic import NAMES, Shop, draw, make_shop, matrix, write_csv


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return make_shop(tmp_path_factory.mktemp("shop"))


def test_the_iris_example_is_trained_with_its_baseline(trained_model: Path) -> None:
    signature = sig.read_signature(trained_model / "model.signature.json")
    baseline = drift.read_baseline(trained_model / "model.baseline.json")
    # Bound to the artifact, of the training split's 105 rows, the four measurements and classes
    assert drift.bound_baseline(baseline, signature) is baseline
    assert baseline.rows == 105 and baseline.source == "Iris (scikit-learn), the training split"
    assert [d.name for d in baseline.features] == list(signature.feature_names)
    assert all(d.present == 105 and d.missing == 0 for d in baseline.features)
    (prediction,) = baseline.predictions
    assert prediction.categories == signature.labels and prediction.present == 105
    assert (trained_model / "model.statistics.json").is_file()
    assert (trained_model / "model.constraints.json").is_file()


def test_an_imports_baseline_holds_numpys_figures_of_its_data(shop: Shop) -> None:
    rows = matrix(shop.baseline_records)
    by_name = {d.name: d for d in shop.baseline.features}
    amount = by_name["amount"]
    values = rows[:, 0]
    assert amount.present == values.size and amount.missing == 0
    assert amount.mean == pytest.approx(float(values.mean()))
    assert amount.std_dev == pytest.approx(float(values.std()))
    assert (amount.minimum, amount.maximum) == (float(values.min()), float(values.max()))
    assert amount.percentiles == pytest.approx(np.percentile(values, np.arange(101)).tolist())
    assert amount.edges == pytest.approx(
        np.quantile(values, [q / 10 for q in range(1, 10)]).tolist()
    )
    rate = by_name["rate"]
    assert rate.missing == int(np.isnan(rows[:, 2]).sum()) > 0
    colour = by_name["colour"]
    assert colour.categories == ("red", "green", "blue")
    assert list(colour.counts) == np.bincount(rows[:, 4].astype(int), minlength=3).tolist()
    member = by_name["member"]
    assert member.categories == ("false", "true")
    assert list(member.counts) == np.bincount(rows[:, 3].astype(int), minlength=2).tolist()


def test_model_monitors_files_say_the_same(shop: Shop) -> None:
    folder = shop.artifact.parent
    statistics = json.loads((folder / "model.statistics.json").read_text())
    constraints = json.loads((folder / "model.constraints.json").read_text())
    assert statistics["version"] == 0 and statistics["dataset"] == {"item_count": 5000}
    features = {f["name"]: f for f in statistics["features"]}
    assert list(features) == list(NAMES)
    amount = features["amount"]
    assert amount["inferred_type"] == "Fractional"
    assert features["visits"]["inferred_type"] == "Integral"
    numbers = amount["numerical_statistics"]
    assert numbers["common"] == {"num_present": 5000, "num_missing": 0}
    buckets = numbers["distribution"]["kll"]["buckets"]
    assert sum(b["count"] for b in buckets) == 5000
    assert (
        buckets[0]["lower_bound"] == numbers["min"] and buckets[-1]["upper_bound"] == numbers["max"]
    )
    assert numbers["distribution"]["kll"]["sketch"]["parameters"] == {"c": 0.64, "k": 2048.0}
    colour = features["colour"]
    assert colour["inferred_type"] == "String"
    by_value = {
        b["value"]: b["count"]
        for b in colour["string_statistics"]["distribution"]["categorical"]["buckets"]
    }
    records = shop.baseline_records
    assert by_value == {c: sum(r["colour"] == c for r in records) for c in ("red", "green", "blue")}
    limits = {f["name"]: f for f in constraints["features"]}
    assert limits["rate"]["completeness"] == pytest.approx(sum("rate" in r for r in records) / 5000)
    assert limits["colour"]["string_constraints"] == {"domains": ["red", "green", "blue"]}
    lowest = min(r["amount"] for r in records)
    assert limits["amount"]["num_constraints"] == {"is_non_negative": lowest >= 0}
    assert (
        constraints["monitoring_config"]["distribution_constraints"]["perform_comparison"]
        == "Enabled"
    )


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d.update(surprise=1), "surprise: Extra inputs are not permitted"),
        (lambda d: d["features"][0].update(counts=[1, 2]), "features.0: Value error"),
        (lambda d: d["features"][0].update(edges=[3.0, 1.0]), "edges must be strictly increasing"),
        (lambda d: d.update(artifact_sha256="x"), "artifact_sha256: String should match pattern"),
        (lambda d: d["features"][0].update(mean=float("nan")), "features.0.mean"),
    ],
)
def test_a_baseline_that_cannot_be_read_says_why_in_one_line(
    tmp_path: Path, shop: Shop, change: object, said: str
) -> None:
    document = json.loads(drift.baseline_text(shop.baseline))
    change(document)  # type: ignore[operator]
    path = tmp_path / "model.baseline.json"
    path.write_text(json.dumps(document))
    with pytest.raises(drift.BaselineError) as raised:
        drift.read_baseline(path)
    assert said in str(raised.value) and "\n" not in str(raised.value)


def test_a_baseline_of_another_model_is_refused(shop: Shop, trained_model: Path) -> None:
    iris = sig.read_signature(trained_model / "model.signature.json")
    with pytest.raises(drift.BaselineError, match="made for artifact"):
        drift.Window(shop.baseline, iris)


def test_baselines_are_found_by_their_artifact(
    tmp_path: Path, shop: Shop, trained_model: Path
) -> None:
    (tmp_path / "broken.baseline.json").write_text("{")
    found, problems = find_baselines([tmp_path, shop.artifact.parent, trained_model])
    assert set(found) == {
        shop.signature.artifact_sha256,
        sig.read_signature(trained_model / "model.signature.json").artifact_sha256,
    }
    assert found[shop.signature.artifact_sha256].signature == shop.signature
    assert len(problems) == 1 and "broken.baseline.json" in problems[0]


def test_import_refuses_baseline_data_without_the_models_features(
    tmp_path: Path, shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("amount,visits\n1,2\n")
    output = tmp_path / "out" / "model.tar.gz"
    code = import_model.main(
        ["--model", str(shop.artifact), "--example", str(shop.artifact.with_name("example.csv")),
         "--labels", "no,yes", "--categories", "colour=red,green,blue", "--output", str(output),
         "--baseline", str(data)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert (
        err
        == f"import_model: refused: baseline: {data}: the header lacks the model's 'rate', 'member', 'colour'\n"
    )
    assert not output.parent.exists()


def test_make_baseline_writes_one_for_a_model_that_has_none(
    tmp_path: Path, shop: Shop, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the shop's artifact and signature alone
    for name in ("model.tar.gz", "model.signature.json"):
        (tmp_path / name).write_bytes(shop.artifact.with_name(name).read_bytes())
    data = write_csv(tmp_path / "data.csv", draw(np.random.default_rng(9), 400), label=True)
    # When a baseline is made of data
    code = make_baseline.main(["--model", str(tmp_path / "model.tar.gz"), "--data", str(data)])
    # Then it lies beside the signature, bound to the model, of the data's rows
    assert code == 0, capsys.readouterr()
    made = drift.read_baseline(tmp_path / "model.baseline.json")
    assert drift.bound_baseline(made, shop.signature).rows == 400
    assert made.source == "data.csv"
    # And data that is not the model's input is refused in one line
    (tmp_path / "bad.csv").write_text("amount,visits,rate,member,colour\n1,2,3,maybe,red\n")
    assert (
        make_baseline.main(
            ["--model", str(tmp_path / "model.tar.gz"), "--data", str(tmp_path / "bad.csv")]
        )
        == 2
    )
    assert (
        capsys.readouterr().err
        == f"make_baseline: {tmp_path / 'bad.csv'}, line 2: 'maybe' is not true or false\n"
    )
