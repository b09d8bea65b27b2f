"""The drift function's settings (its schedule, which is its window, and its thresholds), what it
publishes of a window too small to judge, and the model's baseline shipped with the stage."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from foundation.lambda_code import drift, drift_metrics, drift_schedule
from foundation.paths import CHALICE_CONFIG_DIR
from provisioning import stage_config
from tests.drift_traffic import capture_lines, draw, make_shop


@pytest.mark.parametrize(
    ("schedule", "seconds"),
    [("rate(10 minutes)", 600), ("rate(1 hour)", 3600), ("rate(6 hours)", 21600),
     ("rate(1 day)", 86400), ("rate(7 days)", 604800)],
)  # fmt: skip
def test_a_rate_is_its_interval(schedule: str, seconds: int) -> None:
    assert drift_schedule.interval_seconds(schedule) == seconds


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("rate(1 hours)", "EventBridge wants rate(1 hour)"),
        ("rate(3 day)", "EventBridge wants rate(3 days)"),
        ("rate(0 hours)", "is not rate(N unit)"),
        ("cron(0 * * * ? *)", "is not rate(N unit)"),
        ("rate(9 minutes)", "10 minutes to 7 days"),
        ("rate(169 hours)", "10 minutes to 7 days"),
    ],
)
def test_other_schedules_are_refused_in_one_line(schedule: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        drift_schedule.interval_seconds(schedule)


def test_a_stage_has_a_drift_function_only_with_a_bucket_and_a_schedule() -> None:
    on = {drift_schedule.SCHEDULE: "rate(1 hour)", drift_schedule.BUCKET: "b"}
    assert drift_schedule.DriftSchedule.from_environ(on).window_seconds == 3600
    assert drift_schedule.DriftSchedule.from_environ({drift_schedule.SCHEDULE: "rate(1 hour)"}) \
        .schedule is None  # fmt: skip
    assert drift_schedule.DriftSchedule.from_environ({}).schedule is None


def test_the_stages_thresholds_replace_the_reports_own() -> None:
    from chalicelib.drift_watch.run import RunRefused, thresholds_from

    chosen = thresholds_from({drift_schedule.PSI_ALERT: "0.3", drift_schedule.MIN_ROWS: "200"})
    assert chosen == drift.Thresholds(psi_alert=0.3, min_rows=200)
    for bad in ({drift_schedule.PSI_WARN: "lots"}, {drift_schedule.PSI_WARN: "0.5"},
                {drift_schedule.MISSING_ALERT: "nan"}, {drift_schedule.MIN_ROWS: "0"}):  # fmt: skip
        with pytest.raises(RunRefused):
            thresholds_from(bad)


def test_a_window_too_small_to_judge_publishes_nothing(tmp_path: Path) -> None:
    # Given 100 rows (under the 500 a feature needs to be judged), shifted far
    shop = make_shop(tmp_path / "shop")
    lines = capture_lines(shop, draw(np.random.default_rng(1), 100, shift=30.0))
    report = drift.drift_report(shop.baseline, shop.signature, lines)
    assert report.features[0].psi > 1 and report.level == drift.FEW
    # Then no feature's figure and no summary is published (the log line has them)
    assert list(drift_metrics.feature_documents(report, "f", "SageMakerProxy", 0)) == []
    assert drift_metrics.summary_document(report, "f", "SageMakerProxy", 0) == {}
    # And with a lower min_rows, every feature and the worst are
    judged = drift.drift_report(shop.baseline, shop.signature, lines, drift.Thresholds(min_rows=50))
    documents = list(drift_metrics.feature_documents(judged, "f", "SageMakerProxy", 0))
    assert [d["Feature"] for d in documents] == [d.name for d in judged.features]
    summary = drift_metrics.summary_document(judged, "f", "SageMakerProxy", 0)
    assert summary["PSI"] == max(d.psi for d in judged.features)
    assert summary["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["FunctionName"]]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "chalice_app" / ".chalice"
    shutil.copytree(CHALICE_CONFIG_DIR, target, ignore=shutil.ignore_patterns("deploy*"))
    (target.parent / "chalicelib" / "signatures").mkdir(parents=True)
    return target


def test_pointing_a_stage_ships_the_artifacts_baseline_and_drops_another_models(
    tmp_path: Path, config_dir: Path
) -> None:
    shop = make_shop(tmp_path / "shop")
    other = make_shop(tmp_path / "other", seed=8, rounds=5)
    shipped = config_dir.parent / "chalicelib" / "signatures" / "dev.baseline.json"
    # When the stage is pointed at the shop's model: its baseline goes beside the signature
    written = stage_config.point_stage_at_endpoint(
        "dev", "shop", "eu-west-1", "123456789012", shop.signature, config_dir,
        artifact=shop.artifact,
    )  # fmt: skip
    assert shipped in written
    assert shipped.read_bytes() == shop.artifact.with_name("model.baseline.json").read_bytes()
    # When another model without a baseline replaces it: the stage keeps none of the old one's
    other.artifact.with_name("model.baseline.json").unlink()
    written = stage_config.point_stage_at_endpoint(
        "dev", "shop", "eu-west-1", "123456789012", other.signature, config_dir,
        artifact=other.artifact,
    )  # fmt: skip
    assert shipped in written and not shipped.exists()
    # When the baseline beside an artifact is another model's: refused, in one line
    shutil.copy(shop.artifact.with_name("model.baseline.json"),
                other.artifact.with_name("model.baseline.json"))  # fmt: skip
    with pytest.raises(drift.BaselineError, match="does not fit the model") as refused:
        stage_config.point_stage_at_endpoint(
            "dev", "shop", "eu-west-1", "123456789012", other.signature, config_dir,
            artifact=other.artifact,
        )  # fmt: skip
    assert "\n" not in str(refused.value)
