"""Drift from seeded synthetic traffic: a shifted feature and one that starts arriving empty are
flagged with the PSI and test statistics numpy and scipy compute from the raw values, and
traffic drawn from the baseline's own distribution raises nothing."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

from artifacts.importing import Typing, prepare_import, write_import
from foundation.lambda_code import drift, predictor, validation
from foundation.paths import REPO_ROOT
from local_sagemaker.capture import capture_line
from serving.model import XGBoostModel, json_bytes
from tests.drift_traffic import MOMENT, Shop, capture_lines, draw, make_shop, matrix
from tests.several_outputs import train_quantile_model

DECILES = [q / 10 for q in range(1, 10)]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return make_shop(tmp_path_factory.mktemp("shop"))


def by_name(report: drift.DriftReport, name: str) -> drift.Drift:
    return next(item for item in (*report.features, *report.predictions) if item.name == name)


def binned(baseline: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both samples' present values counted on bins at the baseline's deciles, then the missing
    count last: the distribution the report compares, computed here from the raw values."""
    base, now = baseline[~np.isnan(baseline)], window[~np.isnan(window)]
    edges = np.unique(np.quantile(base, DECILES))
    bins = edges.size + 1

    def count(values: np.ndarray, present: np.ndarray) -> np.ndarray:
        counts = np.bincount(np.searchsorted(edges, present, side="right"), minlength=bins)
        return np.append(counts, values.size - present.size)

    return count(baseline, base), count(window, now)


def numpy_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.maximum(expected / expected.sum(), 1e-4)
    a = np.maximum(actual / actual.sum(), 1e-4)
    return float(np.sum((a - e) * np.log(a / e)))


def binned_ks(expected: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    n, m = expected.sum(), actual.sum()
    gap = float(np.max(np.abs(np.cumsum(expected) / n - np.cumsum(actual) / m)))
    return gap, float(scipy_stats.kstwobign.sf(math.sqrt(n * m / (n + m)) * gap))


def test_a_shifted_feature_is_flagged_with_its_psi_and_ks(shop: Shop) -> None:
    # Given a window in which amount's mean moved by 0.8 of its standard deviation
    records = draw(np.random.default_rng(21), 3000, shift=8.0)
    # When its capture is compared with the baseline
    report = drift.drift_report(shop.baseline, shop.signature, capture_lines(shop, records))
    # Then amount alerts, with the figures computed here from the raw values
    base_values, window_values = matrix(shop.baseline_records)[:, 0], matrix(records)[:, 0]
    expected, actual = binned(base_values, window_values)
    amount = by_name(report, "amount")
    assert amount.level == drift.ALERT
    assert amount.psi == pytest.approx(numpy_psi(expected, actual), rel=1e-9)
    assert amount.psi > 0.25 and amount.reasons[0].startswith("PSI ")
    gap, p_value = binned_ks(expected[:-1], actual[:-1])
    assert amount.test is not None and amount.test.name == "ks"
    assert amount.test.statistic == pytest.approx(gap, rel=1e-12)
    assert amount.test.p_value == pytest.approx(p_value, rel=1e-9, abs=1e-300)
    # the binned statistic is a lower bound of the KS statistic of the raw values
    assert amount.test.statistic <= scipy_stats.ks_2samp(base_values, window_values).statistic
    # And it ranks first; the features that did not move stay quiet
    assert report.features[0].name == "amount"
    assert [item.level for item in report.features[1:]] == [drift.OK] * 4
    assert report.records == 300 and report.rows == 3000 and report.crossed


def test_the_prediction_shift_is_the_psi_of_the_class_shares(shop: Shop) -> None:
    # Given the shifted window (more spent: more "yes")
    records = draw(np.random.default_rng(21), 3000, shift=8.0)
    report = drift.drift_report(shop.baseline, shop.signature, capture_lines(shop, records))
    # Then the prediction's PSI and chi-square are those of the model's own classes
    before = shop.model.predict(matrix(shop.baseline_records)) > 0.5
    after = shop.model.predict(matrix(records)) > 0.5
    expected = np.bincount(before.astype(int), minlength=2)
    actual = np.bincount(after.astype(int), minlength=2)
    prediction = by_name(report, "prediction")
    assert prediction.psi == pytest.approx(numpy_psi(expected, actual), rel=1e-9)
    statistic, p_value, _, _ = scipy_stats.chi2_contingency(
        np.array([expected, actual]), correction=False
    )
    assert prediction.test is not None
    assert prediction.test.statistic == pytest.approx(statistic, rel=1e-9)
    assert prediction.test.p_value == pytest.approx(p_value, rel=1e-6, abs=1e-300)
    assert prediction.level == drift.ALERT


def test_a_feature_that_starts_arriving_empty_is_flagged(shop: Shop) -> None:
    # Given a window in which rate is left out of six records in ten (one in ten before)
    records = draw(np.random.default_rng(22), 3000, empty=0.5)
    # When it is compared with the baseline
    report = drift.drift_report(shop.baseline, shop.signature, capture_lines(shop, records))
    # Then rate alerts: its PSI (the missing bin included) and its missing rate's rise
    base_values, window_values = matrix(shop.baseline_records)[:, 2], matrix(records)[:, 2]
    expected, actual = binned(base_values, window_values)
    rate = by_name(report, "rate")
    assert rate.level == drift.ALERT
    assert rate.psi == pytest.approx(numpy_psi(expected, actual), rel=1e-9)
    window_missing = float(np.isnan(window_values).mean())
    baseline_missing = float(np.isnan(base_values).mean())
    assert rate.missing_rate == pytest.approx(window_missing)
    assert rate.baseline_missing_rate == pytest.approx(baseline_missing)
    assert f"missing rate rise {window_missing - baseline_missing:.3g} >= 0.2" in rate.reasons
    # the present values' test: the KS of the bins, as computed here
    gap, p_value = binned_ks(expected[:-1], actual[:-1])
    assert rate.test is not None
    assert rate.test.statistic == pytest.approx(gap, rel=1e-12)
    assert rate.test.p_value == pytest.approx(p_value, rel=1e-9)
    assert by_name(report, "amount").level == drift.OK


def test_traffic_from_the_baselines_own_distribution_raises_nothing(shop: Shop) -> None:
    records = draw(np.random.default_rng(23), 3000)
    report = drift.drift_report(shop.baseline, shop.signature, capture_lines(shop, records))
    assert report.level == drift.OK and not report.crossed
    assert all(
        item.psi < 0.1 and not item.reasons for item in (*report.features, *report.predictions)
    )
    # the categories' test is scipy's chi-square on the same counts
    colours = np.array([["red", "green", "blue"].index(r["colour"]) for r in records])
    base = np.array([["red", "green", "blue"].index(r["colour"]) for r in shop.baseline_records])
    table = np.array([np.bincount(base, minlength=3), np.bincount(colours, minlength=3)])
    statistic, p_value, dof, _ = scipy_stats.chi2_contingency(table, correction=False)
    colour = by_name(report, "colour")
    assert colour.test is not None
    assert (colour.test.name, colour.test.dof) == ("chi2", dof)
    assert colour.test.statistic == pytest.approx(statistic, rel=1e-9)
    assert colour.test.p_value == pytest.approx(p_value, rel=1e-9)


def test_a_small_window_is_shown_and_not_judged(shop: Shop) -> None:
    records = draw(np.random.default_rng(24), 50, shift=20.0)
    report = drift.drift_report(shop.baseline, shop.signature, capture_lines(shop, records))
    amount = by_name(report, "amount")
    assert amount.psi > 1 and amount.level == drift.FEW and not report.crossed
    lowered = drift.Thresholds(min_rows=10)
    assert drift.drift_report(
        shop.baseline, shop.signature, capture_lines(shop, records), lowered
    ).crossed


def test_alpha_makes_a_significant_test_warn(shop: Shop) -> None:
    # A shift too small for the PSI thresholds, and significant over many rows
    records = draw(np.random.default_rng(25), 6000, shift=1.5)
    lines = capture_lines(shop, records, batch=100)
    quiet = drift.drift_report(shop.baseline, shop.signature, lines)
    assert by_name(quiet, "amount").level == drift.OK
    judged = drift.drift_report(shop.baseline, shop.signature, lines, drift.Thresholds(alpha=0.01))
    amount = by_name(judged, "amount")
    assert amount.level == drift.WARN and amount.reasons[-1].startswith("ks p ")


def test_a_regression_shifts_by_its_values_bins(tmp_path: Path) -> None:
    # Given the diabetes example imported, its baseline of its example rows
    folder = REPO_ROOT / "examples" / "models" / "diabetes"
    imported = prepare_import(
        folder / "model.ubj", folder / "example.csv", None, tmp_path / "model.tar.gz",
        typing=Typing(integers=frozenset({"age", "sex"})),
    )  # fmt: skip
    assert imported.baseline is not None
    (prediction,) = imported.baseline.predictions
    assert prediction.name == "prediction" and prediction.is_number
    assert prediction.present == imported.baseline.rows == 5
    # Then the baseline fits the signature, and a report has one numeric prediction row
    report = drift.drift_report(imported.baseline, imported.signature, [])
    assert [item.type for item in report.predictions] == ["number"]
    assert report.records == 0 and report.level == drift.FEW


def test_a_model_of_several_outputs_has_a_prediction_row_per_output(tmp_path: Path) -> None:
    # Given a quantile regression of three levels, imported with its baseline
    own = train_quantile_model(tmp_path / "quantiles")
    imported = prepare_import(
        own.model, own.example, None, tmp_path / "model.tar.gz",
        typing=Typing(integers=frozenset({"age", "sex"})),
    )  # fmt: skip
    assert imported.baseline is not None
    names = ["prediction[0.1]", "prediction[0.5]", "prediction[0.9]"]
    assert [p.name for p in imported.baseline.predictions] == names
    write_import(imported)
    # When its answers are captured and read
    model = XGBoostModel.from_artifact(imported.artifact)
    reader = validation.BodyReader(imported.signature, 100)
    lines = []
    for row in own.rows[:10]:
        record = {k: int(v) if k in ("age", "sex") else v for k, v in own.record(row).items()}
        body = predictor.to_csv(reader.rows(json.dumps(record)), missing=True)
        answer = json_bytes(model.predict_csv(body))
        lines.append(capture_line(body, "text/csv", answer, "application/json", "e", MOMENT))
    report = drift.drift_report(imported.baseline, imported.signature, lines)
    # Then each output is counted on its own bins, every answer read
    assert [p.name for p in report.predictions] == names
    assert report.unread_answers == 0
    assert [sum(p.window_shares) for p in report.predictions] == pytest.approx([1.0] * 3)
